"""A small organisation with every kind of pay input, an approved November and an open December,
and the helpers that drive the admin's doors as a browser does (tests/inputs/test_doors.py)."""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms

from leads.models import MilestoneKind
from leads.services import lead_create, lead_milestone_set, payment_create
from payouts.exceptions import commission_exception_request
from salesops.imports.services import import_file
from salesops.inputs import period_lock
from salesops.inputs.guard import pay_input_models
from salesops.models import (
    AuditEntry,
    ImportConflict,
    Manager,
    MonthlyPlan,
    PayoutInputChange,
    Role,
)
from tests.factories import CallFactory, TeamFactory, WorkShiftFactory
from tests.fixtures import hostile
from tests.payouts.factories import person
from tests.payouts.helpers import DECEMBER, NOVEMBER, moscow

TODAY = moscow(2026, 12, 8, 10, 0)


@dataclass
class World:
    people: dict = field(default_factory=dict)  # username → Manager
    rows: dict = field(default_factory=dict)  # name → a row of a pay input
    teams: dict = field(default_factory=dict)
    audit_from: int = 0  # the last audit row written while the world was built

    def user(self, username: str):
        return self.people[username].user


def world_build(tmp_path) -> World:
    """North's November is approved; December is open. Anna and Boris work in north."""
    w = World()
    w.teams = {"north": TeamFactory(code="north", name="North"),
               "south": TeamFactory(code="south", name="South")}
    north = w.teams["north"]
    for username, role, team in (("anna", Role.MANAGER, north), ("boris", Role.MANAGER, north),
                                 ("head", Role.SALES_HEAD, north), ("admin", Role.ADMIN, None),
                                 ("owner", Role.OWNER, None)):
        w.people[username] = person(role, team, username=username)
    Manager.objects.filter(pk=w.people["anna"].pk).update(extension=hostile.EXTENSION)
    anna, boris = w.people["anna"], w.people["boris"]
    r = w.rows
    r["nov_call"] = CallFactory(manager=anna, external_id="nov",
                                started_at=moscow(2026, 11, 10, 10, 0), talk_s=40)
    r["conflict_call"] = CallFactory(manager=anna, external_id="nov-2",
                                     started_at=moscow(2026, 11, 11, 10, 0), talk_s=40)
    r["dec_call"] = CallFactory(manager=anna, external_id="dec",
                                started_at=moscow(2026, 12, 2, 10, 0), talk_s=40)
    r["nov_shift"] = WorkShiftFactory(manager=anna, started_at=moscow(2026, 11, 10, 9, 0))
    r["dec_shift"] = WorkShiftFactory(manager=anna, started_at=moscow(2026, 12, 2, 9, 0))
    r["nov_plan"] = MonthlyPlan.objects.create(
        manager=anna, month=NOVEMBER, target_conversations=1200, target_confirmed_leads=20,
        target_revenue=Decimal("100000.00"))
    r["dec_plan"] = MonthlyPlan.objects.create(
        manager=anna, month=DECEMBER, target_conversations=1300, target_confirmed_leads=20,
        target_revenue=Decimal("100000.00"))
    r["free_lead"] = lead_create(owner=anna, source="cold_call", phone="+79160000001",
                                 created_at=moscow(2026, 12, 1, 9, 0), company="Free")
    r["lead"] = lead_create(owner=anna, source="cold_call", phone="+79160000002",
                            created_at=moscow(2026, 11, 1, 9, 0), company="Kept")
    r["milestone"] = lead_milestone_set(lead=r["lead"], kind=MilestoneKind.CONFIRMED,
                                        at=moscow(2026, 12, 3, 12, 0))
    r["payment"] = payment_create(lead=r["lead"], amount=Decimal("1000.00"),
                                  received_on=datetime.date(2026, 12, 3))
    r["first"] = lead_create(owner=anna, source="cold_call", phone="+79160000003",
                             created_at=moscow(2026, 11, 2, 9, 0), company="First")
    r["newcomer"] = lead_create(owner=boris, source="cold_call", phone="+79160000003",
                                created_at=moscow(2026, 12, 3, 9, 0), company="Newcomer")
    lead_milestone_set(lead=r["newcomer"], kind=MilestoneKind.CONFIRMED,
                       at=moscow(2026, 12, 4, 9, 0))
    r["exception"] = commission_exception_request(
        lead=r["lead"], kind="rate", rate=Decimal("5"), reason="a lower rate was agreed",
        requested_by=w.user("head"))
    path = tmp_path / "december.csv"
    path.write_text(hostile.csv_text([
        hostile.row(1, when="2026-12-04 11:00:00", call_id="imported-1"),
        hostile.row(2, when="2026-12-04 12:00:00", call_id="imported-2"),
    ]))
    r["batch"] = import_file(path=path, created_by=w.user("admin"))
    call = r["conflict_call"]
    r["conflict"] = ImportConflict.objects.create(
        batch=r["batch"], call=call, line=2, old_manager=anna, new_manager=anna,
        old_started_at=call.started_at, new_started_at=call.started_at,
        old_duration_s=60, new_duration_s=90, old_talk_s=40, new_talk_s=70,
        old_outcome=call.outcome, new_outcome=call.outcome,
        new_direction="out", new_phone="+79160000000")
    r["anna_membership"] = anna.memberships.get()
    period_lock(team_id=north.pk, month=NOVEMBER, status="approved")
    # The audit trail is append-only (a trigger on PostgreSQL): the tests read what comes after.
    w.audit_from = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    PayoutInputChange.objects.all().delete()
    return w


def audit_since(w: World):
    """The audit rows written after the world was built."""
    return AuditEntry.objects.filter(pk__gt=w.audit_from)


def pay_state() -> dict:
    """Every row of every pay input, the audit trail's length and the change marks."""
    state = {model._meta.label: list(model._base_manager.order_by("pk").values())
             for model in pay_input_models()}
    state["audit entries"] = AuditEntry.objects.count()
    state["marks"] = sorted(PayoutInputChange.objects.values_list("manager_id", "month",
                                                                   "version"))
    return state


def marks() -> dict:
    return {(m, month): version for m, month, version in
            PayoutInputChange.objects.values_list("manager_id", "month", "version")}


def form_data(response, **changes) -> dict:
    """What the admin's change page would post back unchanged, with ``changes`` applied."""
    data = {}
    forms_ = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_fields(formset.management_form))
        forms_.extend(formset.forms)
    for form in forms_:
        data.update(_fields(form))
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _fields(form) -> dict:
    data = {}
    for bound in form:
        widget, value = bound.field.widget, bound.value()
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value)
            for i, part in enumerate(parts):
                data[f"{bound.html_name}_{i}"] = "" if part is None else _text(part)
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif value is None:
            data[bound.html_name] = ""
        elif isinstance(value, (list, tuple)):
            data[bound.html_name] = [_text(v) for v in value]
        else:
            data[bound.html_name] = _text(value)
    return data


def _text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def upload(text: str, name: str = "rows.csv"):
    handle = io.BytesIO(text.encode())
    handle.name = name
    return handle


def admin_import(client, url: str, text: str):
    """The admin's import: the preview, then (when it shows no error) the confirm step.
    Returns the preview's and the confirm's responses (the confirm's is None when refused)."""
    preview = client.post(url, {"import_file": upload(text), "format": "0", "resource": "0"})
    assert preview.status_code == 200, preview.status_code
    confirm_form = preview.context.get("confirm_form")
    if confirm_form is None:
        return preview, None
    confirmed = client.post(url.replace("/import/", "/process_import/"),
                            {**confirm_form.initial, "resource": "0"}, follow=True)
    return preview, confirmed


def changed_rows(before: dict, after: dict) -> dict:
    return {label: rows for label, rows in after.items() if before[label] != rows}

