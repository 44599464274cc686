"""Every way around the rules found in issue 8, tried and refused with nothing changed; and the
admin writes that now go through the services."""

import datetime
import io
from decimal import Decimal

import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from leads.models import LeadMilestone, MilestoneKind, Payment
from leads.services import lead_milestone_set
from payouts.exceptions import CommissionExceptionError, commission_exception_request
from payouts.lifecycle import PayoutRunError, payout_run_approve, payout_run_mark_paid
from payouts.models import CommissionException, ExceptionKind, ExceptionStatus, PayoutRun
from salesops import policy
from salesops.imports.resources import ManagerResource, MonthlyPlanResource
from salesops.models import AuditEntry, CallLog, ImportPreset, Manager, MonthlyPlan, Role
from salesops.selectors import scope_to_user
from salesops.services import manager_set_role

from .conftest import PERSONAS, login, policy_user

pytestmark = pytest.mark.django_db


def _csv(text: str, name="rows.csv"):
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


def _import(client, path, text):
    return client.post(path, {"import_file": _csv(text), "format": "0", "resource": "0"})


def _role_state(manager):
    manager.refresh_from_db()
    user = manager.user
    user.refresh_from_db()
    return (manager.role, manager.team_id, user.is_staff, user.is_superuser,
            sorted(user.groups.values_list("name", flat=True)))


# --- escalation through the import screens ------------------------------------------------------

def test_a_sales_head_importing_himself_as_owner_is_refused_and_nothing_changes(world, client):
    head = world.people["head_north"]
    before, audits = _role_state(head), AuditEntry.objects.count()
    login(client, world, "sales_head")
    response = _import(client, "/admin/salesops/manager/import/",
                       "username,role,team,extension\nhead.north,owner,north,999\n")
    assert response.status_code == 403
    assert _role_state(head) == before
    assert AuditEntry.objects.count() == audits


def test_no_import_sets_a_role_even_for_an_admin(world):
    anna = world.people["anna"]
    before = _role_state(anna)
    data = tablib.Dataset(["anna", "owner", "north", "201"],
                          headers=["username", "role", "team", "extension"])
    result = ManagerResource().import_data(data, dry_run=False, user=world.users["admin"],
                                           rollback_on_validation_errors=True)
    assert [row.number for row in result.invalid_rows] == [1]
    assert "A role is never set by an import." in str(result.invalid_rows[0].error_dict)
    assert _role_state(anna) == before


@pytest.mark.parametrize("persona", ["sales_head", "owner"])
def test_a_view_only_role_cannot_import_calls_or_payments(world, client, persona):
    lead = world.other["leads.lead"]
    calls, payments = CallLog.objects.count(), Payment.objects.count()
    login(client, world, persona)
    talk = _import(client, "/admin/salesops/calllog/import/",
                   "source,external_id,manager,started_at,duration_s,talk_s\n"
                   "pbx,x-1,boris,2026-11-03 10:00,3600,3600\n")
    money = _import(client, "/admin/leads/payment/import/",
                    f"lead,amount,received_on,kind\n{lead.pk},1000000.00,2026-11-05,one_time\n")
    assert (talk.status_code, money.status_code) == (403, 403)
    assert (CallLog.objects.count(), Payment.objects.count()) == (calls, payments)


def test_a_sales_head_imports_plans_for_own_team_only(world, client):
    anna = world.people["anna"]
    head = policy_user(world, "sales_head")
    data = tablib.Dataset(["boris", "2026-12-01", 1, 1, "1.00"],
                          ["anna", "2026-12-01", 900, 10, "500000.00"],
                          headers=["manager", "month", "target_conversations",
                                   "target_confirmed_leads", "target_revenue"])
    refused = MonthlyPlanResource().import_data(data, dry_run=False, user=head,
                                                rollback_on_validation_errors=True)
    assert [row.number for row in refused.invalid_rows] == [1]
    assert not MonthlyPlan.objects.filter(month=datetime.date(2026, 12, 1)).exists()
    own = MonthlyPlanResource().import_data(tablib.Dataset(data[1], headers=data.headers),
                                            dry_run=False, user=head)
    assert not own.has_validation_errors() and not own.has_errors()
    assert MonthlyPlan.objects.get(month=datetime.date(2026, 12, 1)).manager == anna


def test_the_admin_import_preview_refuses_another_teams_row(world, client):
    login(client, world, "sales_head")
    response = _import(client, "/admin/salesops/monthlyplan/import/",
                       "manager,month,target_conversations,target_confirmed_leads,"
                       "target_revenue\nboris,2026-12-01,1,1,1.00\n")
    assert response.status_code == 200
    assert response.context["result"].has_validation_errors()
    assert "confirm_form" not in response.context
    assert not MonthlyPlan.objects.filter(month=datetime.date(2026, 12, 1)).exists()


# --- cross-team writes through form fields -------------------------------------------------------

def test_a_sales_head_cannot_add_a_plan_for_another_teams_manager(world, client):
    login(client, world, "sales_head")
    plans = MonthlyPlan.objects.count()
    response = client.post("/admin/salesops/monthlyplan/add/", {
        "manager": world.people["boris"].pk, "month": "2026-12-01",
        "target_conversations": 1, "target_confirmed_leads": 1, "target_revenue": "1.00"})
    assert response.status_code == 200
    assert "manager" in response.context["adminform"].form.errors
    assert MonthlyPlan.objects.count() == plans


def test_a_sales_head_cannot_mark_another_teams_lead_fake(world, client):
    lead = world.other["leads.lead"]
    login(client, world, "sales_head")
    response = client.post("/admin/leads/leadmilestone/add/", {
        "lead": lead.pk, "kind": "fake", "at_0": "2026-11-20", "at_1": "10:00", "note": "x"})
    assert response.status_code == 200
    assert "lead" in response.context["adminform"].form.errors
    with pytest.raises(policy.AccessDenied):
        lead_milestone_set(lead=lead, kind=MilestoneKind.FAKE, by=world.users["sales_head"])
    assert not LeadMilestone.objects.filter(lead=lead, kind=MilestoneKind.FAKE).exists()


def test_a_sales_head_cannot_request_an_exception_on_another_teams_lead(world, client):
    lead = world.other["leads.lead"]
    login(client, world, "sales_head")
    exceptions = CommissionException.objects.count()
    response = client.post("/admin/payouts/commissionexception/add/", {
        "lead": lead.pk, "component_kind": "revenue_percent", "kind": "exclude",
        "reason": "blocks their approval"})
    assert response.status_code == 200
    assert "lead" in response.context["adminform"].form.errors
    with pytest.raises(CommissionExceptionError):
        commission_exception_request(lead=lead, kind=ExceptionKind.EXCLUDE, reason="x",
                                     requested_by=world.users["sales_head"])
    assert CommissionException.objects.count() == exceptions


def test_autocomplete_offers_only_own_team(world, client):
    login(client, world, "sales_head")
    response = client.get("/admin/autocomplete/", {
        "app_label": "salesops", "model_name": "monthlyplan", "field_name": "manager",
        "term": ""})
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert world.people["anna"].pk in ids and world.people["boris"].pk not in ids


# --- admins above the owner ----------------------------------------------------------------------

def test_an_admin_cannot_make_himself_superuser(world, client):
    admin_user = world.people["admin"].user
    login(client, world, "admin")
    response = client.post(f"/admin/auth/user/{admin_user.pk}/change/", {
        "username": "admin", "is_superuser": "on", "is_staff": "on", "is_active": "on"})
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or "/login/" not in response["Location"]
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser


def test_an_admin_cannot_tick_rights_on_anyone(world, client):
    anna = world.people["anna"].user
    login(client, world, "admin")
    page = client.get(f"/admin/auth/user/{anna.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert not {"is_superuser", "is_staff", "groups", "user_permissions"} & set(form.fields)
    client.post(f"/admin/auth/user/{anna.pk}/change/", {
        "username": "anna", "is_superuser": "on", "is_staff": "on", "is_active": "on",
        "groups": [Group.objects.get(name="Owners").pk], "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00"})
    anna.refresh_from_db()
    assert (anna.is_superuser, anna.is_staff) == (False, False)
    assert list(anna.groups.values_list("name", flat=True)) == ["Managers"]


def test_an_admin_cannot_open_the_owners_password_form(world, client):
    owner = world.people["owner"].user
    password = owner.password
    login(client, world, "admin")
    url = f"/admin/auth/user/{owner.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "taken-over-123", "password2": "taken-over-123"})
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.password == password


def test_an_admin_cannot_make_a_manager_owner_or_admin(world, client):
    anna, audits = world.people["anna"], AuditEntry.objects.count()
    before = _role_state(anna)
    login(client, world, "admin")
    page = client.get(f"/admin/salesops/manager/{anna.pk}/change/")
    roles = [value for value, _ in page.context["adminform"].form.fields["role"].choices]
    assert roles == [Role.MANAGER, Role.SALES_HEAD]
    response = client.post(f"/admin/salesops/manager/{anna.pk}/change/", {
        "role": Role.OWNER, "team": anna.team_id, "extension": anna.extension,
        "active_from": "2026-01-01"})
    assert response.status_code == 200 and "role" in response.context["adminform"].form.errors
    for role in (Role.OWNER, Role.ADMIN):
        with pytest.raises(policy.AccessDenied):
            manager_set_role(manager=anna, role=role, by=world.users["admin"])
    assert _role_state(anna) == before
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize("persona", ["admin", "owner"])
def test_nobody_changes_their_own_role(world, persona):
    me = Manager.objects.get(user=world.users[persona])
    before = _role_state(me)
    with pytest.raises(policy.AccessDenied):
        manager_set_role(manager=me, role=Role.OWNER if persona == "admin" else Role.ADMIN,
                         by=world.users[persona])
    assert _role_state(me) == before


def test_an_admin_cannot_demote_the_owner(world):
    owner = world.people["owner"]
    before = _role_state(owner)
    with pytest.raises(policy.AccessDenied):
        manager_set_role(manager=owner, role=Role.MANAGER, team=world.own["salesops.team"],
                         by=world.users["admin"])
    assert _role_state(owner) == before


def test_the_owner_grants_admin_through_the_form_in_step_and_audited(world, client):
    anna = world.people["anna"]
    login(client, world, "owner")
    response = client.post(f"/admin/salesops/manager/{anna.pk}/change/", {
        "role": Role.ADMIN, "team": "", "extension": anna.extension,
        "active_from": "2026-01-01"})
    assert response.status_code == 302
    assert _role_state(anna) == (Role.ADMIN, anna.team_id, True, False, ["Admins"])
    entry = AuditEntry.objects.get(action="role_granted", object_id=anna.pk)
    assert (entry.by, entry.before["role"], entry.after["role"]) == (
        world.users["owner"], Role.MANAGER, Role.ADMIN)


def test_an_admin_promotes_a_manager_to_sales_head_audited(world):
    anna = world.people["anna"]
    manager_set_role(manager=anna, role=Role.SALES_HEAD, by=world.users["admin"])
    assert _role_state(anna)[0::2] == (Role.SALES_HEAD, True, ["Sales heads"])
    assert AuditEntry.objects.filter(action="role_granted", object_id=anna.pk,
                                     by=world.users["admin"]).count() == 1


# --- reads that leak ---------------------------------------------------------------------------

def test_a_sales_head_reads_neither_the_audit_trail_nor_partner_statements(world, client):
    login(client, world, "sales_head")
    assert client.get("/admin/salesops/auditentry/").status_code == 403
    assert client.get("/admin/payouts/partnerstatement/").status_code == 403
    assert client.get("/api/partner-statements/").status_code == 403


def test_a_partner_reads_own_statements_only(world, client):
    login(client, world, "partner")
    ids = [row["id"] for row in client.get("/api/partner-statements/").json()["results"]]
    assert ids == [world.own["payouts.partnerstatement"].pk]


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_anonymous_visitors_get_no_api_schema(client, path, world):
    assert client.get(path).status_code in (401, 403)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("label", "via"), [
    ("salesops.calllog", "manager"), ("leads.lead", "owner"), ("leads.payment", "lead__owner"),
    ("salesops.manager", ""),
])
def test_the_page_selector_and_the_policy_agree(world, persona, label, via):
    user = policy_user(world, persona)
    model = type(world.own[label])
    assert set(scope_to_user(model.objects.all(), user, via=via)) == set(
        policy.scoped(user, policy.VIEW, label))


# --- approvals and payment by the policy's rows ---------------------------------------------------

def test_another_teams_head_cannot_approve_by_screen_or_command(world):
    run = world.other["payouts.payoutrun"]
    with pytest.raises(PayoutRunError):
        payout_run_approve(run=run, approved_by=world.users["sales_head"])
    with pytest.raises(CommandError):
        call_command("approve_payouts", f"{run.month:%Y-%m}", team=run.team.code,
                     by="head.north")
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.COMPUTED


def test_only_owner_or_admin_marks_paid(world):
    run = world.own["payouts.payoutrun"]
    for persona in ("sales_head", "manager"):
        with pytest.raises(policy.AccessDenied):
            payout_run_mark_paid(run=run, paid_by=world.users[persona])
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.COMPUTED
    assert policy.may(world.users["admin"], policy.MARK_PAID, run, run)
    assert policy.may(world.users["owner"], policy.MARK_PAID, run, run)


# --- admin writes through services ----------------------------------------------------------

def test_a_refund_is_entered_only_through_the_refund_action(world, client):
    payment = world.own["leads.payment"]
    login(client, world, "admin")
    payments = Payment.objects.count()
    plain = client.post("/admin/leads/payment/add/", {
        "lead": payment.lead_id, "amount": "-200000.00", "received_on": "2026-11-20",
        "kind": "one_time"})
    assert plain.status_code == 200 and "amount" in plain.context["adminform"].form.errors
    assert Payment.objects.count() == payments
    url = "/admin/leads/payment/"
    ask = client.post(url, {"action": "refund", "_selected_action": [payment.pk]})
    assert ask.status_code == 200 and "received_on" in ask.context["form"].fields
    too_much = client.post(url, {"action": "refund", "_selected_action": [payment.pk],
                                 "apply": "1", "received_on": "2026-11-20",
                                 "amount": "200000.00"})
    assert too_much.status_code == 302 and Payment.objects.count() == payments
    client.post(url, {"action": "refund", "_selected_action": [payment.pk], "apply": "1",
                      "received_on": "2026-11-20", "amount": "40000.00"})
    refund = Payment.objects.get(refund_of=payment)
    assert (refund.amount, refund.received_on) == (Decimal("-40000.00"),
                                                   datetime.date(2026, 11, 20))


def test_a_rejection_needs_the_deciders_own_reason(world, client):
    exception = world.own["payouts.commissionexception"]
    login(client, world, "owner")
    url = "/admin/payouts/commissionexception/"
    ask = client.post(url, {"action": "reject", "_selected_action": [exception.pk]})
    assert ask.status_code == 200 and "comment" in ask.context["form"].fields
    empty = client.post(url, {"action": "reject", "_selected_action": [exception.pk],
                              "apply": "1", "comment": ""})
    assert empty.status_code == 200
    assert CommissionException.objects.get(pk=exception.pk).status == ExceptionStatus.PENDING
    client.post(url, {"action": "reject", "_selected_action": [exception.pk], "apply": "1",
                      "comment": "the client never agreed to 5%"})
    decided = CommissionException.objects.get(pk=exception.pk)
    assert (decided.status, decided.decision_comment) == (
        ExceptionStatus.REJECTED, "the client never agreed to 5%")


def test_a_milestone_added_in_the_admin_goes_through_the_service(world, client):
    lead = world.own["leads.lead"]
    login(client, world, "sales_head")
    illegal = client.post("/admin/leads/leadmilestone/add/", {
        "lead": lead.pk, "kind": "confirmed", "at_0": "2026-11-20", "at_1": "10:00"})
    assert illegal.status_code == 200 and illegal.context["adminform"].form.errors
    added = client.post("/admin/leads/leadmilestone/add/", {
        "lead": lead.pk, "kind": "won", "at_0": "2026-11-20", "at_1": "10:00"})
    assert added.status_code == 302
    milestone = LeadMilestone.objects.get(lead=lead, kind=MilestoneKind.WON)
    assert milestone.set_by == world.users["sales_head"]


def test_history_rows_cannot_be_changed_or_deleted_in_the_admin(world, client):
    milestone = world.own["leads.leadmilestone"]
    login(client, world, "admin")
    url = f"/admin/leads/leadmilestone/{milestone.pk}/"
    assert client.post(f"{url}change/", {"kind": "fake"}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    lead_page = client.get(f"/admin/leads/lead/{milestone.lead_id}/change/")
    inline = next(f for f in lead_page.context["inline_admin_formsets"]
                  if f.opts.model is LeadMilestone)
    assert (inline.has_add_permission, inline.has_change_permission,
            inline.has_delete_permission) == (False, False, False)
    assert LeadMilestone.objects.get(pk=milestone.pk).kind == MilestoneKind.CONFIRMED


def test_the_add_preset_page_answers_and_saves(world, client):
    login(client, world, "admin")
    assert client.get("/admin/salesops/importpreset/add/").status_code == 200
    response = client.post("/admin/salesops/importpreset/add/", {
        "name": "mypbx", "label": "My PBX", "source": "mypbx", "has_header": "on",
        "column_started_at": "start", "column_duration": "dur"})
    assert response.status_code == 302
    assert ImportPreset.objects.get(name="mypbx").columns == {"started_at": "start",
                                                              "duration": "dur"}


def test_a_wrong_milestone_is_voided_with_a_reason_in_the_admin_not_deleted(world, client):
    milestone, other = world.own["leads.leadmilestone"], world.other["leads.leadmilestone"]
    login(client, world, "sales_head")
    url = "/admin/leads/leadmilestone/"
    ask = client.post(url, {"action": "correct", "_selected_action": [milestone.pk]})
    assert ask.status_code == 200 and "reason" in ask.context["form"].fields
    client.post(url, {"action": "correct", "_selected_action": [milestone.pk, other.pk],
                      "apply": "1", "reason": "the client withdrew the same day"})
    correction = LeadMilestone.objects.get(corrects=milestone)
    assert (correction.kind, correction.set_by) == (MilestoneKind.CORRECTION,
                                                    world.users["sales_head"])
    assert not LeadMilestone.objects.filter(corrects=other).exists()
    assert LeadMilestone.objects.filter(pk=milestone.pk).exists()


def test_a_superuser_is_the_owner_who_also_does_the_admins_work(world):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password=None)
    assert policy.role_of(root) == policy.OWNER
    assert policy.may(root, policy.IMPORT, "calls")  # the admin's row
    assert policy.may(root, policy.APPROVE_RUN, "payout_runs")  # the owner's row
    assert policy.grantable_roles(root) == (Role.MANAGER, Role.SALES_HEAD, Role.ADMIN,
                                            Role.OWNER)
