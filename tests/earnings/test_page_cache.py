"""The month page is kept in the cache under a fingerprint of every row it shows
(``payouts/earnings/page_cache.py``). Whatever changes, the page shown is the page built afresh:
never stale pay."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payouts.earnings import selectors
from payouts.inquiries import inquiry_decide, inquiry_raise
from payouts.models import ComponentKind, PayoutLine, PayoutRun, PlanComponent
from salesops.imports.stats import daily_stats_refresh
from salesops.models import MonthlyPlan, Outcome
from tests.factories import CallFactory
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db

URL = reverse("earnings:month") + "?month=2026-11"


def _main(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main>"):html.index("</main>")]


@pytest.fixture
def anna_page(client, month):
    client.force_login(month.anna.user)
    return lambda url=URL: _main(client.get(url))


def shows_the_change(page, change) -> str:
    """Cache the page, make the change, and check the page shown is the page built afresh
    and differs from the one before. Returns the page shown."""
    before = page()
    change()
    shown = page()
    cache.clear()
    assert shown == page(), "the cached page differs from the page built afresh"
    assert shown != before, "the change is not on the page"
    return shown


def test_an_unchanged_month_is_read_back_with_one_query_of_pay(anna_page):
    anna_page()
    with CaptureQueriesContext(connection) as second:
        anna_page()
    pay_queries = [q["sql"] for q in second.captured_queries if "payouts_" in q["sql"]]
    assert len(pay_queries) == 1  # the fingerprint: no line, item or run read one by one


def test_a_recomputation_after_late_calls_shows_the_new_pay(anna_page, month):
    def late_calls():
        CallFactory(manager=month.anna, started_at=moscow(2026, 11, 20, 10, 0), duration_s=600,
                    talk_s=500, wrapup_s=0, outcome=Outcome.PRESENTATION)
        compute(NOVEMBER, month.team)

    shows_the_change(anna_page, late_calls)


def test_an_import_shows_its_conversations_on_the_chart_before_any_recomputation(
        anna_page, month):
    def imported():  # one more conversation on a day that had some
        CallFactory(manager=month.anna, started_at=moscow(2026, 11, 4, 15, 0), duration_s=120,
                    talk_s=90)
        daily_stats_refresh(pairs={(month.anna.pk, datetime.date(2026, 11, 4))})

    shows_the_change(anna_page, imported)


def test_approval_and_payment_show_the_months_standing(anna_page, month):
    runs = PayoutRun.objects.filter(pk=month.run.pk)
    approved = shows_the_change(anna_page, lambda: runs.update(
        status=PayoutRun.Status.APPROVED, approved_by=month.head.user))
    assert 'data-standing="approved"' in approved
    paid = shows_the_change(anna_page, lambda: runs.update(status=PayoutRun.Status.PAID))
    assert 'data-standing="paid"' in paid


def test_an_inquiry_and_its_decision_show_beside_the_line(anna_page, month):
    line = PayoutLine.objects.get(manager=month.anna, month=NOVEMBER,
                                  kind=ComponentKind.PER_CONVERSATION)
    asked = {}

    def ask():
        asked["inquiry"] = inquiry_raise(line=line, comment="Calls missing on the 14th",
                                         raised_by=month.anna.user)

    shows_the_change(anna_page, ask)
    shows_the_change(anna_page, lambda: inquiry_decide(
        inquiry=asked["inquiry"], accepted=True, comment="", decided_by=month.head.user))


def test_new_monthly_targets_show_in_plan_progress(anna_page, month):
    shows_the_change(anna_page, lambda: MonthlyPlan.objects.filter(
        manager=month.anna, month=NOVEMBER).update(target_conversations=40))


def test_a_rate_edited_before_approval_shows_in_the_lines_rule(anna_page, month):
    version = PayoutLine.objects.filter(manager=month.anna, month=NOVEMBER).first().plan_version
    page = shows_the_change(anna_page, lambda: PlanComponent.objects.filter(
        version=version, kind=ComponentKind.PER_MINUTE).update(rate=Decimal("7.00")))
    assert "7,00" in page or "7.00" in page


def test_a_payment_moved_to_another_day_moves_on_the_chart(anna_page, month):
    from leads.models import Payment

    shows_the_change(anna_page, lambda: Payment.objects.filter(lead__owner=month.anna).update(
        received_on=datetime.date(2026, 11, 25)))


def test_a_new_day_counts_the_working_days_left_again(anna_page, monkeypatch):
    monkeypatch.setattr(selectors, "organisation_today", lambda: datetime.date(2026, 11, 13))
    before = anna_page()
    monkeypatch.setattr(selectors, "organisation_today", lambda: datetime.date(2026, 11, 16))
    after = anna_page()
    assert before != after
    cache.clear()
    assert after == anna_page()


def test_each_reader_and_language_has_a_page_of_their_own(client, month):
    client.force_login(month.anna.user)
    russian = _main(client.get(URL, HTTP_ACCEPT_LANGUAGE="ru"))
    english = _main(client.get(URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Моя оплата" in russian and "My pay" in english
    client.force_login(month.head.user)
    heads = _main(client.get(URL + f"&manager={month.anna.pk}", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Pay of Anna Petrova" in heads and "My pay" not in heads


def test_a_renamed_person_is_shown_by_the_new_name(client, month):
    client.force_login(month.head.user)

    def page():
        return _main(client.get(URL + f"&manager={month.anna.pk}"))

    def rename():
        month.anna.user.last_name = "Sidorova"
        month.anna.user.save()

    assert "Anna Sidorova" in shows_the_change(page, rename)
