"""The audit trail in words: each row of ``AuditEntry`` as a sentence a person reads ("Approved
the pay of North for November 2026: ₽1,200.00 to pay"), in the reader's language, with people,
teams and leads by name — never the stored codes.

Reads the row's own before/after data and, where the row names an object only by id, that
object's name. An action this module does not know yet still reads as words: the object's
kind by its name and what happened to it (created, changed, deleted, rolled back).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .formatting import format_money, format_month

# What each action is called, for lists and filters.
ACTION_LABELS = {
    "payout_run_computed": gettext_lazy("Pay computed"),
    "payout_run_recomputed": gettext_lazy("Pay recomputed"),
    "payout_run_approved": gettext_lazy("Pay approved"),
    "payout_run_paid": gettext_lazy("Pay marked paid"),
    "payroll_exported": gettext_lazy("Payroll exported"),
    "role_granted": gettext_lazy("Role changed"),
    "milestone_corrected": gettext_lazy("Lead history corrected"),
    "duplicate_keep_first": gettext_lazy("Duplicate decided"),
    "duplicate_credit_newcomer": gettext_lazy("Duplicate decided"),
    "duplicate_merged": gettext_lazy("Duplicate decided"),
    "import_conflict_accept": gettext_lazy("Import conflict decided"),
    "import_conflict_reject": gettext_lazy("Import conflict decided"),
    "import_batch_finished": gettext_lazy("Calls imported"),
    "import_batch_rolled_back": gettext_lazy("Import rolled back"),
    "partner_statement_finalised": gettext_lazy("Partner statement finalised"),
    "partner_statement_paid": gettext_lazy("Partner statement paid"),
    "inquiry_raised": gettext_lazy("Question about pay asked"),
    "inquiry_accepted": gettext_lazy("Question about pay accepted"),
    "inquiry_rejected": gettext_lazy("Question about pay rejected"),
    "exception_requested": gettext_lazy("Exception requested"),
    "exception_approved": gettext_lazy("Exception approved"),
    "exception_rejected": gettext_lazy("Exception rejected"),
    "call_added": gettext_lazy("Call added"),
    "call_changed": gettext_lazy("Call changed"),
    "call_deleted": gettext_lazy("Call deleted"),
    "shift_added": gettext_lazy("Shift added"),
    "shift_changed": gettext_lazy("Shift changed"),
    "shift_deleted": gettext_lazy("Shift deleted"),
    "targets_set": gettext_lazy("Targets set"),
    "targets_changed": gettext_lazy("Targets changed"),
    "targets_deleted": gettext_lazy("Targets deleted"),
    "membership_changed": gettext_lazy("Team changed"),
    "lead_reassigned": gettext_lazy("Lead reassigned"),
    "lead_changed": gettext_lazy("Lead changed"),
    "milestone_set": gettext_lazy("Lead step recorded"),
    "payment_received": gettext_lazy("Payment recorded"),
    "payment_refunded": gettext_lazy("Refund recorded"),
    "qa_verdict": gettext_lazy("Listening verdict"),
    "vendor_statement_final": gettext_lazy("Vendor statement made final"),
    "vendor_statement_paid": gettext_lazy("Vendor statement paid"),
    "vendor_top_up": gettext_lazy("Vendor balance topped up"),
}

# The last word of an action nobody has described yet ("payment_created").
VERBS = {
    "created": gettext_lazy("created"), "added": gettext_lazy("added"),
    "changed": gettext_lazy("changed"), "updated": gettext_lazy("changed"),
    "deleted": gettext_lazy("deleted"), "removed": gettext_lazy("deleted"),
    "imported": gettext_lazy("imported"), "finished": gettext_lazy("finished"),
    "rolled_back": gettext_lazy("rolled back"), "written": gettext_lazy("written"),
    "approved": gettext_lazy("approved"), "rejected": gettext_lazy("rejected"),
}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    return audit_entry_text(_Bare(action)) if action else ""


class _Bare:
    """An action without a row (for a filter's label)."""

    def __init__(self, action):
        self.action, self.object_type, self.object_id = action, "", 0
        self.before, self.after, self.comment = {}, {}, ""


def audit_entry_text(entry) -> str:
    """What the row records, as a sentence."""
    after, before = entry.after or {}, entry.before or {}
    action = entry.action
    describe = _DESCRIBE.get(action)
    if describe is not None:
        try:
            return describe(entry, before, after)
        except (LookupError, TypeError, ValueError):
            pass  # a row written by an older version: the generic words below
    return _generic(entry)


# --- the actions ---------------------------------------------------------------------------

def _run_values(after: dict) -> dict:
    return {"team": _team_name(after.get("team")), "month": _month(after.get("month"))}


def _computed(entry, before, after):
    return _("Asked to compute the pay of %(team)s for %(month)s (%(people)s people).") % {
        **_run_values(after), "people": after.get("people", "—")}


def _recomputed(entry, before, after):
    return _("Asked to recompute the pay of %(team)s for %(month)s: %(people)s people whose "
             "inputs changed.") % {**_run_values(after), "people": after.get("people", "—")}


def _approved(entry, before, after):
    return _("Approved the pay of %(team)s for %(month)s: %(total)s to pay, %(held)s held.") % {
        **_run_values(after), "total": _money(after.get("total")),
        "held": _money(after.get("held"))}


def _paid(entry, before, after):
    return _("Marked the pay of %(team)s for %(month)s paid.") % _run_values(after)


def _exported(entry, before, after):
    return _("Exported the payroll of %(team)s for %(month)s (%(format)s, %(people)s people).") % {
        **_run_values(after), "format": str(after.get("format", "")).upper(),
        "people": after.get("people", "—")}


def _role(entry, before, after):
    from .models import Manager, Role

    person = Manager.objects.filter(pk=entry.object_id).select_related("user").first()
    role = str(Role(after["role"]).label).lower() if after.get("role") else "—"
    values = {"person": str(person) if person else "—", "role": role}
    team = _team_name_by_id(after.get("team"))
    if team:
        return _("Made %(person)s %(role)s of %(team)s.") % {**values, "team": team}
    return _("Made %(person)s %(role)s.") % values


def _milestone(entry, before, after):
    from leads.models import MilestoneKind

    return _("Corrected the history of lead «%(lead)s»: the step «%(step)s» of %(date)s no "
             "longer counts.") % {
        "lead": _lead(entry.object_id),
        "step": str(MilestoneKind(before["kind"]).label).lower() if before.get("kind") else "—",
        "date": _date(before.get("at"))}


def _duplicate(entry, before, after):
    words = {
        "duplicate_keep_first": _("Lead «%(lead)s», a duplicate: it stays with the first touch."),
        "duplicate_credit_newcomer": _("Lead «%(lead)s», a duplicate: credited to the newcomer."),
        "duplicate_merged": _("Lead «%(lead)s», a duplicate: merged into the first lead."),
    }
    return words[entry.action] % {"lead": _lead(entry.object_id)}


def _conflict(entry, before, after):
    if entry.action == "import_conflict_accept":
        return _("Import conflict: the file's version of a call of a locked month was taken; "
                 "the next open month pays the difference.")
    return _("Import conflict: the stored version of the call was kept.")


def _import(entry, before, after):
    values = {"file": after.get("file") or after.get("file_name") or "—",
              "rows": after.get("created", after.get("rows", "—"))}
    if entry.action == "import_batch_rolled_back":
        return _("Rolled back the import of %(file)s.") % values
    return _("Imported calls from %(file)s (%(rows)s calls).") % values


def _statement(entry, before, after):
    statement = _object(entry)
    values = {"partner": str(statement.partner) if statement else "—",
              "month": _month(statement.month) if statement else "—",
              "payable": _money(after.get("payable"))}
    if entry.action == "partner_statement_paid":
        return _("Marked the statement of %(partner)s for %(month)s paid: %(payable)s.") % values
    return _("Finalised the statement of %(partner)s for %(month)s: %(payable)s payable.") % values


def _inquiry(entry, before, after):
    inquiry = _object(entry)
    values = {"person": str(inquiry.manager) if inquiry else "—",
              "line": str(inquiry.get_line_kind_display()) if inquiry else "—",
              "month": _month(inquiry.run.month) if inquiry else "—"}
    words = {
        "inquiry_raised": _("%(person)s asked about the line «%(line)s» of %(month)s."),
        "inquiry_accepted": _("Accepted the question of %(person)s about the line «%(line)s» "
                              "of %(month)s."),
        "inquiry_rejected": _("Rejected the question of %(person)s about the line «%(line)s» "
                              "of %(month)s."),
    }
    return words[entry.action] % values


def _exception(entry, before, after):
    from payouts.models import ExceptionKind

    values = {"lead": _lead(after.get("lead")),
              "kind": str(ExceptionKind(after["kind"]).label).lower() if after.get("kind")
              else "—"}
    words = {
        "exception_requested": _("Asked for an exception on lead «%(lead)s»: %(kind)s."),
        "exception_approved": _("Approved the exception on lead «%(lead)s»: %(kind)s."),
        "exception_rejected": _("Rejected the exception on lead «%(lead)s»: %(kind)s."),
    }
    return words[entry.action] % values


# --- writes of pay inputs (salesops.inputs) ---------------------------------------------------

def _call(entry, before, after):
    state = after or before
    values = {"person": _manager(state.get("manager")), "at": _datetime(state.get("started_at")),
              "talk": state.get("talk_s", "—")}
    words = {
        "call_added": _("Added a call of %(person)s at %(at)s (%(talk)s s of talk)."),
        "call_changed": _("Changed the call of %(person)s at %(at)s (now %(talk)s s of talk)."),
        "call_deleted": _("Deleted the call of %(person)s at %(at)s."),
    }
    return words[entry.action] % values


def _shift(entry, before, after):
    state = after or before
    values = {"person": _manager(state.get("manager")), "from": _datetime(state.get("started_at")),
              "to": _datetime(state.get("ended_at"))}
    words = {
        "shift_added": _("Added a shift of %(person)s, %(from)s – %(to)s."),
        "shift_changed": _("Changed the shift of %(person)s to %(from)s – %(to)s."),
        "shift_deleted": _("Deleted the shift of %(person)s, %(from)s – %(to)s."),
    }
    return words[entry.action] % values


def _targets(entry, before, after):
    state = after or before
    values = {"person": _manager(state.get("manager")), "month": _month(state.get("month")),
              "conversations": state.get("target_conversations", "—"),
              "confirmed": state.get("target_confirmed_leads", "—"),
              "revenue": _money(state.get("target_revenue"))}
    if entry.action == "targets_deleted":
        return _("Deleted the targets of %(person)s for %(month)s.") % values
    return _("Targets of %(person)s for %(month)s: %(conversations)s conversations, "
             "%(confirmed)s confirmed leads, %(revenue)s of revenue.") % values


def _membership(entry, before, after):
    values = {"person": _manager(entry.object_id), "team": _team_name_by_id(after.get("team"))
              or _("no team"), "date": _date(after.get("since"))}
    return _("%(person)s moved to %(team)s from %(date)s.") % values


def _lead_write(entry, before, after):
    lead = _lead(entry.object_id)
    if entry.action == "lead_reassigned":
        return _("Lead «%(lead)s» reassigned from %(old)s to %(new)s from %(date)s.") % {
            "lead": lead, "old": _manager(before.get("owner")), "new": _manager(after.get("owner")),
            "date": _date(after.get("since"))}
    return _("Changed lead «%(lead)s».") % {"lead": lead}


def _milestone_set(entry, before, after):
    from leads.models import MilestoneKind

    milestone = _object(entry)
    return _("Lead «%(lead)s»: %(step)s on %(date)s.") % {
        "lead": str(milestone.lead) if milestone else "—",
        "step": str(MilestoneKind(after["status"]).label).lower() if after.get("status") else "—",
        "date": _date(after.get("at"))}


def _payment(entry, before, after):
    payment = _object(entry)
    values = {"lead": str(payment.lead) if payment else "—", "amount": _money(after.get("amount")),
              "date": _date(after.get("received_on"))}
    if entry.action == "payment_refunded":
        return _("Refund of %(amount)s on lead «%(lead)s», %(date)s.") % values
    return _("Payment of %(amount)s on lead «%(lead)s», %(date)s.") % values


def _qa_verdict(entry, before, after):
    verdict = apps.get_model("vendors", "QaVerdict").objects.filter(pk=entry.object_id).first()
    labels = dict(apps.get_model("vendors", "QaVerdict")._meta.get_field("verdict").choices)
    what = (_("call %(id)s") % {"id": verdict.call_id} if verdict and verdict.call_id
            else _("lead %(id)s") % {"id": verdict.lead_id} if verdict else "—")
    text = _("Judged %(what)s after listening: %(verdict)s.") % {
        "what": what, "verdict": str(labels[after["verdict"]]).lower()}
    return f"{text} {after['note']}" if after.get("note") else text


def _vendor_statement(entry, before, after):
    statement = (apps.get_model("vendors", "VendorStatement").objects
                 .filter(pk=entry.object_id).select_related("vendor").first())
    values = {"vendor": statement.vendor.name if statement else "—",
              "month": _month(statement.month) if statement else "—",
              "total": _money(after.get("total"))}
    if entry.action == "vendor_statement_paid":
        return _("Marked the statement of %(vendor)s for %(month)s paid: %(total)s.") % values
    return _("Made the statement of %(vendor)s for %(month)s final: %(total)s.") % values


def _vendor_top_up(entry, before, after):
    vendor = apps.get_model("vendors", "Vendor").objects.filter(code=after["vendor"]).first()
    return _("Topped up the prepaid balance of %(vendor)s by %(amount)s.") % {
        "vendor": vendor.name if vendor else after["vendor"], "amount": _money(after["amount"])}


_DESCRIBE = {
    "qa_verdict": _qa_verdict, "vendor_statement_final": _vendor_statement,
    "vendor_statement_paid": _vendor_statement, "vendor_top_up": _vendor_top_up,
    "call_added": _call, "call_changed": _call, "call_deleted": _call,
    "shift_added": _shift, "shift_changed": _shift, "shift_deleted": _shift,
    "targets_set": _targets, "targets_changed": _targets, "targets_deleted": _targets,
    "membership_changed": _membership, "lead_reassigned": _lead_write,
    "lead_changed": _lead_write, "milestone_set": _milestone_set,
    "payment_received": _payment, "payment_refunded": _payment,
    "payout_run_computed": _computed, "payout_run_recomputed": _recomputed,
    "payout_run_approved": _approved, "payout_run_paid": _paid, "payroll_exported": _exported,
    "role_granted": _role, "milestone_corrected": _milestone,
    "duplicate_keep_first": _duplicate, "duplicate_credit_newcomer": _duplicate,
    "duplicate_merged": _duplicate,
    "import_conflict_accept": _conflict, "import_conflict_reject": _conflict,
    "import_batch_finished": _import, "import_batch_rolled_back": _import,
    "partner_statement_finalised": _statement, "partner_statement_paid": _statement,
    "inquiry_raised": _inquiry, "inquiry_accepted": _inquiry, "inquiry_rejected": _inquiry,
    "exception_requested": _exception, "exception_approved": _exception,
    "exception_rejected": _exception,
}


def _generic(entry) -> str:
    """An action described nowhere above: the object's kind by name and what happened."""
    model = _model(entry.object_type)
    thing = str(model._meta.verbose_name) if model else _("a record")
    verb = next((str(word) for suffix, word in VERBS.items()
                 if entry.action.endswith(suffix)), _("recorded"))
    if not entry.object_id:
        return _("%(thing)s: %(what)s") % {"thing": thing[:1].upper() + thing[1:], "what": verb}
    return _("%(thing)s %(id)s: %(what)s") % {"thing": thing[:1].upper() + thing[1:],
                                               "id": entry.object_id, "what": verb}


# --- names ---------------------------------------------------------------------------------

def _model(label: str):
    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def _object(entry):
    model = _model(entry.object_type)
    return model._default_manager.filter(pk=entry.object_id).first() if model else None


def _team_name(code) -> str:
    from .models import Team

    if not code:
        return "—"
    return Team.objects.filter(code=code).values_list("name", flat=True).first() or str(code)


def _team_name_by_id(pk) -> str:
    from .models import Team

    if not pk:
        return ""
    return Team.objects.filter(pk=pk).values_list("name", flat=True).first() or ""


def _lead(pk) -> str:
    from leads.models import Lead

    lead = Lead.objects.filter(pk=pk).first() if pk else None
    return str(lead) if lead else "—"


def _manager(pk) -> str:
    from .models import Manager

    person = Manager.objects.filter(pk=pk).select_related("user").first() if pk else None
    return str(person) if person else "—"


def _datetime(value) -> str:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        from .periods import organisation_zone

        return timezone.localtime(value, organisation_zone()).strftime("%d.%m.%Y %H:%M")
    return "—"


def _month(value) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    return format_month(value) if value else "—"


def _date(value) -> str:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.strftime("%d.%m.%Y") if value else "—"


def _money(value) -> str:
    try:
        return format_money(Decimal(str(value)).quantize(Decimal("0.01")))
    except (InvalidOperation, TypeError, ValueError):
        return "—"
