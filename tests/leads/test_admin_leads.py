"""A lead added or changed in the admin goes through the services, as an imported one does:
its phone normalised, checked for a duplicate (SPEC §6.3), its owners' pay marked changed (§7)."""

import datetime

import pytest
import time_machine

from leads.models import DuplicateState, Lead, LeadSource, MilestoneKind
from leads.ownership import lead_pay_days
from salesops.models import PayoutInputChange, Role
from tests.factories import LeadFactory, LeadMilestoneFactory, ManagerFactory, TeamFactory
from tests.payouts.factories import person
from tests.payouts.helpers import moscow

DECEMBER = datetime.date(2026, 12, 1)

pytestmark = pytest.mark.django_db


def _form(lead_owner, phone: str, **extra) -> dict:
    return {
        "owner": lead_owner.pk, "source": LeadSource.COLD_CALL, "name": "Ivan", "company": "",
        "phone": phone, "tax_id": "", "partner": "",
        "created_at_0": "2026-11-02", "created_at_1": "10:00:00",
        "milestones-TOTAL_FORMS": "0", "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0", "milestones-MAX_NUM_FORMS": "1000", **extra,
    }


def test_a_lead_added_in_the_admin_is_normalised_and_flagged_as_a_duplicate(client):
    team = TeamFactory()
    anna, boris = ManagerFactory(team=team), ManagerFactory(team=team)
    first = LeadFactory(owner=anna, phone="+79161234567", created_at=moscow(2026, 10, 1, 9, 0))
    client.force_login(person(Role.ADMIN).user)
    response = client.post("/admin/leads/lead/add/", _form(boris, "8 916 123-45-67"))
    assert response.status_code == 302, response.content.decode()[:2000]
    added = Lead.objects.exclude(pk=first.pk).get()
    assert (added.phone, added.duplicate_of, added.duplicate_state) == (
        "+79161234567", first, DuplicateState.PENDING)


@time_machine.travel(moscow(2026, 12, 8, 10, 0), tick=False)
def test_a_lead_given_to_another_owner_in_the_admin_moves_it_from_today(client):
    """SPEC §6.7: the November milestone stays Anna's; from today the lead is Boris's, and both
    people's pay from today on is marked changed."""
    team = TeamFactory()
    anna, boris = ManagerFactory(team=team), ManagerFactory(team=team)
    lead = LeadFactory(owner=anna, phone="+79160000001")
    LeadMilestoneFactory(lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 5, 12, 0))
    PayoutInputChange.objects.all().delete()
    client.force_login(person(Role.ADMIN).user)
    response = client.post(f"/admin/leads/lead/{lead.pk}/change/",
                           _form(boris, "+79160000001", name=lead.name))
    assert response.status_code == 302, response.content.decode()[:2000]
    lead.refresh_from_db()
    assert lead.owner == boris
    assert set(PayoutInputChange.objects.values_list("manager", "month")) == {
        (anna.pk, DECEMBER), (boris.pk, DECEMBER)}
    assert lead_pay_days(lead_ids=[lead.pk]) == {(anna.pk, datetime.date(2026, 11, 5))}


def test_a_sales_head_cannot_give_a_lead_to_another_team_in_the_admin(client):
    north, south = TeamFactory(), TeamFactory()
    anna, stranger = ManagerFactory(team=north), ManagerFactory(team=south)
    lead = LeadFactory(owner=anna, phone="+79160000002")
    client.force_login(person(Role.SALES_HEAD, north).user)
    response = client.post(f"/admin/leads/lead/{lead.pk}/change/",
                           _form(stranger, "+79160000002", name=lead.name))
    lead.refresh_from_db()
    assert lead.owner == anna
    assert response.status_code in (200, 403)
