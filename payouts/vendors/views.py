"""Pages of the outsourced call centres: the vendor, its statements, pilots, QA listening and
the what-if comparison. Views parse input, ask the access policy about the row, call a service
or a selector and render."""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payouts.models import CompensationPlan
from salesops import policy
from salesops.models import CallLog, Team
from salesops.params import month_param
from salesops.periods import current_month, next_month, parse_month

from . import selectors
from .balance import BalanceError, vendor_balance_top_up
from .export import statement_pdf, statement_xlsx
from .models import Pilot, Vendor, VendorStatement, Verdict
from .statements import (
    VendorStatementError,
    vendor_statement_compute,
    vendor_statement_finalise,
    vendor_statement_mark_paid,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(request, model, pk: int, resource: str, action: str = policy.VIEW):
    """A row the user may see (else 404, as for a row that is not there), then ``action``."""
    row = get_object_or_404(model, pk=pk)
    if not policy.may(request.user, policy.VIEW, resource, row):
        raise Http404
    policy.require(request.user, action, resource, row)
    return row


@policy.policy_required(policy.VIEW, "vendors")
def vendor_list(request):
    pilots = (Pilot.objects.select_related("vendor", "team").order_by("-starts_on")
              if policy.may(request.user, policy.VIEW, "pilots") else [])
    return render(request, "vendors/list.html", {
        "vendors": selectors.vendor_rows(), "pilots": pilots,
        "may_compare": policy.may(request.user, policy.VIEW, "compensation_plans")})


@policy.policy_required(policy.VIEW, "vendors")
def vendor_page(request, vendor_id: int):
    vendor = _row(request, Vendor, vendor_id, "vendors")
    return render(request, "vendors/vendor.html", {
        "page": selectors.vendor_page(vendor), "vendor": vendor,
        "may_compute": policy.may(request.user, policy.COMPUTE_RUN, "vendor_statements"),
        "may_top_up": policy.may(request.user, policy.CREATE, "balance_entries"),
        "may_change": policy.may(request.user, policy.CHANGE, "vendors", vendor),
        "this_month": current_month(),
    })


@require_POST
@policy.policy_required(policy.COMPUTE_RUN, "vendor_statements")
def vendor_compute(request, vendor_id: int):
    vendor = _row(request, Vendor, vendor_id, "vendors")
    try:
        month = parse_month(request.POST.get("month") or f"{current_month():%Y-%m}")
    except ValueError:
        raise BadRequest(_("“month” is a month written YYYY-MM.")) from None
    try:
        statement = vendor_statement_compute(vendor=vendor, month=month, by=request.user)
    except VendorStatementError as error:
        messages.error(request, str(error))
        return redirect("vendors:vendor", vendor.pk)
    return redirect("vendors:statement", statement.pk)


@require_POST
@policy.policy_required(policy.CREATE, "balance_entries")
def vendor_top_up(request, vendor_id: int):
    vendor = _row(request, Vendor, vendor_id, "vendors")
    try:
        amount = Decimal(request.POST.get("amount", "").replace(",", ".").replace(" ", ""))
        vendor_balance_top_up(vendor=vendor, amount=amount, by=request.user,
                              note=request.POST.get("note", "")[:300])
    except (InvalidOperation, BalanceError):
        messages.error(request, _("A top-up is a positive amount."))
    else:
        messages.success(request, _("The balance is topped up."))
    return redirect("vendors:vendor", vendor.pk)


@policy.policy_required(policy.VIEW, "vendor_statements")
def statement_page(request, statement_id: int):
    statement = _row(request, VendorStatement, statement_id, "vendor_statements")
    user = request.user
    return render(request, "vendors/statement.html", {
        "statement": statement, "lines": selectors.statement_lines(statement),
        "may_finalise": statement.status == VendorStatement.Status.DRAFT and policy.may(
            user, policy.APPROVE_RUN, "vendor_statements", statement),
        "may_pay": statement.status == VendorStatement.Status.FINAL and policy.may(
            user, policy.MARK_PAID, "vendor_statements", statement),
        "may_see_vendor": policy.may(user, policy.VIEW, "vendors", statement.vendor),
    })


@require_POST
@policy.policy_required(policy.APPROVE_RUN, "vendor_statements")
def statement_finalise(request, statement_id: int):
    statement = _row(request, VendorStatement, statement_id, "vendor_statements",
                     policy.APPROVE_RUN)
    try:
        vendor_statement_finalise(statement=statement, by=request.user)
    except VendorStatementError as error:
        messages.error(request, str(error))
    return redirect("vendors:statement", statement.pk)


@require_POST
@policy.policy_required(policy.MARK_PAID, "vendor_statements")
def statement_pay(request, statement_id: int):
    statement = _row(request, VendorStatement, statement_id, "vendor_statements",
                     policy.MARK_PAID)
    try:
        vendor_statement_mark_paid(statement=statement, by=request.user)
    except VendorStatementError as error:
        messages.error(request, str(error))
    return redirect("vendors:statement", statement.pk)


@policy.policy_required(policy.EXPORT, "vendor_statements")
def statement_file(request, statement_id: int):
    statement = _row(request, VendorStatement, statement_id, "vendor_statements",
                     policy.EXPORT)
    kind = request.GET.get("format", "pdf")
    name = f"{statement.vendor.code}-{statement.month:%Y-%m}"
    if kind == "xlsx":
        response = HttpResponse(statement_xlsx(statement), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    elif kind == "pdf":
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    else:
        raise BadRequest(_("“format” is pdf or xlsx."))
    return response


@policy.policy_required(policy.VIEW, "vendor_statements")
def guest_home(request):
    """A vendor guest's start: own vendor's statements and the listening sample."""
    statements = policy.scoped(request.user, policy.VIEW, "vendor_statements").select_related(
        "vendor").order_by("vendor__name", "-month")
    return render(request, "vendors/guest.html", {
        "statements": statements,
        "vendors": sorted({s.vendor for s in statements}, key=lambda v: v.name)
        or list(_guest_vendors(request.user)),
    })


def _guest_vendors(user):
    guest = getattr(user, "vendor_guest", None)
    return [guest.vendor] if guest is not None else []


def month_or_last(request) -> datetime.date:
    return month_param(request, lambda: (current_month() - datetime.timedelta(days=1))
                       .replace(day=1))


def _validation_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- pilots ----------------------------------------------------------------------------------

def _margin(request) -> Decimal:
    text = request.GET.get("margin", "") or "0"
    try:
        margin = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise BadRequest(_("“margin” is a decimal fraction, e.g. 0.20.")) from None
    if not margin.is_finite() or margin < -1 or margin > 100:
        raise BadRequest(_("“margin” is a decimal fraction, e.g. 0.20."))
    return margin


@policy.policy_required(policy.VIEW, "pilots")
def pilot_page(request, pilot_id: int):
    from .pilots import pilot_report
    from .reports import pilot_json, pilot_xlsx

    pilot = _row(request, Pilot, pilot_id, "pilots")
    report = pilot_report(pilot=pilot, margin=_margin(request))
    kind = request.GET.get("format", "")
    if kind:
        policy.require(request.user, policy.EXPORT, "pilots", pilot)
        if kind == "json":
            return HttpResponse(pilot_json(report), content_type="application/json")
        if kind == "xlsx":
            response = HttpResponse(pilot_xlsx(report), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{pilot.code}.xlsx"'
            return response
        raise BadRequest(_("“format” is json or xlsx."))
    top = max((s.count for s in report.funnel), default=0) or 1
    return render(request, "vendors/pilot.html", {
        "pilot": pilot, "report": report,
        "bars": [(s, round(100 * s.count / top)) for s in report.funnel],
        "chart": {"labels": [s.label for s in report.funnel],
                  "counts": [s.count for s in report.funnel]},
    })


# --- listening (QA) --------------------------------------------------------------------------

def _vendor_for_listening(request, vendor_id: int) -> Vendor:
    """The vendor whose sample the user may hear: any for those who see every verdict; a
    guest only own vendor's (else 404, as for a vendor that is not there)."""
    vendor = get_object_or_404(Vendor, pk=vendor_id)
    scope = policy.scope_of(request.user, policy.VIEW, "qa_verdicts")
    if scope is policy.Scope.ALL:
        return vendor
    guest = getattr(request.user, "vendor_guest", None)
    if scope is policy.Scope.OWN and guest is not None and guest.vendor_id == vendor.pk:
        return vendor
    raise Http404


@policy.policy_required(policy.VIEW, "qa_verdicts")
def listening_page(request, vendor_id: int):
    from .qa import listening_sample

    vendor = _vendor_for_listening(request, vendor_id)
    month = month_or_last(request)
    sample = listening_sample(team_id=vendor.team_id, month=month)
    may_judge = policy.may(request.user, policy.CREATE, "qa_verdicts")
    return render(request, "vendors/listening.html", {
        "vendor": vendor, "month": month, "sample": sample, "may_judge": may_judge,
        "previous": (month - datetime.timedelta(days=1)).replace(day=1),
        "next": next_month(month),
        "verdicts": Verdict.choices,
        "may_see_vendor": policy.may(request.user, policy.VIEW, "vendors", vendor),
    })


@require_POST
@policy.policy_required(policy.CREATE, "qa_verdicts")
def verdict_set(request, vendor_id: int):
    from leads.models import Lead

    from .qa import QaError, qa_verdict_set

    vendor = _vendor_for_listening(request, vendor_id)
    month = request.POST.get("month", "")
    call = lead = None
    if request.POST.get("call"):
        call = get_object_or_404(CallLog, pk=_int(request.POST["call"]),
                                 manager__team=vendor.team)
    elif request.POST.get("lead"):
        lead = get_object_or_404(Lead, pk=_int(request.POST["lead"]),
                                 owner__team=vendor.team)
    else:
        messages.error(request, _("Name the call or the lead judged."))
        return redirect("vendors:qa", vendor.pk)
    try:
        qa_verdict_set(call=call, lead=lead, verdict=request.POST.get("verdict", ""),
                       note=request.POST.get("note", ""), by=request.user)
    except (QaError, ValidationError) as error:
        messages.error(request, str(error) if isinstance(error, QaError)
                       else _validation_text(error))
    else:
        messages.success(request, _("The verdict is recorded."))
    query = f"?month={month}" if month else ""
    return redirect(reverse("vendors:qa", args=[vendor.pk]) + query)


def _int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadRequest(_("An id is a whole number."))
    return int(text)


# --- what-if ---------------------------------------------------------------------------------

@policy.policy_required(policy.VIEW, "compensation_plans")
def compare_page(request):
    from .compare import CompareError, compare_plans
    from .reports import comparison_json, comparison_xlsx

    month = month_or_last(request)
    codes = [c for c in request.GET.getlist("plan") if c][:4]
    team = request.GET.get("team") or None
    vendor = request.GET.get("vendor") or None
    comparison, error = None, ""
    if codes:
        try:
            comparison = compare_plans(month=month, plan_codes=codes, team=team,
                                       vendor=None if team else vendor)
        except CompareError as problem:
            error = str(problem)
    kind = request.GET.get("format", "")
    if comparison is not None and kind == "json":
        return HttpResponse(comparison_json(comparison), content_type="application/json")
    if comparison is not None and kind == "xlsx":
        response = HttpResponse(comparison_xlsx(comparison), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="what-if-{month:%Y-%m}.xlsx"'
        return response
    return render(request, "vendors/compare.html", {
        "month": month, "slots": (codes + ["", "", ""])[:max(3, len(codes))],
        "team": team or "", "vendor": vendor or "",
        "comparison": comparison, "error": error,
        "plans": CompensationPlan.objects.order_by("name"),
        "teams": Team.objects.filter(vendor__isnull=True).order_by("name"),
        "vendors": Vendor.objects.order_by("name"),
        "rows": comparison.differences() if comparison else [],
    })


# --- operators -------------------------------------------------------------------------------

@require_POST
@policy.policy_required(policy.CHANGE, "vendors")
def operator_add(request, vendor_id: int):
    """A new operator of the vendor: a person of its team, not staff, with no login."""
    from .services import vendor_operator_create

    vendor = _row(request, Vendor, vendor_id, "vendors", policy.CHANGE)
    username = request.POST.get("username", "").strip()
    if not username:
        messages.error(request, _("Give the operator a user name."))
        return redirect("vendors:vendor", vendor.pk)
    try:
        operator = vendor_operator_create(
            vendor=vendor, username=username,
            first_name=request.POST.get("first_name", "").strip()[:150],
            last_name=request.POST.get("last_name", "").strip()[:150],
            extension=request.POST.get("extension", "").strip()[:32],
            telephony_login=request.POST.get("telephony_login", "").strip()[:150],
            active_from=current_month())
    except ValidationError as error:
        messages.error(request, _validation_text(error))
    else:
        messages.success(request, _("%(name)s is an operator of %(vendor)s.") % {
            "name": operator, "vendor": vendor.name})
    return redirect("vendors:vendor", vendor.pk)
