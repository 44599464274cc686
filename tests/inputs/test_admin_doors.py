"""The admin's forms for pay inputs follow the write layer's rules, as an admin or a sales head
meets them (SPEC §1, §6.5, §6.7; issue 22: "the admin's own forms for import batches and calls
bypass the services"). Where a refusal is expected, nothing changed: rows, files, audit, marks."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from leads.models import LeadOwnership
from salesops.inputs import period_lock
from salesops.models import (
    CallLog,
    ImportBatch,
    Manager,
    MonthlyPlan,
    PayoutInputChange,
    TeamMembership,
)
from tests.payouts.helpers import DECEMBER, NOVEMBER, moscow

from .doors import TODAY, admin_import, audit_since, form_data, pay_state, upload, world_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(TODAY, tick=False):
        yield world_build(tmp_path)


def _files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _change(client, url, **changes):
    return client.post(url, form_data(client.get(url), **changes), follow=True)


# --- import batches: made by the upload service only ---------------------------------------

def test_the_admin_cannot_add_a_batch_with_its_own_creator_counters_and_file(
        world, client, settings):
    client.force_login(world.user("admin"))
    batches, files, before = ImportBatch.objects.count(), _files(settings), pay_state()
    payload = b"MZ\x90\x00 an executable"
    response = client.post("/admin/salesops/importbatch/add/", {
        "file": upload(payload.decode("latin-1"), name="evil.exe"), "file_name": "evil.exe",
        "created_by": world.user("owner").pk, "created_count": "1000000", "status": "done"})
    assert (response.status_code, response["Location"]) == (302, "/imports/")
    assert ImportBatch.objects.count() == batches
    assert _files(settings) == files
    assert not any(name.endswith(".exe") for name in _files(settings))
    assert pay_state() == before


def test_the_admin_reads_a_batch_and_never_edits_it(world, client):
    client.force_login(world.user("admin"))
    batch = world.rows["batch"]
    stored = ImportBatch.objects.values().get(pk=batch.pk)
    page = client.get(f"/admin/salesops/importbatch/{batch.pk}/change/")
    assert page.status_code == 200 and b'name="file_name"' not in page.content
    response = client.post(f"/admin/salesops/importbatch/{batch.pk}/change/", {
        "file_name": "other.csv", "created_by": world.user("owner").pk,
        "created_count": "999", "status": "done"})
    assert response.status_code == 403
    assert ImportBatch.objects.values().get(pk=batch.pk) == stored


# --- calls: an approved month's are neither changed nor deleted, at any door -------------------

LOCKED = ("November 2026 (North) is approved: it is locked, and its figures change only as a "
          "correction paid in the next open month.")


def test_a_call_of_an_approved_month_is_not_changed_in_the_admin_and_the_admin_is_told_why(
        world, client):
    client.force_login(world.user("admin"))
    call = world.rows["nov_call"]
    before = pay_state()
    response = _change(client, f"/admin/salesops/calllog/{call.pk}/change/", talk_s="10",
                       manager=str(world.people["boris"].pk), recording_url="")
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [LOCKED]
    assert response.context["adminform"].form.data["talk_s"] == "10"  # what was typed stays
    assert pay_state() == before
    assert (CallLog.objects.get(pk=call.pk).talk_s, audit_since(world).count(),
            PayoutInputChange.objects.count()) == (40, 0, 0)


def test_a_call_of_an_approved_month_is_not_deleted_in_the_admin(world, client):
    client.force_login(world.user("admin"))
    call = world.rows["nov_call"]
    before = pay_state()
    response = client.post(f"/admin/salesops/calllog/{call.pk}/delete/", {"post": "yes"},
                           follow=True)
    assert response.redirect_chain == [(f"/admin/salesops/calllog/{call.pk}/change/", 302)]
    assert [str(m) for m in response.context["messages"]] == [LOCKED]
    assert pay_state() == before


def test_a_call_of_an_open_month_changed_in_the_admin_is_audited_and_marked(world, client):
    client.force_login(world.user("admin"))
    call = world.rows["dec_call"]
    response = _change(client, f"/admin/salesops/calllog/{call.pk}/change/", talk_s="20")
    assert response.status_code == 200
    entry = audit_since(world).get()
    assert (entry.action, entry.by, entry.before["talk_s"], entry.after["talk_s"]) == (
        "call_changed", world.user("admin"), 40, 20)
    assert list(PayoutInputChange.objects.values_list("manager_id", "month", "version")) == [
        (world.people["anna"].pk, DECEMBER, 1)]


def test_the_admin_call_import_never_rewrites_a_call_of_an_approved_month(world, client):
    """Another manager, another talk time, the recording erased: refused in the preview with
    the reason, no confirm offered, nothing changed."""
    client.force_login(world.user("admin"))
    call = world.rows["nov_call"]
    CallLog.objects.filter(pk=call.pk).update(recording_url="https://rec.example/1.mp3")
    before = pay_state()
    preview, confirmed = admin_import(
        client, "/admin/salesops/calllog/import/",
        "source,external_id,manager,started_at,duration_s,talk_s,recording_url\n"
        "test-pbx,nov,boris,2026-11-10 10:00,60,59,\n")
    assert confirmed is None
    [invalid] = preview.context["result"].invalid_rows
    assert (invalid.number, invalid.error_dict) == (1, {"__all__": [LOCKED]})
    assert pay_state() == before
    stored = CallLog.objects.get(pk=call.pk)
    assert (stored.manager, stored.talk_s, stored.recording_url) == (
        world.people["anna"], 40, "https://rec.example/1.mp3")


def test_a_month_approved_between_the_preview_and_the_confirm_imports_nothing(world, client):
    client.force_login(world.user("admin"))
    text = ("source,external_id,manager,started_at,duration_s,talk_s\n"
            "test-pbx,dec,7001,2026-12-02 10:00,60,5\n"
            "pbx,late-1,7001,2026-12-03 10:00,60,30\n")
    preview = client.post("/admin/salesops/calllog/import/", {
        "import_file": upload(text), "format": "0", "resource": "0"})
    confirm = preview.context["confirm_form"].initial
    period_lock(team_id=world.teams["north"].pk, month=DECEMBER, status="approved")
    before = pay_state()
    response = client.post("/admin/salesops/calllog/process_import/",
                           {**confirm, "resource": "0"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was imported: fix these rows and import the file again.",
        "1: " + LOCKED.replace("November 2026", "December 2026")]
    assert pay_state() == before
    assert not CallLog.objects.filter(external_id="late-1").exists()


# --- targets: an approved month's are corrected with a reason by the owner or an admin ----------

def test_the_target_form_asks_for_the_reason_when_the_month_is_approved(world, client):
    client.force_login(world.user("admin"))
    plan = world.rows["nov_plan"]
    before = pay_state()
    response = _change(client, f"/admin/salesops/monthlyplan/{plan.pk}/change/",
                       target_conversations="900")
    assert response.context["adminform"].form.errors == {
        "reason": ["The month is approved: give the reason for the correction."]}
    assert pay_state() == before


def test_a_sales_head_cannot_lower_a_target_of_an_approved_month(world, client):
    client.force_login(world.user("head"))
    plan = world.rows["nov_plan"]
    before = pay_state()
    response = _change(client, f"/admin/salesops/monthlyplan/{plan.pk}/change/",
                       target_conversations="900", reason="the team had a hard month")
    assert response.context["adminform"].form.non_field_errors() == [
        LOCKED + " Only those who may correct it can."]
    assert pay_state() == before
    assert MonthlyPlan.objects.get(pk=plan.pk).target_conversations == 1200


@pytest.mark.parametrize("corrector", ["admin", "owner"])
def test_the_owner_or_an_admin_corrects_a_target_of_an_approved_month_with_a_reason(
        world, client, corrector):
    client.force_login(world.user(corrector))
    plan = world.rows["nov_plan"]
    response = _change(client, f"/admin/salesops/monthlyplan/{plan.pk}/change/",
                       target_conversations="900", reason="the plan was set wrong")
    assert response.status_code == 200
    assert MonthlyPlan.objects.get(pk=plan.pk).target_conversations == 900
    entry = audit_since(world).get()
    assert (entry.action, entry.by, entry.comment, entry.before["target_conversations"],
            entry.after["target_conversations"]) == (
        "targets_changed", world.user(corrector), "the plan was set wrong", 1200, 900)
    # Paid as an adjustment: the approved month's change is marked for the next computation.
    assert list(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (world.people["anna"].pk, NOVEMBER)]


def test_a_plans_person_and_month_are_not_changed_on_its_form(world, client):
    client.force_login(world.user("admin"))
    plan = world.rows["dec_plan"]
    page = client.get(f"/admin/salesops/monthlyplan/{plan.pk}/change/")
    assert {"manager", "month"} & set(page.context["adminform"].form.fields) == set()


# --- leads: a new owner through the ownership history -------------------------------------------

def test_a_lead_given_to_another_owner_in_the_admin_keeps_the_reason_in_its_history(
        world, client):
    client.force_login(world.user("admin"))
    lead = world.rows["free_lead"]
    anna, boris = world.people["anna"], world.people["boris"]
    _change(client, f"/admin/leads/lead/{lead.pk}/change/", owner=str(boris.pk),
            reason="Anna is on leave")
    assert list(LeadOwnership.objects.filter(lead=lead).order_by("pk").values_list(
        "owner_id", "since", "set_by", "reason")) == [
        (anna.pk, None, None, ""),
        (boris.pk, datetime.date(2026, 12, 8), world.user("admin").pk, "Anna is on leave")]
    entry = audit_since(world).get()
    assert (entry.action, entry.comment, entry.before, entry.after) == (
        "lead_reassigned", "Anna is on leave", {"owner": anna.pk},
        {"owner": boris.pk, "since": "2026-12-08"})
    page = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "Owners over time" in page and "Anna is on leave" in page


# --- team membership: dated moves, added with a day and a reason ------------------------------

def test_a_move_to_another_team_is_added_from_a_day_with_its_reason(world, client):
    client.force_login(world.user("admin"))
    boris, south = world.people["boris"], world.teams["south"]
    response = client.post("/admin/salesops/teammembership/add/", {
        "manager": boris.pk, "team": south.pk, "since": "2026-12-01",
        "reason": "the south team needs help"}, follow=True)
    assert response.status_code == 200
    assert list(TeamMembership.objects.filter(manager=boris).order_by("since").values_list(
        "team__code", "since", "created_by")) == [
        ("north", datetime.date(2026, 1, 1), None),
        ("south", datetime.date(2026, 12, 1), world.user("admin").pk)]
    assert Manager.objects.get(pk=boris.pk).team == south
    entry = audit_since(world).get()
    assert (entry.action, entry.comment) == ("membership_changed", "the south team needs help")
    listing = client.get("/admin/salesops/teammembership/").content.decode()
    assert "South" in listing and "North" in listing


def test_a_move_reaching_into_an_approved_month_is_refused_with_nothing_changed(world, client):
    client.force_login(world.user("admin"))
    before = pay_state()
    response = client.post("/admin/salesops/teammembership/add/", {
        "manager": world.people["boris"].pk, "team": world.teams["south"].pk,
        "since": "2026-11-20", "reason": ""}, follow=True)
    assert response.context["adminform"].form.non_field_errors() == [
        LOCKED + " Record the move from the first day of the next open month."]
    assert pay_state() == before


def test_a_team_change_on_a_persons_page_is_a_dated_move_from_today(world, client):
    client.force_login(world.user("admin"))
    boris, south = world.people["boris"], world.teams["south"]
    _change(client, f"/admin/salesops/manager/{boris.pk}/change/", team=str(south.pk))
    assert list(TeamMembership.objects.filter(manager=boris).order_by("since").values_list(
        "team__code", "since")) == [("north", datetime.date(2026, 1, 1)),
                                    ("south", datetime.date(2026, 12, 8))]


def test_the_history_of_teams_is_never_edited_or_deleted_in_the_admin(world, client):
    client.force_login(world.user("owner"))
    membership = world.rows["anna_membership"]
    before = pay_state()
    url = f"/admin/salesops/teammembership/{membership.pk}/"
    assert client.post(url + "change/", {"team": world.teams["south"].pk,
                                         "since": "2026-01-01"}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert pay_state() == before


def test_targets_added_in_the_admin_are_audited_with_who_set_them(world, client):
    client.force_login(world.user("head"))
    boris = world.people["boris"]
    client.post("/admin/salesops/monthlyplan/add/", {
        "manager": boris.pk, "month": "2026-12-01", "target_conversations": "1000",
        "target_confirmed_leads": "10", "target_revenue": "50000.00", "reason": ""})
    plan = MonthlyPlan.objects.get(manager=boris)
    assert (plan.month, plan.target_revenue) == (DECEMBER, Decimal("50000.00"))
    entry = audit_since(world).get()
    assert (entry.action, entry.by, entry.object_id) == ("targets_set", world.user("head"),
                                                         plan.pk)


def test_a_late_call_for_an_approved_month_is_admitted_in_the_admin(world, client):
    """Late data (SPEC §6.5): the approved month stays as approved, its next open month pays
    it; the call is audited and its month marked."""
    client.force_login(world.user("admin"))
    client.post("/admin/salesops/calllog/add/", {
        "source": "pbx", "external_id": "late", "manager": world.people["anna"].pk,
        "started_at_0": "2026-11-12", "started_at_1": "10:00:00", "duration_s": "60",
        "talk_s": "30", "wrapup_s": "0", "direction": "out", "phone": "", "outcome": "2",
        "recording_url": ""})
    call = CallLog.objects.get(external_id="late")
    assert call.started_at == moscow(2026, 11, 12, 10, 0)
    assert audit_since(world).get().action == "call_added"
    assert list(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (world.people["anna"].pk, NOVEMBER)]
