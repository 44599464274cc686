"""The partner portal's pages (issue 20). Each asks the one access policy; a row of another
partner is not found (404), never refused in a way that tells it exists."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leads.models import Partner
from payouts.models import PartnerStatement
from payouts.partners import CommissionState
from salesops import policy
from salesops.periods import organisation_zone

from . import selectors, services
from .forms import HandedPaymentForm, HandedStatusForm, HandForm, PayoutDetailsForm, ReferralForm
from .models import HandedLead, ReferralLink
from .statement_files import statement_pdf, statement_title, statement_totals, statement_xlsx
from .throttle import body_too_large, client_address, referral_allowed

portal_required = policy.policy_required(policy.VIEW, "partner_portal")


def _today() -> datetime.date:
    return timezone.localdate(timezone=organisation_zone())


def _fits(pk: int) -> int:
    """An id no database column can hold is simply not found (not a 500 on SQLite)."""
    if pk > 2**63 - 1:
        raise Http404
    return pk


def _partner(request) -> Partner:
    return selectors.partner_of(request.user)


@portal_required
def home(request):
    partner = _partner(request)
    statements = list(selectors.partner_statements(user=request.user))
    latest = statements[0] if statements else None
    return render(request, "partner/home.html", {
        "partner": partner,
        "leads": selectors.referred_leads(user=request.user),
        "payments": selectors.payment_commissions(user=request.user, today=_today()),
        "states": CommissionState,
        "statements": statements,
        "carried": latest.carried_out if latest else None,
        "handed": selectors.handed_leads(user=request.user),
        "link": selectors.referral_link_of(partner),
        "details": services.payout_details_in_force(partner=partner),
        "pending": services.payout_details_pending(partner=partner),
    })


@portal_required
def statement(request, pk: int):
    try:
        found = selectors.partner_statement(user=request.user, pk=_fits(pk))
    except PartnerStatement.DoesNotExist as error:  # not theirs, or not there
        raise Http404 from error
    fmt = request.GET.get("format")
    if fmt in ("pdf", "xlsx"):
        body = statement_pdf(found) if fmt == "pdf" else statement_xlsx(found)
        kind = ("application/pdf" if fmt == "pdf" else
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response = HttpResponse(body, content_type=kind)
        response["Content-Disposition"] = (
            f'attachment; filename="statement-{found.month:%Y-%m}.{fmt}"')
        return response
    return render(request, "partner/statement.html", {
        "s": found, "title": statement_title(found), "totals": statement_totals(found),
        "lines": found.lines.select_related("payment__lead").order_by("payable_on", "pk"),
    })


def _referral(request, *, partner, by):
    """The referral form, for the portal (``by`` the partner) and the public link."""
    if request.method == "POST" and body_too_large(request):
        return HttpResponse(_("The form is too large."), status=413)
    form = ReferralForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        if not referral_allowed(address=client_address(request), partner_id=partner.pk):
            return render(request, "partner/refer.html", {
                "form": form, "throttled": True, "public": by is None}, status=429)
        try:
            outcome = services.referral_submit(partner=partner, by=by, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            form = ReferralForm()
    return render(request, "partner/refer.html", {
        "form": form, "outcome": outcome, "public": by is None})


@portal_required
@require_POST
def referral_link_make(request):
    """A partner who has no personal link yet makes it (a page view never writes)."""
    services.referral_link_ensure(partner=_partner(request))
    messages.success(request, _("Your personal link is ready: give it to your clients."))
    return redirect(f"{reverse('partner:home')}#p-link")


@portal_required
@require_http_methods(["GET", "POST"])
def refer(request):
    return _referral(request, partner=_partner(request), by=request.user)


@require_http_methods(["GET", "POST"])
def referral_link(request, code: str):
    """The partner's personal link: anyone it was given to may refer a client, credited to
    that partner; the answer says nothing of other partners or leads."""
    link = get_object_or_404(ReferralLink.objects.select_related("partner"), code=code,
                             partner__is_active=True)
    return _referral(request, partner=link.partner, by=None)


@portal_required
@require_http_methods(["GET", "POST"])
def payout_details(request):
    partner = _partner(request)
    form = PayoutDetailsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.payout_details_request(partner=partner, by=request.user,
                                            **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, _("Saved. Your new details take effect once we confirm "
                                        "them; until then you are paid as before."))
            return redirect("partner:payout-details")
    return render(request, "partner/payout_details.html", {
        "form": form, "details": services.payout_details_in_force(partner=partner),
        "pending": services.payout_details_pending(partner=partner),
    })


def _handed(request, pk) -> HandedLead:
    return get_object_or_404(policy.scoped(request.user, policy.VIEW, "handed_leads")
                             .select_related("lead", "partner"), pk=_fits(pk))


@portal_required
@require_http_methods(["GET", "POST"])
def handed_lead(request, pk: int):
    handed = _handed(request, pk)
    status_form = HandedStatusForm(initial={"status": handed.status})
    payment_form = HandedPaymentForm()
    if request.method == "POST":
        try:
            if "status" in request.POST:
                status_form = HandedStatusForm(request.POST)
                if status_form.is_valid():
                    services.handed_lead_status_set(
                        handed=handed, status=status_form.cleaned_data["status"],
                        by=request.user)
                    messages.success(request, _("Status saved."))
                    return redirect("partner:handed-lead", pk=handed.pk)
            else:
                payment_form = HandedPaymentForm(request.POST)
                if payment_form.is_valid():
                    services.handed_lead_payment_report(handed=handed, by=request.user,
                                                        **payment_form.cleaned_data)
                    messages.success(request, _("Payment reported. Thank you."))
                    return redirect("partner:handed-lead", pk=handed.pk)
        except ValidationError as error:
            messages.error(request, error.messages[0])
    return render(request, "partner/handed_lead.html", {
        "h": handed, "reports": handed.payments.order_by("received_on", "pk"),
        "status_form": status_form, "payment_form": payment_form,
    })


# --- our side: handing a lead, what partners owe, silent leads -------------------------------

@policy.policy_required(policy.CREATE, "handed_leads")
@require_http_methods(["GET", "POST"])
def hand_lead(request, pk: int):
    lead = get_object_or_404(policy.scoped(request.user, policy.VIEW, "leads"), pk=_fits(pk))
    form = HandForm(request.POST or None,
                    partners=policy.scoped(request.user, policy.VIEW, "partners")
                    .filter(is_active=True))
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_hand_to_partner(lead=lead, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, _("The lead is handed to the partner."))
            return redirect("partner-receivables:receivables") if policy.may(
                request.user, policy.OVERVIEW, "handed_leads") else redirect("home")
    return render(request, "partner/hand.html", {
        "lead": lead, "form": form, "handed": selectors.lead_handed(lead),
        "handable": selectors.lead_handable(lead)})


@policy.policy_required(policy.OVERVIEW, "handed_leads")
def receivables(request):
    return render(request, "partner/receivables.html", {
        "receivables": selectors.receivables(user=request.user, today=_today()),
        "silent": selectors.silent_handed_leads(user=request.user, now=timezone.now()),
        "today": _today(),
    })


@require_POST
@policy.policy_required(policy.CHANGE, "handed_lead_payments")
def commission_received(request, pk: int):
    report = get_object_or_404(policy.scoped(request.user, policy.CHANGE,
                                             "handed_lead_payments"), pk=_fits(pk))
    try:
        services.handed_commission_received(report=report, received_on=_today(),
                                            by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Commission recorded as received."))
    return redirect("partner-receivables:receivables")

