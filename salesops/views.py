import datetime

from django.core.paginator import Paginator
from django.shortcuts import render

from . import policy
from .periods import current_month, next_month, parse_month
from .selectors import floor_month_summary, manager_for_user

# The sales floor page lists people: whoever may read managers (SPEC §1).
policy_required_floor = policy.policy_required(policy.VIEW, "managers")


@policy_required_floor
def home(request):
    try:
        month = parse_month(request.GET["month"])
    except (KeyError, ValueError):
        month = current_month()
    summary = floor_month_summary(user=request.user, month=month)
    page = Paginator(summary, 50).get_page(request.GET.get("page"))
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
