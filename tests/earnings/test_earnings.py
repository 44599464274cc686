"""Issue 10, "What did I earn, and why": the manager's month, its drill-down, inquiries,
statements, the API and the role-aware home page."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from openpyxl import load_workbook

from payouts.earnings import selectors
from payouts.inquiries import inquiries_visible_to
from payouts.models import ComponentKind, PayoutInquiry, PayoutLine, PayoutRun
from payouts.selectors import payout_export_rows
from tests.payouts.helpers import NOVEMBER

pytestmark = pytest.mark.django_db

MONTH = "?month=2026-11"



def _address(line):
    """A line's lasting address: month, person, component and key."""
    return selectors.line_address(month=line.month, manager_id=line.manager_id, kind=line.kind,
                                  key=line.key)

def _lines(manager):
    return PayoutLine.objects.filter(manager=manager, month=NOVEMBER)


def _line(manager, kind):
    return _lines(manager).get(kind=kind, key="")


def test_month_page_total_and_components_equal_the_engines_lines(client, month):
    client.force_login(month.anna.user)
    response = client.get(reverse("earnings:month") + MONTH)
    figures = response.context["e"]
    assert response.status_code == 200
    assert figures.total == Decimal("15800.00")
    assert figures.total == sum(line.amount for line in _lines(month.anna) if not line.held)
    assert {(f.kind, f.amount) for f in figures.components} == {
        (line.kind, line.amount) for line in _lines(month.anna)}
    assert figures.standing == "provisional"


def test_each_component_says_its_rule_in_plain_words(client, month):
    with translation.override("en"):
        figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER)
    rules = {f.kind: f.rule for f in figures.components}
    assert rules[ComponentKind.PER_MINUTE] == "₽6.00 per operator minute"
    assert rules[ComponentKind.REVENUE_PERCENT] == "10 % of payments on your leads"
    assert rules[ComponentKind.PLAN_BASE] == (
        "₽20,000.00 at 100 % of the conversation plan, in proportion from 50 %")


def test_a_line_shows_the_arithmetic_that_gives_its_amount(month):
    with translation.override("en"):
        figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER)
    by_kind = {f.kind: f.arithmetic for f in figures.components}
    assert by_kind[ComponentKind.PER_CONVERSATION] == "12 conversations × ₽10.00 = ₽120.00"
    assert by_kind[ComponentKind.PER_MINUTE] == "30 min × ₽6.00 per minute = ₽180.00"
    # A number and its "%" are held together (a no-break space).
    assert by_kind[ComponentKind.REVENUE_PERCENT] == (
        "10\u00a0% of ₽30,000.00 in payments = ₽3,000.00")


def test_an_approved_month_is_no_longer_provisional(month):
    PayoutRun.objects.filter(pk=month.run.pk).update(status=PayoutRun.Status.APPROVED,
                                                     approved_by=month.head.user)
    figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER)
    assert figures.standing == "approved"


def test_plan_progress_reads_the_engines_figures_with_pace_and_forecast(month):
    figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER,
                                       today=datetime.date(2026, 11, 13))
    # November 2026: 21 working days, 10 of them up to Friday the 13th.
    assert (figures.working_days, figures.working_days_left) == (21, 11)
    conversations, confirmed, revenue = figures.plan
    assert (conversations.actual, conversations.target, conversations.percent) == (12, 20, 60)
    assert conversations.pace_needed == Decimal("0.7")  # 8 more in 11 days
    assert conversations.forecast == Decimal("25")  # 12 × 21 / 10
    assert (confirmed.actual, revenue.actual) == (1, Decimal("30000.00"))


def test_forecast_pays_the_projected_month_by_the_engines_rules(month):
    figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER,
                                       today=datetime.date(2026, 11, 13))
    # × 2.1: 63 minutes × 6 = 378, 25 conversations × 10 = 250, 2 leads × 500 = 1000,
    # 63 000 × 10 % = 6300, and the plan base capped at 100 % attainment: 20 000.
    assert figures.forecast_pay == Decimal("27928.00")


def test_a_past_month_has_no_forecast(month):
    figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER,
                                       today=datetime.date(2026, 12, 2))
    assert figures.forecast_pay is None
    assert figures.working_days_left == 0


def test_daily_figures_come_from_the_daily_statistics(month):
    figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER)
    assert sum(d.conversations for d in figures.days) == 12
    day5 = next(d for d in figures.days if d.day == datetime.date(2026, 11, 5))
    # One call (2.5 minutes × 6.00, 10.00 a conversation) and the confirmed lead (500.00).
    assert day5.earned == Decimal("525.00")


def test_month_page_reads_no_calls(client, month, django_assert_max_num_queries):
    client.force_login(month.anna.user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("earnings:month") + MONTH).status_code == 200
    assert not [q for q in queries.captured_queries if "salesops_calllog" in q["sql"]]


def test_drilldown_lists_the_calls_a_line_counted_with_recordings(client, month):
    client.force_login(month.anna.user)
    line = _line(month.anna, ComponentKind.PER_CONVERSATION)
    response = client.get(_address(line))
    assert response.status_code == 200
    assert sorted(c.pk for c in response.context["page"]) == sorted(c.pk for c in month.calls)
    assert b"https://pbx.example/rec/3.mp3" in response.content


def test_drilldown_of_a_lead_line_lists_its_milestones(client, month):
    client.force_login(month.anna.user)
    line = _line(month.anna, ComponentKind.PER_CONFIRMED_LEAD)
    response = client.get(_address(line))
    items = list(response.context["page"])
    assert [(i.source, i.amount) for i in items] == [("milestone", Decimal("500.00"))]


def test_a_manager_typing_another_managers_line_gets_404(client, month):
    client.force_login(month.anna.user)
    line = _line(month.boris, ComponentKind.PER_CONVERSATION)
    assert client.get(_address(line)).status_code == 404
    assert client.post(reverse("earnings:ask", args=[line.pk]),
                       {"comment": "mine"}).status_code == 404
    assert not PayoutInquiry.objects.exists()


def test_a_manager_typing_another_managers_month_or_statement_gets_404(client, month):
    client.force_login(month.anna.user)
    other = f"{MONTH}&manager={month.boris.pk}"
    assert client.get(reverse("earnings:month") + other).status_code == 404
    assert client.get(reverse("earnings:statement") + other + "&format=pdf").status_code == 404


def test_the_sales_head_opens_a_managers_month_of_the_team(client, month):
    client.force_login(month.head.user)
    response = client.get(reverse("earnings:month") + f"{MONTH}&manager={month.anna.pk}")
    assert response.status_code == 200
    assert response.context["e"].total == Decimal("15800.00")


def test_asking_about_a_line_lands_in_the_sales_heads_queue(client, month):
    client.force_login(month.anna.user)
    line = _line(month.anna, ComponentKind.PER_CONVERSATION)
    response = client.post(reverse("earnings:ask", args=[line.pk]),
                           {"comment": "calls missing on the 14th"})
    assert response.status_code == 302
    inquiry = PayoutInquiry.objects.get()
    assert (inquiry.manager, inquiry.line_kind, inquiry.comment) == (
        month.anna, ComponentKind.PER_CONVERSATION, "calls missing on the 14th")
    assert list(inquiries_visible_to(month.head.user)) == [inquiry]
    page = client.get(_address(line))
    assert page.context["f"].inquiry.status == "open"


def test_an_empty_question_is_refused_and_nothing_is_raised(client, month):
    client.force_login(month.anna.user)
    line = _line(month.anna, ComponentKind.PER_CONVERSATION)
    response = client.post(reverse("earnings:ask", args=[line.pk]), {"comment": "  "})
    assert response.context["error"] == "Say what is wrong with this line."
    assert not PayoutInquiry.objects.exists()


def test_statement_xlsx_shows_the_payroll_exports_numbers(client, month):
    client.force_login(month.anna.user)
    response = client.get(reverse("earnings:statement") + MONTH + "&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    # The amount is the fifth column (line, how it adds up, quantity, rate, amount).
    values = {row[0]: row[4] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    payroll = next(r for r in payout_export_rows(month=NOVEMBER, team=month.team)
                   if r["login"] == "anna")
    assert Decimal(str(values["Total payable"])) == payroll["total"] == Decimal("15800.00")


def test_statement_pdf_is_written_in_russian(client, month):
    client.force_login(month.anna.user)
    response = client.get(reverse("earnings:statement") + MONTH + "&format=pdf",
                          HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    from pypdf import PdfReader  # noqa: PLC0415 - only this test reads PDFs

    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "ноябрь 2026" in text
    assert "15 800,00 ₽" in text.replace("\xa0", " ")


def test_api_month_returns_the_pages_figures(client, month):
    client.force_login(month.anna.user)
    data = client.get("/api/me/earnings/?month=2026-11").json()
    assert (data["month"], data["status"], data["total"], data["held"]) == (
        "2026-11", "provisional", "15800.00", "0.00")
    assert {c["kind"]: c["amount"] for c in data["components"]}[
        ComponentKind.PER_CONFIRMED_LEAD] == "500.00"
    assert [p["actual"] for p in data["plan"]] == ["12.00", "1.00", "30000.00"]


def test_api_line_items_are_the_callers_own_only(client, month):
    client.force_login(month.anna.user)
    own = _line(month.anna, ComponentKind.PER_CONFIRMED_LEAD)
    items = client.get(f"/api/me/earnings/lines/{own.pk}/items/").json()["results"]
    assert [(i["source"], i["amount"]) for i in items] == [("milestone", "500.00")]
    other = _line(month.boris, ComponentKind.PER_CONVERSATION)
    assert client.get(f"/api/me/earnings/lines/{other.pk}/items/").status_code == 404


def test_api_needs_a_login(client, month):
    assert client.get("/api/me/earnings/").status_code in (401, 403)


def test_api_is_in_the_openapi_schema(client, month):
    client.force_login(month.anna.user)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/me/earnings/" in schema
    assert "/api/me/earnings/lines/{id}/items/" in schema


def test_a_manager_lands_on_their_month(client, month):
    client.force_login(month.anna.user)
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, reverse("earnings:month"))


def test_the_russian_page_writes_money_and_months_in_russian(client, month):
    client.force_login(month.anna.user)
    response = client.get(reverse("earnings:month") + MONTH, HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode().replace("\xa0", " ")
    assert "Моя оплата, ноябрь 2026" in html
    assert "15 800,00 ₽" in html
    assert "Provisional" not in html and "Earned so far" not in html


def test_a_sales_head_lands_on_the_team_month_where_it_exists(client, month):
    client.force_login(month.head.user)
    response = client.get("/")
    try:
        expected = reverse("review:team-month")
    except NoReverseMatch:
        # Without the review pages the head keeps the team's sales floor.
        assert response.status_code == 200
        assert {month.anna, month.boris} <= set(response.context["page"])
    else:
        assert (response.status_code, response["Location"]) == (302, expected)


def test_a_line_of_a_lead_source_with_its_own_rate_says_that_rate(month):
    from leads.models import LeadSource
    from tests.factories import LeadFactory, PaymentFactory
    from tests.payouts.factories import ComponentRateFactory
    from tests.payouts.helpers import compute

    revenue = PayoutLine.objects.filter(manager=month.anna, month=NOVEMBER).first() \
        .plan_version.components.get(kind=ComponentKind.REVENUE_PERCENT)
    ComponentRateFactory(component=revenue, lead_source=LeadSource.INBOUND, rate=Decimal("3"))
    lead = LeadFactory(owner=month.anna, source=LeadSource.INBOUND, phone="+79160000099")
    PaymentFactory(lead=lead, amount=Decimal("10000.00"),
                   received_on=datetime.date(2026, 11, 10))
    compute(NOVEMBER, month.team)
    with translation.override("en"):
        figures = selectors.earnings_month(manager=month.anna, month=NOVEMBER)
    rules = {f.detail: (f.rule, f.arithmetic) for f in figures.components
             if f.kind == ComponentKind.REVENUE_PERCENT}
    assert rules[str(LeadSource.INBOUND.label)] == (
        "3 % of payments on your leads", "3\u00a0% of ₽10,000.00 in payments = ₽300.00")
    assert rules[str(LeadSource.COLD_CALL.label)][0] == "10 % of payments on your leads"


def test_a_calls_drilldown_pages_them_in_time_order_without_counting_the_month(client, db):
    from tests.earnings.conftest import build_month

    month = build_month(anna_calls=60)
    client.force_login(month.anna.user)
    line = _line(month.anna, ComponentKind.PER_CONVERSATION)
    first = client.get(_address(line))
    calls = list(first.context["page"])
    in_time = sorted(month.calls, key=lambda c: (c.started_at, c.pk))
    assert [c.pk for c in calls] == [c.pk for c in in_time[:50]]
    assert 'href="?page=2"' in first.content.decode()
    second = client.get(_address(line) + "?page=2")
    assert [c.pk for c in second.context["page"]] == [c.pk for c in in_time[50:]]
    assert "page 2" in second.content.decode() and 'href="?page=3"' not in (
        second.content.decode())
