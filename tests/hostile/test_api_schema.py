"""The API's schema tells the truth (schemathesis checks the answers in CI: .ci/api_fuzz):
every operation has a summary and documents its error answers; months are "YYYY-MM" strings,
in answers and in examples; totals that can be null say so."""

import re

import pytest
import yaml

from tests.factories import ManagerFactory

pytestmark = pytest.mark.django_db
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


@pytest.fixture
def schema(client):
    client.force_login(ManagerFactory(admin=True).user)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary(schema):
    assert [name for name, op in _operations(schema) if not op.get("summary")] == []


@pytest.mark.parametrize("code", ["400", "401", "403", "404", "429"])
def test_every_operation_documents_its_error_answers(schema, code):
    assert [name for name, op in _operations(schema) if code not in op["responses"]] == []


def test_a_month_is_a_yyyy_mm_string_never_a_date(schema):
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("month", "adjusts_month") and isinstance(value, dict):
                    found.append((where, key, value))
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(schema["components"]["schemas"], "")
    assert found
    for where, key, field in found:
        assert (field.get("type"), field.get("format")) == ("string", None), (where, key)
        assert field["pattern"] == MONTH.pattern
        assert MONTH.match(str(field["example"]))


def test_month_parameters_take_and_show_yyyy_mm(schema):
    months = [parameter for _name, op in _operations(schema)
              for parameter in op.get("parameters", []) if parameter["name"] == "month"]
    assert len(months) == 2
    for parameter in months:
        assert parameter["schema"]["pattern"] == MONTH.pattern
        examples = [parameter["schema"].get("example")] + [
            example["value"] for example in parameter.get("examples", {}).values()]
        assert all(MONTH.match(str(example)) for example in examples if example is not None)


def test_run_totals_and_a_persons_team_may_be_null(schema):
    components = schema["components"]["schemas"]
    assert components["PayoutRun"]["properties"]["held_total"]["nullable"] is True
    assert components["PayoutRun"]["properties"]["paid_total"]["nullable"] is True
    assert components["Manager"]["properties"]["team"]["nullable"] is True


@pytest.mark.parametrize("path", [
    "/api/payout-runs/-2.5/recompute/",
    "/api/me/earnings/lines/-56130/items/",
    "/api/no-such-thing/",
    "/api/hooks/not-an-integration-key/",
])
def test_an_api_url_that_matches_no_route_answers_json_as_documented(client, path):
    client.force_login(ManagerFactory(admin=True).user)
    response = client.post(path) if path.endswith("recompute/") else client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_page_url_that_matches_nothing_keeps_the_sites_page(client):
    client.force_login(ManagerFactory(admin=True).user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_month_before_year_1000_is_still_written_in_four_digits(client):
    manager = ManagerFactory()
    client.force_login(manager.user)
    response = client.get("/api/me/earnings/", {"month": "0923-01"})
    assert response.status_code == 200
    assert response.json()["month"] == "0923-01"
