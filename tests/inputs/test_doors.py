"""Every door that can write a pay input writes it through the write layer (SPEC §5, §6.5, §7).

The walk goes over the admin's registry (add, change, delete, every action, every import), the
import resources and the API's routes. Each door that can write a pay input is driven as a
browser drives it and must end in one of two ways, written out per door below:
- written: exactly these audit rows, and exactly these people's months marked changed;
- refused: nothing changed (pay inputs, audit trail, marks), the reason shown to the user.
A door nobody classified fails the walk: a new form, action, import or route that can write a pay
input has to be driven here. And inside a request every pay-input model refuses a write the
layer does not make (``salesops.inputs.guard``), so a door that bypasses the layer breaks its
recipe here at once.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.contrib import admin
from django.test import TestCase
from import_export.resources import ModelResource

from salesops.inputs.guard import pay_input_models
from salesops.inputs.resources import WritesThroughTheLayer
from salesops.models import AuditEntry
from salesops.urls import router
from tests.factories import UserFactory
from tests.fixtures import hostile
from tests.payouts.helpers import DECEMBER, NOVEMBER

from .doors import TODAY, admin_import, form_data, marks, pay_state, world_build

pytestmark = pytest.mark.django_db
LOCKED = "November 2026 (North) is approved: it is locked"


@dataclass(frozen=True)
class Written:
    actions: tuple[str, ...]  # the audit rows the door writes, by action
    marked: tuple[tuple[str, datetime.date], ...] = ()  # (person, month) marked changed


@dataclass(frozen=True)
class Refused:
    says: str  # what the user reads ("" when the policy closes the door: 403)
    status: int = 200


CLOSED = Refused("", status=403)


@dataclass(frozen=True)
class Door:
    drive: Callable  # (client, world) → the last response
    then: Written | Refused
    as_user: str = "admin"


def _url(label: str, view: str = "changelist", pk=None) -> str:
    app, model = label.split(".")
    return f"/admin/{app}/{model}/" + {"changelist": "", "add": "add/"}.get(
        view, f"{pk}/{view}/")


def _change(label, row_name, follow=True, **changes):
    def drive(client, w):
        row = w.rows[row_name]
        page = client.get(_url(label, "change", row.pk))
        data = form_data(page, **{name: (value(w) if callable(value) else value)
                                  for name, value in changes.items()})
        return client.post(_url(label, "change", row.pk), data, follow=follow)
    return drive


def _add(label, **fields):
    def drive(client, w):
        data = {name: (value(w) if callable(value) else value) for name, value in fields.items()}
        return client.post(_url(label, "add"), data, follow=True)
    return drive


def _delete(label, row_name):
    def drive(client, w):
        return client.post(_url(label, "delete", w.rows[row_name].pk), {"post": "yes"},
                           follow=True)
    return drive


def _action(label, action, *row_names, **extra):
    def drive(client, w):
        return client.post(_url(label), {
            "action": action, "_selected_action": [w.rows[name].pk for name in row_names],
            "post": "yes", **extra}, follow=True)
    return drive


def _import(label, text):
    def drive(client, w):
        preview, confirmed = admin_import(client, _url(label) + "import/",
                                          text(w) if callable(text) else text)
        return confirmed or preview
    return drive


def _committed(drive):
    """The batch runs once the request's transaction commits (a task, eager in tests)."""
    def run(client, w):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return drive(client, w)
    return run


def _pk(person):
    return lambda w: w.people[person].pk


CALL = {"source": "pbx", "external_id": "new-1", "manager": _pk("anna"),
        "started_at_0": "2026-12-05", "started_at_1": "10:00:00", "duration_s": "60",
        "talk_s": "30", "wrapup_s": "0", "direction": "out", "phone": "+79160000000",
        "outcome": "2", "recording_url": ""}
CALLS_CSV = "source,external_id,manager,started_at,duration_s,talk_s\n"
PLAN = {"target_confirmed_leads": "20", "target_revenue": "100000.00"}
PLANS_CSV = ("manager,month,target_conversations,target_confirmed_leads,target_revenue"
             "{reason}\nanna,2026-11-01,900,20,100000.00{why}\n")
LEAD_FORM = {"milestones-TOTAL_FORMS": "0", "milestones-INITIAL_FORMS": "0",
             "milestones-MIN_NUM_FORMS": "0", "milestones-MAX_NUM_FORMS": "1000"}
ANNA_DEC, BORIS_DEC, ANNA_NOV = ("anna", DECEMBER), ("boris", DECEMBER), ("anna", NOVEMBER)


def _new_login(username):
    def text(w):
        UserFactory(username=username)
        return f"username,team,extension,active_from\n{username},north,7777,2026-12-01\n"
    return text


def _manager_add(client, w):
    user = UserFactory(username="newbie")
    return client.post(_url("salesops.manager", "add"), {
        "user": user.pk, "role": "manager", "team": w.teams["north"].pk, "extension": "7777",
        "telephony_login": "", "telephony_email": "", "active_from_": "",
        "active_from": "2026-12-01", "active_to": ""}, follow=True)


def _batch_add(client, w):
    return client.post(_url("salesops.importbatch", "add"), {
        "file": _file(), "file_name": "evil.exe", "created_by": w.user("owner").pk,
        "created_count": "1000", "source": "x"}, follow=True)


def _file():
    from .doors import upload

    return upload("MZ not a call log", name="evil.exe")


DOORS: dict[str, Door] = {
    # Calls (SPEC §2, §6.5): changes to a counted call of an approved month are refused.
    "salesops.calllog:add": Door(_add("salesops.calllog", **CALL),
                                 Written(("call_added",), (ANNA_DEC,))),
    "salesops.calllog:change": Door(_change("salesops.calllog", "dec_call", talk_s="20"),
                                    Written(("call_changed",), (ANNA_DEC,))),
    "salesops.calllog:change-approved-month": Door(
        _change("salesops.calllog", "nov_call", talk_s="10"), Refused(LOCKED)),
    "salesops.calllog:delete": Door(_delete("salesops.calllog", "dec_call"),
                                    Written(("call_deleted",), (ANNA_DEC,))),
    "salesops.calllog:delete-approved-month": Door(_delete("salesops.calllog", "nov_call"),
                                                   Refused(LOCKED)),
    "salesops.calllog:action:delete_selected": Door(
        _action("salesops.calllog", "delete_selected", "dec_call"),
        Written(("call_deleted",), (ANNA_DEC,))),
    "salesops.calllog:action:delete_selected-with-an-approved-month": Door(
        _action("salesops.calllog", "delete_selected", "dec_call", "nov_call"), Refused(LOCKED)),
    "salesops.calllog:import:CallResource": Door(
        _import("salesops.calllog", CALLS_CSV + "pbx,x-1,7001,2026-12-05 10:00,60,30\n"),
        Written(("call_added",), (ANNA_DEC,))),
    "salesops.calllog:import:CallResource-approved-month": Door(
        _import("salesops.calllog", CALLS_CSV + "test-pbx,nov,7001,2026-11-10 10:00,60,10\n"),
        Refused(LOCKED)),
    # Shifts.
    "salesops.workshift:add": Door(
        _add("salesops.workshift", manager=_pk("anna"), started_at_0="2026-12-05",
             started_at_1="09:00:00", ended_at_0="2026-12-05", ended_at_1="18:00:00"),
        Written(("shift_added",), (ANNA_DEC,))),
    "salesops.workshift:change": Door(
        _change("salesops.workshift", "dec_shift", ended_at_1="19:00:00"),
        Written(("shift_changed",), (ANNA_DEC,))),
    "salesops.workshift:change-approved-month": Door(
        _change("salesops.workshift", "nov_shift", ended_at_1="19:00:00"), Refused(LOCKED)),
    "salesops.workshift:delete": Door(_delete("salesops.workshift", "dec_shift"),
                                      Written(("shift_deleted",), (ANNA_DEC,))),
    "salesops.workshift:action:delete_selected": Door(
        _action("salesops.workshift", "delete_selected", "nov_shift"), Refused(LOCKED)),
    "salesops.workshift:import:ShiftResource": Door(
        _import("salesops.workshift",
                "manager,started_at,ended_at\n7001,2026-12-06 09:00,2026-12-06 18:00\n"),
        Written(("shift_added",), (ANNA_DEC,))),
    # Targets (SPEC §6.5): an approved month's are corrected only with a reason, by the owner
    # or an admin.
    "salesops.monthlyplan:add": Door(
        _add("salesops.monthlyplan", manager=_pk("boris"), month="2026-12-01",
             target_conversations="1000", **PLAN),
        Written(("targets_set",), (BORIS_DEC,))),
    "salesops.monthlyplan:change": Door(
        _change("salesops.monthlyplan", "dec_plan", target_conversations="1400"),
        Written(("targets_changed",), (ANNA_DEC,))),
    "salesops.monthlyplan:change-approved-month-without-a-reason": Door(
        _change("salesops.monthlyplan", "nov_plan", target_conversations="900"),
        Refused("The month is approved: give the reason for the correction.")),
    "salesops.monthlyplan:change-approved-month-by-a-sales-head": Door(
        _change("salesops.monthlyplan", "nov_plan", target_conversations="900",
                reason="too high"),
        Refused(LOCKED + ", and its figures change only as a correction paid in the next open "
                "month. Only those who may correct it can."), as_user="head"),
    "salesops.monthlyplan:change-approved-month-corrected": Door(
        _change("salesops.monthlyplan", "nov_plan", target_conversations="900",
                reason="the plan was set wrong"),
        Written(("targets_changed",), (ANNA_NOV,))),
    "salesops.monthlyplan:delete": Door(_delete("salesops.monthlyplan", "dec_plan"),
                                        Written(("targets_deleted",), (ANNA_DEC,))),
    "salesops.monthlyplan:delete-approved-month": Door(
        _delete("salesops.monthlyplan", "nov_plan"),
        Refused("Give the reason for the correction.")),
    "salesops.monthlyplan:action:delete_selected": Door(
        _action("salesops.monthlyplan", "delete_selected", "dec_plan"),
        Written(("targets_deleted",), (ANNA_DEC,))),
    "salesops.monthlyplan:import:MonthlyPlanResource": Door(
        _import("salesops.monthlyplan", PLANS_CSV.format(reason="", why="")),
        Refused("Give the reason for the correction.")),
    "salesops.monthlyplan:import:MonthlyPlanResource-with-a-reason": Door(
        _import("salesops.monthlyplan", PLANS_CSV.format(reason=",reason",
                                                         why=",the plan was set wrong")),
        Written(("targets_changed",), (ANNA_NOV,))),
    # Team membership (SPEC §1): dated moves, never edited or deleted.
    "salesops.teammembership:add": Door(
        _add("salesops.teammembership", manager=_pk("boris"),
             team=lambda w: w.teams["south"].pk, since="2026-12-10", reason="reorganised"),
        Written(("membership_changed",), (BORIS_DEC,))),
    "salesops.teammembership:add-into-an-approved-month": Door(
        _add("salesops.teammembership", manager=_pk("boris"),
             team=lambda w: w.teams["south"].pk, since="2026-11-15", reason="late news"),
        Refused("Record the move from the first day of the next open month.")),
    "salesops.teammembership:change": Door(
        lambda client, w: client.post(_url("salesops.teammembership", "change",
                                           w.rows["anna_membership"].pk), {}), CLOSED),
    "salesops.teammembership:delete": Door(
        lambda client, w: client.post(_url("salesops.teammembership", "delete",
                                           w.rows["anna_membership"].pk), {"post": "yes"}),
        CLOSED),
    # People: their first membership, and a move to another team from today.
    "salesops.manager:add": Door(_manager_add, Written(("membership_started",))),
    "salesops.manager:change": Door(
        _change("salesops.manager", "boris_profile", team=lambda w: str(w.teams["south"].pk)),
        Written(("membership_changed", "role_granted"), (BORIS_DEC,))),
    "salesops.manager:import:ManagerResource": Door(
        _import("salesops.manager", _new_login("newbie")), Written(("membership_started",))),
    # Import batches: made by the upload page only; rolled back and re-run through the layer.
    "salesops.importbatch:add": Door(_batch_add, Refused("<h1>Import calls</h1>")),
    "salesops.importbatch:change": Door(
        lambda client, w: client.post(_url("salesops.importbatch", "change",
                                           w.rows["batch"].pk), {"file_name": "x"}), CLOSED),
    "salesops.importbatch:delete": Door(_delete("salesops.importbatch", "batch"),
                                        Refused("Cannot delete import batch")),
    "salesops.importbatch:action:rollback": Door(
        _action("salesops.importbatch", "rollback", "batch"),
        Written(("import_batch_rolled_back",), (ANNA_DEC,))),
    # Nothing new in the file again: its run records that it wrote nothing, and marks nobody.
    "salesops.importbatch:action:rerun": Door(
        _committed(_action("salesops.importbatch", "rerun", "batch")),
        Written(("import_batch_run",))),
    "salesops.importconflict:action:accept": Door(
        _action("salesops.importconflict", "accept", "conflict"),
        Written(("import_conflict_accept",), (ANNA_NOV,))),
    # Leads (SPEC §6.3, §6.7): a new owner takes the lead from today.
    "leads.lead:add": Door(
        _add("leads.lead", owner=_pk("anna"), source="cold_call", name="Ivan", company="New",
             phone="+79160000009", tax_id="", partner="", created_at_0="2026-12-05",
             created_at_1="10:00:00", reason="", **LEAD_FORM),
        Written(("lead_created",))),
    "leads.lead:change": Door(
        _change("leads.lead", "free_lead", owner=_pk("boris"), reason="Anna is on leave"),
        Written(("lead_reassigned",), (ANNA_DEC, BORIS_DEC))),
    # A lead pays through its milestones and payments: one without them marks no month.
    "leads.lead:delete": Door(_delete("leads.lead", "free_lead"), Written(("lead_deleted",))),
    # Its milestones would go with it, and nobody may delete history: the policy closes it.
    "leads.lead:delete-with-history": Door(_delete("leads.lead", "newcomer"), CLOSED),
    "leads.lead:delete-with-payments": Door(_delete("leads.lead", "lead"),
                                            Refused("Cannot delete lead")),
    "leads.lead:action:delete_selected": Door(
        _action("leads.lead", "delete_selected", "free_lead"), Written(("lead_deleted",))),
    "leads.lead:action:resolve_keep_first": Door(
        _action("leads.lead", "resolve_keep_first", "newcomer"),
        Written(("duplicate_keep_first",), (BORIS_DEC,))),
    "leads.lead:action:resolve_credit_newcomer": Door(
        _action("leads.lead", "resolve_credit_newcomer", "newcomer"),
        Written(("duplicate_credit_newcomer",), (BORIS_DEC,))),
    "leads.lead:action:resolve_merged": Door(
        _action("leads.lead", "resolve_merged", "newcomer"),
        Written(("duplicate_merged",), (ANNA_DEC, BORIS_DEC))),
    "leads.lead:import:LeadResource": Door(
        _import("leads.lead", "id,name,company,phone,owner,source,created_at\n"
                              ",Ivan,New,+79160000010,anna,cold_call,2026-12-05 10:00:00\n"),
        Written(("lead_created",))),
    "leads.lead:import:LeadResource-new-owner": Door(
        _import("leads.lead", lambda w: f"id,owner,reason\n{w.rows['free_lead'].pk},boris,"
                                        "Anna is on leave\n"),
        Written(("lead_reassigned",), (ANNA_DEC, BORIS_DEC))),
    # Milestones: history, appended and corrected, never edited.
    "leads.leadmilestone:add": Door(
        _add("leads.leadmilestone", lead=lambda w: w.rows["free_lead"].pk, kind="confirmed",
             at_0="2026-12-06", at_1="10:00:00", note=""),
        Written(("milestone_set",), (ANNA_DEC,))),
    "leads.leadmilestone:change": Door(
        lambda client, w: client.post(_url("leads.leadmilestone", "change",
                                           w.rows["milestone"].pk), {"kind": "lost"}), CLOSED),
    "leads.leadmilestone:delete": Door(
        lambda client, w: client.post(_url("leads.leadmilestone", "delete",
                                           w.rows["milestone"].pk), {"post": "yes"}), CLOSED),
    "leads.leadmilestone:action:correct": Door(
        _action("leads.leadmilestone", "correct", "milestone", apply="1",
                reason="set on the wrong lead"),
        Written(("milestone_corrected",), (ANNA_DEC,))),
    # Payments: facts, entered and refunded.
    "leads.payment:add": Door(
        _add("leads.payment", lead=lambda w: w.rows["lead"].pk, amount="500.00",
             received_on="2026-12-06", kind="one_time", period_start="", external_id=""),
        Written(("payment_received",), (ANNA_DEC,))),
    "leads.payment:change": Door(
        lambda client, w: client.post(_url("leads.payment", "change", w.rows["payment"].pk),
                                      {"amount": "1.00"}), CLOSED),
    "leads.payment:delete": Door(
        lambda client, w: client.post(_url("leads.payment", "delete", w.rows["payment"].pk),
                                      {"post": "yes"}), CLOSED),
    "leads.payment:action:refund": Door(
        _action("leads.payment", "refund", "payment", apply="1", received_on="2026-12-07",
                amount=""),
        Written(("payment_refunded",), (ANNA_DEC,))),
    "leads.payment:import:PaymentResource": Door(
        _import("leads.payment", lambda w: "lead,amount,received_on,kind\n"
                                           f"{w.rows['lead'].pk},700.00,2026-12-06,one_time\n"),
        Written(("payment_received",), (ANNA_DEC,))),
    "leads.payment:import:PaymentResource-changed": Door(
        _import("leads.payment", lambda w: "id,lead,amount,received_on,kind\n"
                                           f"{w.rows['payment'].pk},{w.rows['lead'].pk},"
                                           "1.00,2026-12-03,one_time\n"),
        Refused("You may not import this row: it is outside what you may change.")),
    # Commission exceptions (SPEC §5): requested, decided by someone else.
    "payouts.commissionexception:add": Door(
        _add("payouts.commissionexception", lead=lambda w: w.rows["newcomer"].pk,
             component_kind="revenue_percent", kind="rate", rate="3", amount="", partner="",
             reason="agreed with the client"),
        Written(("exception_requested",), (BORIS_DEC,)), as_user="head"),
    "payouts.commissionexception:change": Door(
        lambda client, w: client.post(_url("payouts.commissionexception", "change",
                                           w.rows["exception"].pk), {"rate": "1"}), CLOSED),
    "payouts.commissionexception:delete": Door(
        lambda client, w: client.post(_url("payouts.commissionexception", "delete",
                                           w.rows["exception"].pk), {"post": "yes"}), CLOSED),
    "payouts.commissionexception:action:approve": Door(
        _action("payouts.commissionexception", "approve", "exception"),
        Written(("exception_approved",), (ANNA_DEC,))),
    "payouts.commissionexception:action:reject": Door(
        _action("payouts.commissionexception", "reject", "exception", apply="1",
                comment="not agreed"),
        Written(("exception_rejected",), (ANNA_DEC,))),
    # Bulk deletes the policy does not offer for history and facts.
    "salesops.teammembership:action:delete_selected": Door(
        _action("salesops.teammembership", "delete_selected", "anna_membership"),
        Refused("")),  # no action at all is offered: the list is shown again
    "leads.leadmilestone:action:delete_selected": Door(
        _action("leads.leadmilestone", "delete_selected", "milestone"),
        Refused("No action selected.")),
    "leads.payment:action:delete_selected": Door(
        _action("leads.payment", "delete_selected", "payment"), Refused("No action selected.")),
    "payouts.commissionexception:action:delete_selected": Door(
        _action("payouts.commissionexception", "delete_selected", "exception"),
        Refused("No action selected.")),
    # The API.
    # A batch of calls (salesops.ingest): a new call of December is written and marked; a
    # version of an approved November's call that carries more waits as an import conflict
    # (its audit row written, no month marked); the owner does not import calls.
    "api:calls:create": Door(
        lambda client, w: client.post("/api/calls/", {"source": "test-pbx", "calls": [{
            "external_id": "api-1", "started_at": "2026-12-05T10:00:00+03:00",
            "duration_s": 60, "talk_s": 30, "manager": hostile.EXTENSION}]},
            content_type="application/json"),
        Written(("calls_ingested",), (ANNA_DEC,))),
    "api:calls:create-a-locked-months-call-carrying-more": Door(
        lambda client, w: client.post("/api/calls/", {"source": "test-pbx", "calls": [{
            "external_id": "nov", "started_at": "2026-11-10T10:00:00+03:00",
            "duration_s": 300, "talk_s": 200, "manager": hostile.EXTENSION}]},
            content_type="application/json"),
        Written(("calls_ingested",), ())),
    "api:calls:create-by-the-owner": Door(
        lambda client, w: client.post("/api/calls/", {"source": "test-pbx", "calls": [{
            "external_id": "api-1", "started_at": "2026-12-05T10:00:00+03:00",
            "duration_s": 60, "manager": hostile.EXTENSION}]},
            content_type="application/json"), CLOSED, as_user="owner"),
    "api:commission-exceptions:decide": Door(
        lambda client, w: client.post(f"/api/commission-exceptions/{w.rows['exception'].pk}"
                                      "/decide/", {"decision": "approve", "comment": "ok"}),
        Written(("exception_approved",), (ANNA_DEC,))),
}

# Doors that write no pay input, each with the reason (a door missing from both tables fails).
NO_PAY_INPUT = {
    "auth.user": "logins (roles change through manager_set_role)",
    "auth.group": "role groups, read-only",
    "salesops.importrowerror": "the importer's error rows",
    "salesops.importpreset": "column layouts of files",
    "salesops.statusmapping": "how a file's statuses read (used by later imports)",
    "salesops.manageralias": "how a file names a manager (used by later imports)",
    "salesops.dailymanagerstats": "figures refreshed from the calls, read-only",
    "salesops.importconflict:add": "conflicts are made by imports only (no add permission)",
    "salesops.importconflict:change": "read-only",
    "salesops.importconflict:delete": "never deleted",
    "salesops.importconflict:action:reject": "keeps the stored call: writes the decision only",
    "salesops.team": "a team's name and code",
    "salesops.manager:delete": "nobody deletes a person (the policy allows no delete)",
    "salesops.manager:action:delete_selected": "not offered: nobody deletes a person",
    "salesops.importbatch:action:delete_selected": "a batch's calls protect it from deletion",
    "salesops.importconflict:action:delete_selected": "not offered: conflicts are decided",
    "salesops.auditentry": "the audit trail, read-only",
    "ingest.integration": "PBXs that post calls: their calls are written by the ingestion "
                          "service (driven as api:calls:create and in tests/ingest)",
    "ingest.refusedrequest": "refused requests, read-only",
    "partner_portal.payoutdetails": "where a partner is paid: asked by the partner, confirmed "
                                    "by an admin, audited (no pay of managers depends on it)",
    "leads.partner": "partners' terms (the partner statements are not pay inputs of managers)",
    "payouts.compensationplan": "plans are configuration, versioned",
    "payouts.planversion": "plans are configuration, versioned",
    "payouts.plancomponent": "plans are configuration, versioned",
    "payouts.payoutrun": "runs, their approval and computation: what pay is, not its inputs",
    "payouts.payoutline": "computed lines, read-only",
    "payouts.partnerstatement": "computed statements, read-only",
    "vendors.vendor": "a vendor's terms and contracts (configuration, like plans)",
    "vendors.pilot": "a pilot's name, dates and contract (a report's configuration)",
    "vendors.vendorguest": "a guest login's vendor",
    "api:payout-runs:approve": "a run's approval",
    "api:payout-runs:mark_paid": "a run marked paid",
    "api:payout-runs:recompute": "a request to compute a run again (pay is computed from the "
                                 "inputs, not one of them)",
    "api:payout-inquiries:decide": "an answer to a manager's question",
}
NO_PAY_INPUT_RESOURCES = {"ManagerResource": "people; their first membership is driven above",
                          "PartnerResource": "partners' terms"}


def _admin_doors() -> set[str]:
    """Every door of every admin: add, change, delete, each action an owner or admin is
    offered, each import resource."""
    doors = set()
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        doors |= {f"{label}:add", f"{label}:change", f"{label}:delete"}
        for name in (model_admin.actions or []):
            doors.add(f"{label}:action:{getattr(name, '__name__', name)}")
        doors.add(f"{label}:action:delete_selected")  # the site's, offered by permission
        for resource in getattr(model_admin, "resource_classes", None) or []:
            doors.add(f"{label}:import:{resource.__name__}")
    return doors


def _api_doors() -> set[str]:
    doors = set()
    for prefix, viewset, _basename in router.registry:
        writes = {"create", "update", "partial_update", "destroy"} & set(dir(viewset))
        doors |= {f"api:{prefix}:{name}" for name in writes}
        for action in viewset.get_extra_actions():
            if set(action.mapping) - {"get", "head", "options"}:
                doors.add(f"api:{prefix}:{action.__name__}")
    return doors


def test_every_door_that_can_write_a_pay_input_is_driven_by_this_walk():
    pay_inputs = {model._meta.label_lower for model in pay_input_models()}
    doors = _admin_doors() | _api_doors()
    undriven = set()
    for door in doors:
        label = door.split(":")[0]
        if door in DOORS:
            continue
        if label in pay_inputs:
            # A pay input's own admin: every door of it is driven, none waved through.
            undriven.add(door)
        elif door not in NO_PAY_INPUT and label not in NO_PAY_INPUT:
            undriven.add(door)
    assert sorted(undriven) == []
    # And no recipe drives a door that is gone (a variant is the door's name, "-", what differs).
    assert [key for key in DOORS
            if not any(key == door or key.startswith(door + "-") for door in doors)] == []


def test_every_import_resource_of_a_pay_input_writes_through_the_layer():
    import leads.resources  # noqa: F401 - every resource module is loaded by the admin anyway
    import salesops.imports.resources  # noqa: F401

    pay_inputs = set(pay_input_models())
    resources, seen = [ModelResource], set()
    while resources:
        for sub in resources.pop().__subclasses__():
            resources.append(sub)
            if sub.__module__.split(".")[0] in {"salesops", "leads", "payouts"}:
                seen.add(sub)
    wrong = sorted(r.__name__ for r in seen
                   if r._meta.model in pay_inputs and not issubclass(r, WritesThroughTheLayer))
    unknown = sorted(r.__name__ for r in seen if r._meta.model not in pay_inputs
                     and r.__name__ not in NO_PAY_INPUT_RESOURCES)
    driven = {door.split(":")[2].split("-")[0] for door in DOORS if ":import:" in door}
    undriven = sorted(r.__name__ for r in seen if r._meta.model in pay_inputs
                      and r.__name__ not in driven)
    assert (wrong, unknown, undriven) == ([], [], [])


@pytest.fixture
def world(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(TODAY, tick=False):
        w = world_build(tmp_path)
        w.rows["boris_profile"] = w.people["boris"]
        yield w


def _new_audit_actions(before_pk: int) -> list[str]:
    return sorted(AuditEntry.objects.filter(pk__gt=before_pk).values_list("action", flat=True))


@pytest.mark.parametrize("door", sorted(DOORS))
def test_the_door_writes_through_the_layer_or_is_refused_with_nothing_changed(
        world, client, door):
    recipe = DOORS[door]
    client.force_login(world.user(recipe.as_user))
    before, marked_before = pay_state(), marks()
    last_audit = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = recipe.drive(client, world)
    if isinstance(recipe.then, Refused):
        assert response.status_code == recipe.then.status
        assert recipe.then.says in response.content.decode()
        assert pay_state() == before
        return
    assert response.status_code == 200, response.content.decode()[:3000]
    assert _new_audit_actions(last_audit) == sorted(recipe.then.actions)
    people = {manager.pk: username for username, manager in world.people.items()}
    people.update({pk: "someone new" for pk in marks() if pk not in people})
    bumped = {(people[pk], month) for (pk, month), version in marks().items()
              if version > marked_before.get((pk, month), 0)}
    assert bumped == set(recipe.then.marked)


def test_a_door_that_bypasses_the_layer_breaks_the_walk(world, client, monkeypatch):
    """The guard behind the walk: were the call admin to save the model itself, its door
    would fail at once instead of writing an unaudited, unmarked call of an approved month."""
    from salesops.admin import CallLogAdmin
    from salesops.inputs import PayInputBypass

    monkeypatch.setattr(CallLogAdmin, "save_model",
                        lambda self, request, obj, form, change: obj.save())
    client.force_login(world.user("admin"))
    before = pay_state()
    with pytest.raises(PayInputBypass):
        _change("salesops.calllog", "nov_call", talk_s="10")(client, world)
    assert pay_state() == before

