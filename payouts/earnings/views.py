"""The manager's earnings pages: the month, a line's drill-down, asking about a line, and the
statements. Each parses the request, asks the policy, calls a selector or service, renders.

A manager reads only their own: another person's line or statement is 404, as if it did not
exist. A sales head (own team) and owner or admin (all) open a manager's month with
``?manager=<id>`` — the review pages link here.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops import policy
from salesops.models import CallLog, Manager, WorkShift
from salesops.params import id_param, month_param
from salesops.periods import next_month
from salesops.selectors import manager_for_user

from ..inquiries import InquiryError, inquiry_raise
from ..models import PayoutLine
from ..selectors import payout_line_items, payout_line_source_rows
from . import page_cache, selectors, statements

view_lines = policy.policy_required(policy.VIEW, "payout_lines")
ITEMS_PER_PAGE = 50


def _month(request):
    return month_param(request, selectors.default_month)


def _manager(request) -> Manager:
    """Whose month: one's own, or (``?manager=``) a person the policy lets one read."""
    wanted = id_param(request, "manager")
    if wanted is not None:
        return get_object_or_404(
            policy.scoped(request.user, policy.VIEW, "managers").select_related("user", "team"),
            pk=wanted)
    manager = manager_for_user(request.user)
    if manager is None:
        raise Http404
    return manager


def _line(request, pk) -> PayoutLine:
    lines = policy.scoped(request.user, policy.VIEW, "payout_lines").select_related(
        "run", "manager__user")
    return get_object_or_404(lines, pk=pk)


@dataclass
class RowsPage:
    """A page of a person's calls or shifts in time order, without counting every row of the
    month first (thousands of calls): the page reads one row more to know there is a next."""

    object_list: list
    number: int
    has_next: bool
    paginator = None  # no count: the pager says the page's number only

    @classmethod
    def of(cls, rows, page: str | None) -> "RowsPage":
        number = int(page) if page and page.isdigit() and int(page) > 0 else 1
        start = (number - 1) * ITEMS_PER_PAGE
        found = list(rows[start:start + ITEMS_PER_PAGE + 1])
        return cls(found[:ITEMS_PER_PAGE], number, len(found) > ITEMS_PER_PAGE)

    def __iter__(self):
        return iter(self.object_list)

    def __bool__(self):
        return True

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


@view_lines
def month(request):
    if "manager" not in request.GET and manager_for_user(request.user) is None:
        # A login with no manager profile (the bootstrap superuser) has no pay of its own.
        return redirect(reverse("home") + "?floor=1")
    manager = _manager(request)
    chosen = _month(request)
    own = manager == manager_for_user(request.user)
    today = selectors.organisation_today()

    def render_body() -> str:
        figures = selectors.earnings_month(manager=manager, month=chosen, today=today)
        return render_to_string("earnings/_month_body.html", {
            "e": figures,
            "own": own,
            "manager_query": "" if own else f"&manager={manager.pk}",
            "previous_month": (chosen.replace(day=1) - _one_day()).replace(day=1),
            "next_month": next_month(chosen),
            # "so far" only while the month is still under way
            "open_month": chosen >= today.replace(day=1),
            "statements": selectors.statements(manager=manager),
            "chart": {
                "labels": [f"{d.day.day}" for d in figures.days],
                "conversations": [d.conversations for d in figures.days],
                "earned": [float(d.earned) for d in figures.days],
                "names": {"conversations": _("Conversations"), "earned": _("Earned on the day")},
            },
        })

    body = page_cache.month_body(manager=manager, month=chosen, today=today,
                                 language=get_language(), own=own, render=render_body)
    return render(request, "earnings/month.html", {"body": body, "month": chosen})


def _one_day():
    return datetime.timedelta(days=1)


@view_lines
def line(request, pk):
    """An address by id, from before lines had lasting ones: to the line's lasting address."""
    payout_line = _line(request, pk)
    target = selectors.line_address(month=payout_line.month, manager_id=payout_line.manager_id,
                                    kind=payout_line.kind, key=payout_line.key)
    query = request.GET.urlencode()
    return redirect(f"{target}?{query}" if query else target, permanent=True)


@view_lines
def line_at(request, month, manager_id, kind, key=""):
    """A line by month, person, component and key: the address a bookmark or a mail keeps,
    still right after the month is computed again (the line is a new row then)."""
    lines = policy.scoped(request.user, policy.VIEW, "payout_lines").select_related(
        "run", "manager__user")
    payout_line = get_object_or_404(lines, month=month, manager_id=manager_id, kind=kind,
                                    key=key)
    inquiries = selectors.line_inquiries(payout_line.manager, payout_line.run_id)
    figure = selectors.line_figures([payout_line], inquiries=inquiries)[0]
    return _render_line(request, payout_line, figure)


def _render_line(request, payout_line, figure, *, error: str = "", comment: str = ""):
    items = payout_line_items(line=payout_line)
    itemised = items.exists()
    rows = items if itemised else payout_line_source_rows(line=payout_line)
    page = None
    if rows is not None and getattr(rows, "model", None) in (CallLog, WorkShift):
        page = RowsPage.of(rows.order_by("started_at", "pk"), request.GET.get("page"))
    elif rows is not None:
        page = Paginator(rows.order_by("pk"), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    own = payout_line.manager == manager_for_user(request.user)
    return render(request, "earnings/line.html", {
        "line": payout_line, "f": figure, "page": page, "itemised": itemised,
        "source_model": getattr(rows, "model", None).__name__ if rows is not None else "",
        "may_ask": own and policy.may(request.user, policy.RAISE_INQUIRY, "payout_inquiries"),
        "error": error, "comment": comment,
    })


@require_POST
@policy.policy_required(policy.RAISE_INQUIRY, "payout_inquiries")
def ask(request, pk):
    payout_line = _line(request, pk)
    comment = request.POST.get("comment", "")
    try:
        inquiry_raise(line=payout_line, comment=comment, raised_by=request.user)
    except (InquiryError, ValidationError) as error:
        figure = selectors.line_figures(
            [payout_line],
            inquiries=selectors.line_inquiries(payout_line.manager, payout_line.run_id))[0]
        return _render_line(request, payout_line, figure, error=" ".join(error.messages),
                            comment=comment)
    return redirect(selectors.line_address(
        month=payout_line.month, manager_id=payout_line.manager_id, kind=payout_line.kind,
        key=payout_line.key) + "#inquiry")


@view_lines
def statement(request):
    if "month" not in request.GET:
        # The statements are listed on the month page, each with its month.
        return redirect("earnings:month")
    manager = _manager(request)
    chosen = _month(request)
    row = selectors.statement_row(manager=manager, month=chosen)
    if row is None:
        raise Http404
    figures = selectors.earnings_month(manager=manager, month=chosen)
    kind = request.GET.get("format", "html")
    if kind == "html":
        return render(request, "earnings/statement.html", {
            "e": figures, "row": row, "totals": statements.totals(row),
            "lines": list(statements.statement_lines(figures)),
            "query": f"?month={chosen:%Y-%m}" + (
                f"&manager={manager.pk}" if manager != manager_for_user(request.user) else ""),
        })
    if kind == "xlsx":
        body = statements.statement_xlsx(figures=figures, row=row)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif kind == "pdf":
        body = statements.statement_pdf(figures=figures, row=row)
        content_type = "application/pdf"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    name = f"statement-{manager.user.username}-{chosen:%Y-%m}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
