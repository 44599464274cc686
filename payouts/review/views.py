"""The sales head's month: the team month, decisions in place, approval with its confirmation,
recompute with progress, payroll export, mark paid; and the owner's organisation overview.

Views parse input, ask the access policy about the row, call a service and render. The
services refuse on their own too (maker-checker, month not over, stale, pending decisions).
"""

import datetime
import hashlib
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops import policy
from salesops.formatting import format_month
from salesops.params import id_param, month_param
from salesops.periods import current_month, next_month
from salesops.selectors import manager_for_user

from ..earnings.selectors import line_figures
from ..exceptions import (
    CommissionExceptionError,
    commission_exception_approve,
    commission_exception_reject,
    commission_exception_request,
)
from ..export import PayrollNotFinal, payouts_export
from ..inquiries import InquiryError, inquiry_decide
from ..lifecycle import (
    PayoutRunError,
    payout_run_approve,
    payout_run_mark_paid,
    requested_computation,
)
from ..models import CommissionException, PayoutInquiry, PayoutRun
from ..selectors import payout_run_progress
from . import attention, history, selectors
from .forms import DecisionForm, RequestExceptionForm
from .services import payout_run_request_recompute

RUNS = "payout_runs"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(request) -> datetime.date:
    """The month asked for; by default the last month, the one that waits for approval."""
    return month_param(request, lambda: selectors.previous_month(current_month()))


def _run_for(request, run_id: int, action: str = policy.VIEW) -> PayoutRun:
    """A run the user may see (else 404, as for a row that is not there), then ``action``."""
    # The team's gathered figures (JSON) are read only where they are compared.
    run = get_object_or_404(
        policy.scoped(request.user, policy.VIEW, RUNS,
                      PayoutRun.objects.select_related("team").defer("team_facts")),
        pk=run_id)
    policy.require(request.user, action, RUNS, run)
    return run


def _team_month_url(run: PayoutRun) -> str:
    return f"{reverse('review:team-month')}?team={run.team.code}&month={run.month:%Y-%m}"


def _earnings_base() -> str | None:
    """The earnings dashboard (seen as the head, with ``?manager=``), where the site has one."""
    try:
        return reverse("earnings:month")
    except NoReverseMatch:
        return None


@policy.policy_required(policy.VIEW, RUNS)
def team_month(request):
    month = _month(request)
    teams = policy.scoped(request.user, policy.VIEW, "teams")
    me = manager_for_user(request.user)
    code = request.GET.get("team")
    if code:
        team = get_object_or_404(teams, code=code)
    elif me is not None and me.team_id and teams.filter(pk=me.team_id).exists():
        team = me.team
    else:
        return redirect(f"{reverse('review:overview')}?month={month:%Y-%m}")
    run = (policy.scoped(request.user, policy.VIEW, RUNS)
           .filter(team=team, month=month).select_related("team").defer("team_facts").first())
    data = selectors.team_month(run=run) if run else None
    names = {p.manager_id: p.name for p in data.people} if data else {}
    context = {
        "team": team, "month": month, "run": run, "data": data,
        "previous": selectors.previous_month(month), "next": next_month(month),
        "can_approve": run is not None and policy.may(request.user, policy.APPROVE_RUN, RUNS, run),
        "can_recompute": run is not None and not run.is_locked
        and policy.may(request.user, policy.COMPUTE_RUN, RUNS, run),
        "can_export": run is not None and policy.may(request.user, policy.EXPORT, RUNS, run),
        "can_mark_paid": run is not None and policy.may(request.user, policy.MARK_PAID, RUNS, run),
        "can_decide": policy.may(request.user, policy.DECIDE_EXCEPTION, "commission_exceptions"),
        "can_overview": policy.may(request.user, policy.OVERVIEW, RUNS),
        "can_request": policy.may(request.user, policy.REQUEST_EXCEPTION,
                                  "commission_exceptions"),
        "request_form": RequestExceptionForm(),
        "figures_ttl": selectors.FIGURES_TTL_S,
        "stale": history.run_stale_people(run=run, names=names) if run else [],
        "history": history.run_history(run=run) if run else [],
        # Just asked to recompute: the page follows it until the new figures are in.
        "recomputing": run is not None and request.GET.get("recomputing", "").isdigit(),
        # ... and already done by the time the page is drawn (a new computation since).
        "recomputed": run is not None and request.GET.get("recomputing", "").isdigit()
        and run.generation > int(request.GET["recomputing"]),
    }
    if data:
        context["earnings"] = _earnings_base()
        context["lines_url"] = reverse("review:lines", args=[run.pk])
        context["table_key"] = _table_key(data)
    return render(request, "review/team_month.html", context)


def _table_key(data: selectors.TeamMonth) -> str:
    """What the people table shows: the run's computation and each person's flags. The rendered
    table is kept under this key (with the language) for as long as the figures are."""
    run = data.run
    flags = [(p.manager_id, [f.text for f in p.flags]) for p in data.people]
    state = f"{run.pk}:{run.generation}:{run.status}:{run.computed_at}:{flags}"
    return hashlib.sha256(state.encode()).hexdigest()


@policy.policy_required(policy.OVERVIEW, RUNS)
def overview(request):
    month = _month(request)
    data = selectors.organisation_overview(month=month)
    return render(request, "review/overview.html", {
        "data": data, "month": month,
        "previous": selectors.previous_month(month), "next": next_month(month),
        "attention": attention.teams_attention(
            runs=[t.run for t in data.teams if t.run], team_ids=[t.team.pk for t in data.teams]),
    })


@policy.policy_required(policy.VIEW, RUNS)
def run_people_lines(request, run_id):
    """A figure's drill-down: one person's lines in the run, each as its arithmetic."""
    run = _run_for(request, run_id)
    manager_id = id_param(request, "manager")
    lines = policy.scoped(request.user, policy.VIEW, "payout_lines", run.lines.all())
    if manager_id is not None:
        lines = lines.filter(manager_id=manager_id)
    lines = list(lines.select_related("manager__user").order_by(
        "manager__user__last_name", "manager__user__first_name", "manager__user__username",
        "kind", "key"))
    figures = line_figures(lines)
    return render(request, "review/lines.html", {
        "run": run, "rows": [(line.manager, figure) for line, figure in zip(lines, figures,
                                                                             strict=True)],
        "back": _team_month_url(run)})


@policy.policy_required(policy.APPROVE_RUN, RUNS)
def approve(request, run_id):
    """GET: what approval locks, and why it would be refused; POST: approve."""
    run = _run_for(request, run_id, policy.APPROVE_RUN)
    if request.method == "POST":
        try:
            payout_run_approve(run=run, approved_by=request.user)
        except PayoutRunError as error:
            messages.error(request, str(error))
            return redirect("review:approve", run_id=run.pk)
        messages.success(request, _("Approved: this month's pay is locked."))
        return redirect(_team_month_url(run))
    data = selectors.team_month(run=run)
    preview = selectors.approval_preview(run=run, month=data)
    return render(request, "review/approve.html", {
        "run": run, "data": data, "preview": preview, "back": _team_month_url(run),
        "can_recompute": policy.may(request.user, policy.COMPUTE_RUN, RUNS, run),
        "self_computed": requested_computation(user=request.user, run=run),
        # What the page already knows the service would refuse; the service decides anyway.
        "refused": (run.status != PayoutRun.Status.COMPUTED or not preview.month_over
                    or bool(preview.stale) or bool(preview.blocking)
                    or requested_computation(user=request.user, run=run)),
    })


@require_POST
@policy.policy_required(policy.COMPUTE_RUN, RUNS)
def recompute(request, run_id):
    run = _run_for(request, run_id, policy.COMPUTE_RUN)
    try:
        payout_run_request_recompute(run=run, by=request.user)
    except PayoutRunError as error:
        messages.error(request, str(error) or _("This month is locked."))
    else:
        messages.info(request, _("Recomputing: the figures refresh when it is done."))
        return redirect(f"{_team_month_url(run)}&recomputing={run.generation}#progress")
    return redirect(_team_month_url(run))


@policy.policy_required(policy.VIEW, RUNS)
def progress(request, run_id):
    run = _run_for(request, run_id)
    done, total = payout_run_progress(run=run)
    return JsonResponse({"status": run.status, "done": done, "total": total,
                         "generation": run.generation,
                         "finished": run.status != PayoutRun.Status.DRAFT})


@policy.policy_required(policy.EXPORT, RUNS)
def export(request, run_id):
    """The payroll file of an approved (or paid) run: XLSX or CSV, one row per person."""
    run = _run_for(request, run_id, policy.EXPORT)
    file_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"payroll.{file_format}"
        try:
            payouts_export(month=run.month, path=path, file_format=file_format, team=run.team,
                           by=request.user)
        except PayrollNotFinal as error:
            messages.error(request, str(error))
            return redirect(_team_month_url(run))
        content = path.read_bytes()
    name = f"payroll-{run.team.code}-{run.month:%Y-%m}.{file_format}"
    kind = (XLSX if file_format == "xlsx" else "text/csv; charset=utf-8")
    return HttpResponse(content, content_type=kind,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@policy.policy_required(policy.MARK_PAID, RUNS)
def mark_paid(request, run_id):
    """GET: what marking paid records (people, amounts, the month), to confirm; POST: mark.
    It cannot be undone: a paid month never changes again."""
    run = _run_for(request, run_id, policy.MARK_PAID)
    if request.method == "POST":
        try:
            payout_run_mark_paid(run=run, paid_by=request.user)
        except PayoutRunError as error:
            messages.error(request, str(error))
            return redirect("review:mark-paid", run_id=run.pk)
        messages.success(request, _("Marked paid: %(team)s, %(month)s.") % {
            "team": run.team.name, "month": format_month(run.month)})
        return redirect(_team_month_url(run))
    data = selectors.team_month(run=run)
    return render(request, "review/mark_paid.html", {
        "run": run, "data": data, "back": _team_month_url(run),
        "paid_people": [p for p in data.people if p.total or p.held],
    })


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else fallback


@require_POST
@policy.policy_required(policy.DECIDE_EXCEPTION, "commission_exceptions")
def decide_exception(request, exception_id):
    exception = get_object_or_404(
        policy.scoped(request.user, policy.VIEW, "commission_exceptions",
                      CommissionException.objects.select_related("lead__owner")),
        pk=exception_id)
    back = _back(request, reverse("review:team-month"))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        policy.require(request.user, policy.DECIDE_EXCEPTION, "commission_exceptions", exception)
        if form.approved:
            commission_exception_approve(exception=exception, approved_by=request.user,
                                         comment=form.cleaned_data["comment"])
        else:
            commission_exception_reject(exception=exception, rejected_by=request.user,
                                        comment=form.cleaned_data["comment"])
    except (CommissionExceptionError, ValidationError) as error:
        messages.error(request, " ".join(error.messages))
    else:
        exception.refresh_from_db(fields=["status"])
        messages.success(request, _("The exception on lead «%(lead)s» is %(status)s.") % {
            "lead": exception.lead, "status": exception.get_status_display().lower()})
    return redirect(back)


@require_POST
@policy.policy_required(policy.DECIDE_INQUIRY, "payout_inquiries")
def decide_inquiry(request, inquiry_id):
    inquiry = get_object_or_404(
        policy.scoped(request.user, policy.VIEW, "payout_inquiries", PayoutInquiry.objects.all()),
        pk=inquiry_id)
    back = _back(request, reverse("review:team-month"))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        inquiry_decide(inquiry=inquiry, accepted=form.approved,
                       comment=form.cleaned_data["comment"], decided_by=request.user)
    except (InquiryError, ValidationError) as error:
        messages.error(request, " ".join(error.messages))
    else:
        inquiry.refresh_from_db(fields=["status"])
        messages.success(request, _("The question of %(name)s is %(status)s.") % {
            "name": inquiry.manager, "status": inquiry.get_status_display().lower()})
    return redirect(back)



@require_POST
@policy.policy_required(policy.REQUEST_EXCEPTION, "commission_exceptions")
def request_exception(request):
    """Ask for an exception on a lead the user may see; the policy decides on the lead's side."""
    back = _back(request, reverse("review:team-month"))
    form = RequestExceptionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    lead = policy.scoped(request.user, policy.VIEW, "leads").filter(pk=data["lead"]).first()
    if lead is None:
        messages.error(request, _("Your team has no lead number %(id)s.") % {"id": data["lead"]})
        return redirect(back)
    policy.require(request.user, policy.REQUEST_EXCEPTION, "commission_exceptions",
                   CommissionException(lead=lead))
    try:
        commission_exception_request(
            lead=lead, kind=data["kind"], reason=data["reason"], requested_by=request.user,
            rate=data["rate"], amount=data["amount"])
    except (CommissionExceptionError, ValidationError) as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Exception on lead «%(lead)s» requested: someone else "
                                    "decides it.") % {"lead": lead})
    return redirect(back)
