"""Wrong passwords are throttled on every door (issue 8): the login form, the admin login and the
API's Basic auth. Ten in a row lock that login out for the cool-off; a right password during the
lock-out is refused too, and works again once the cool-off has passed."""

import base64
import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from tests.factories import ManagerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "right-horse-42"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def anna():
    return ManagerFactory(user__username="anna", user__password=PASSWORD,
                          user__is_staff=True).user


def _form_login(client, password, url=None):
    return client.post(url or reverse("login"), {"username": "anna", "password": password})


def _basic(password):
    token = base64.b64encode(f"anna:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def _api(client, password):
    return client.get("/api/managers/", **_basic(password))


def _cool_off_passes():
    """Move the recorded failures back by the cool-off, as the clock would."""
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC)
        - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    )


def test_the_limit_is_ten_wrong_passwords_in_a_row():
    assert LIMIT == 10
    assert datetime.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME


def test_nine_wrong_passwords_do_not_lock_the_login_form(client, anna):
    for _ in range(LIMIT - 1):
        assert _form_login(client, "wrong").status_code == 200
    response = _form_login(client, PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == anna.pk


def test_ten_wrong_passwords_lock_the_login_form_until_the_cool_off_passes(client, anna):
    for _ in range(LIMIT - 1):
        _form_login(client, "wrong")
    locked = _form_login(client, "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "10 wrong passwords in a row: this login is locked for a while." in page
    assert "Try again in 30 minutes" in page
    # The right password is refused while locked: guessing cannot go on.
    assert _form_login(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session

    _cool_off_passes()
    assert _form_login(client, PASSWORD).status_code == 302
    assert int(client.session["_auth_user_id"]) == anna.pk


def test_a_right_password_starts_the_count_again(client, anna):
    for _ in range(LIMIT - 1):
        _form_login(client, "wrong")
    assert _form_login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert _form_login(client, "wrong").status_code == 200


def test_the_lock_out_of_one_login_leaves_another_alone(client, anna):
    ManagerFactory(user__username="boris", user__password=PASSWORD)
    for _ in range(LIMIT):
        _form_login(client, "wrong")
    response = client.post(reverse("login"), {"username": "boris", "password": PASSWORD})
    assert response.status_code == 302


def test_the_lock_out_page_speaks_russian(client, anna):
    for _ in range(LIMIT):
        _form_login(client, "wrong")
    with translation.override("ru"):
        response = client.post(reverse("login"), {"username": "anna", "password": PASSWORD},
                               HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 429
    assert "10 неверных паролей подряд" in response.content.decode()


def test_ten_wrong_passwords_lock_the_admin_login(client, anna):
    url = reverse("admin:login")
    for _ in range(LIMIT - 1):
        assert _form_login(client, "wrong", url).status_code == 200
    assert _form_login(client, "wrong", url).status_code == 429
    assert _form_login(client, PASSWORD, url).status_code == 429
    _cool_off_passes()
    assert _form_login(client, PASSWORD, url).status_code == 302


def test_ten_wrong_passwords_lock_api_basic_auth_until_the_cool_off_passes(client, anna):
    for _ in range(LIMIT - 1):
        # 403, not 401: session auth comes first and names no WWW-Authenticate scheme.
        assert _api(client, "wrong").status_code == 403
    locked = _api(client, "wrong")
    assert locked.status_code == 429
    assert locked.json()["detail"] == (
        "Too many wrong passwords in a row: this login is locked for a while. "
        "Try again later, or ask an administrator."
    )
    assert _api(client, PASSWORD).status_code == 429

    _cool_off_passes()
    assert _api(client, PASSWORD).status_code == 200


def test_the_api_lock_out_speaks_russian(client, anna):
    for _ in range(LIMIT):
        _api(client, "wrong")
    with translation.override("ru"):
        response = client.get("/api/managers/", HTTP_ACCEPT_LANGUAGE="ru", **_basic(PASSWORD))
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Слишком много неверных паролей подряд")


def test_wrong_passwords_anywhere_count_together(client, anna):
    for _ in range(5):
        _form_login(client, "wrong")
    for _ in range(5):
        _api(client, "wrong")
    assert _form_login(client, PASSWORD).status_code == 429


def test_the_limit_and_cool_off_come_from_the_environment(monkeypatch):
    import importlib

    import salesops.settings as production

    monkeypatch.setenv("SALESOPS_LOGIN_FAILURE_LIMIT", "5")
    monkeypatch.setenv("SALESOPS_LOGIN_COOLOFF_MINUTES", "7")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    try:
        reloaded = importlib.reload(production)
        assert reloaded.AXES_FAILURE_LIMIT == 5
        assert datetime.timedelta(minutes=7) == reloaded.AXES_COOLOFF_TIME
    finally:
        monkeypatch.undo()
        importlib.reload(production)


# --- API throttling (DRF) --------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    """The production-like rates, small enough to reach (the test settings raise them)."""
    rates = {"anon": "3/minute", "user": "5/minute"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_signed_in_api_requests_are_throttled_per_user(client, anna, low_rates):
    client.force_login(anna)
    statuses = [client.get("/api/managers/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_the_api_rates_come_from_the_environment(monkeypatch):
    import importlib

    import salesops.settings as production

    monkeypatch.setenv("SALESOPS_API_THROTTLE_ANON", "7/minute")
    monkeypatch.setenv("SALESOPS_API_THROTTLE_USER", "70/minute")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    try:
        rates = importlib.reload(production).REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        assert rates == {"anon": "7/minute", "user": "70/minute"}
    finally:
        monkeypatch.undo()
        importlib.reload(production)


def test_production_defaults_throttle_the_api():
    import importlib

    import salesops.settings as production

    rates = importlib.reload(production).REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"anon": "30/minute", "user": "600/minute"}
