from django.conf import settings
from django.utils.functional import SimpleLazyObject

from salesops import policy


def organisation(request):
    return {
        "organisation_name": settings.SALESOPS_ORGANISATION_NAME,
        "currency": settings.SALESOPS_CURRENCY,
    }


def doors(request):
    """What the header links to, asked of the access policy (the pages ask it too); lazy, so
    a page that shows no header link asks nothing."""
    return {
        "may_import_calls": SimpleLazyObject(
            lambda: policy.may(request.user, policy.IMPORT, "calls")),
        "may_review_pay": SimpleLazyObject(
            lambda: policy.may(request.user, policy.VIEW, "payout_runs")),
        "may_use_partner_portal": SimpleLazyObject(
            lambda: policy.may(request.user, policy.VIEW, "partner_portal")),
        "may_see_partner_receivables": SimpleLazyObject(
            lambda: policy.may(request.user, policy.OVERVIEW, "handed_leads")),
        "may_see_overview": SimpleLazyObject(
            lambda: policy.may(request.user, policy.OVERVIEW, "payout_runs")),
        "may_see_vendors": SimpleLazyObject(
            lambda: policy.may(request.user, policy.VIEW, "vendors")),
    }
