"""An admin add page's initial values and raw-id labels ask the policy like every list does: a
link naming another team's lead (``?lead=<id>``) shows nothing of it, and neither does a posted
form that names it."""

import pytest

from tests.factories import LeadFactory, ManagerFactory

pytestmark = pytest.mark.django_db
EXCEPTION_ADD = "/admin/payouts/commissionexception/add/"
MILESTONE_ADD = "/admin/leads/leadmilestone/add/"


@pytest.fixture
def leads(head, south):
    own = LeadFactory(owner=ManagerFactory(team=head.team), company="Own Company LLC")
    other = LeadFactory(owner=ManagerFactory(team=south), company="Secret Southern Corp")
    return own, other


@pytest.mark.parametrize("page", [EXCEPTION_ADD, MILESTONE_ADD])
def test_an_add_page_given_another_teams_lead_in_its_url_shows_nothing_of_it(
        client, head, leads, page):
    own, other = leads
    client.force_login(head.user)
    response = client.get(f"{page}?lead={other.pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Secret Southern Corp" not in body
    assert response.context["adminform"].form.initial.get("lead") is None


@pytest.mark.parametrize("page", [EXCEPTION_ADD, MILESTONE_ADD])
def test_an_add_page_given_an_own_teams_lead_shows_its_label(client, head, leads, page):
    own, _other = leads
    client.force_login(head.user)
    response = client.get(f"{page}?lead={own.pk}")
    assert "Own Company LLC" in response.content.decode()


@pytest.mark.parametrize("lead", ["{other}", "x", "", "1" * 30])
def test_a_posted_form_naming_another_teams_lead_shows_no_label_and_saves_nothing(
        client, head, leads, lead):
    from payouts.models import CommissionException

    _own, other = leads
    client.force_login(head.user)
    response = client.post(EXCEPTION_ADD, {
        "lead": lead.format(other=other.pk), "component_kind": "revenue_percent",
        "kind": "exclude", "reason": "because",
    })
    assert response.status_code == 200  # the form again, with its error
    assert "Secret Southern Corp" not in response.content.decode()
    assert CommissionException.objects.count() == 0
