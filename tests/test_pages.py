"""The pages a signed-in person opens first, and the API's schema."""

import datetime

import pytest
from django.utils import timezone

from salesops.imports.stats import daily_stats_refresh
from salesops.models import Role
from salesops.periods import month_bounds
from salesops.services import manager_set_role
from tests.factories import CallFactory, ManagerFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_home_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_answers(client):
    assert client.get("/login/").status_code == 200


def test_sales_head_home_lists_own_team_with_month_figures(client):
    north = TeamFactory()
    head = ManagerFactory(team=north, sales_head=True)
    anna = ManagerFactory(team=north)
    ManagerFactory()  # another team's manager, not listed
    start, _ = month_bounds(datetime.date(2026, 11, 1))
    CallFactory(manager=anna, started_at=start, duration_s=100, talk_s=20, wrapup_s=20)
    CallFactory(manager=anna, started_at=start, duration_s=10, talk_s=10)
    CallFactory(manager=anna, started_at=start - datetime.timedelta(seconds=1))  # October
    # What the import of these calls keeps for the pages: the days' figures.
    daily_stats_refresh(pairs={(anna.pk, datetime.date(2026, 11, 1)),
                               (anna.pk, datetime.date(2026, 10, 31))})

    client.force_login(head.user)
    response = client.get("/?floor=1&month=2026-11")

    rows = list(response.context["page"])
    assert [(row.manager, row.team) for row in rows] == [(anna, north)]
    assert (rows[0].calls, rows[0].conversations, rows[0].operator_s) == (2, 1, 130)


def test_home_answers_400_to_a_bad_month_and_this_month_without_one(client):
    manager = ManagerFactory()
    client.force_login(manager.user)
    assert client.get("/?floor=1&month=never").status_code == 400  # issue 22: bad params
    response = client.get("/?floor=1")  # a manager lands on own pay otherwise
    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)


def test_api_schema_is_served(client):
    client.force_login(ManagerFactory(admin=True).user)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/calls/" in response.content


def test_api_needs_a_login(client):
    assert client.get("/api/calls/").status_code in (401, 403)


def test_a_russian_browser_gets_the_import_page_in_russian(client):
    admin = manager_set_role(manager=ManagerFactory(admin=True), role=Role.ADMIN)
    client.force_login(admin.user)
    response = client.get("/imports/", HTTP_ACCEPT_LANGUAGE="ru")
    content = response.content.decode()
    assert "Импорт звонков" in content
    assert "Import calls" not in content


def _header(client, user) -> str:
    client.force_login(user)
    html = client.get("/?floor=1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return html[html.index("<header"):html.index("</header>")]


def test_the_header_links_only_to_the_doors_the_policy_opens_for_each_role(client):
    manager = ManagerFactory()
    head = ManagerFactory(sales_head=True, team=manager.team)
    admin = manager_set_role(manager=ManagerFactory(admin=True), role=Role.ADMIN)
    links = ("My pay", "Team pay", "All teams", "Import calls")
    seen = {
        "manager": _header(client, manager.user),
        "head": _header(client, head.user),
        "admin": _header(client, admin.user),
    }
    assert {role: [link for link in links if link in html] for role, html in seen.items()} == {
        "manager": ["My pay"],
        "head": ["My pay", "Team pay"],
        "admin": ["My pay", "Team pay", "All teams", "Import calls"],
    }
