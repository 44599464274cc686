import datetime

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from . import policy
from .floor import floor_figures, floor_rows
from .params import month_param
from .periods import current_month, next_month
from .selectors import manager_for_user

# The sales floor page lists people: whoever may read managers (SPEC §1).
policy_required_floor = policy.policy_required(policy.VIEW, "managers")


# Where each role starts (issue 10): a manager on their month, a sales head on the team's
# month, owner and admin on the organisation overview — each where that page exists.
LANDING = {
    policy.MANAGER: "earnings:month",
    policy.SALES_HEAD: "review:team-month",
    policy.ADMIN: "review:overview",
    policy.OWNER: "review:overview",
}


def _landing(request) -> str | None:
    name = LANDING.get(policy.role_of(request.user))
    try:
        url = reverse(name) if name else None
    except NoReverseMatch:
        return None
    query = request.GET.urlencode()
    return f"{url}?{query}" if url and query else url


def home(request):
    # A vendor's client's guest login sees only its vendor's statements and listening sample.
    if policy.role_of(request.user) == policy.VENDOR_GUEST:
        return redirect("vendors:guest")
    return _floor(request)


@policy_required_floor
def _floor(request):
    # ?floor=1 keeps the sales floor list reachable for those who land elsewhere.
    if "floor" not in request.GET and (landing := _landing(request)):
        return redirect(landing)
    month = month_param(request, current_month)
    # A row per share of the month, as pay splits it; the figures of the page's rows only.
    page = Paginator(floor_rows(user=request.user, month=month), 50).get_page(
        request.GET.get("page"))
    page.object_list = floor_figures(rows=list(page.object_list), month=month)
    return render(
        request,
        "salesops/home.html",
        {
            "month": month,
            "previous_month": (month - datetime.timedelta(days=1)).replace(day=1),
            "next_month": next_month(month),
            "page": page,
            "me": manager_for_user(request.user),
        },
    )


class LoginView(auth_views.LoginView):
    """A partner's login lands on the partner portal (issue 20); everyone else on the site's
    home, which sends each role where it starts (``LANDING``)."""

    def get_default_redirect_url(self):
        if policy.may(self.request.user, policy.VIEW, "partner_portal"):
            return reverse("partner:home")
        return super().get_default_redirect_url()
