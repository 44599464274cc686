"""Integrations and their tokens (issue 21): made by an admin, the token shown once and kept
hashed, re-keyed and revoked through the admin; the owner reads them; nobody below does."""

import hashlib

import pytest

from salesops.ingest.models import Integration
from salesops.ingest.services import integration_create, integration_token_renew
from salesops.models import AuditEntry, CallLog, Role
from salesops.policy import AccessDenied
from tests.payouts.factories import person

pytestmark = pytest.mark.django_db
ADD = "/admin/ingest/integration/add/"
CHANGELIST = "/admin/ingest/integration/"


def post_batch(client, token, call_id="c1"):
    return client.post("/api/calls/", {"calls": [{
        "external_id": call_id, "started_at": "2026-12-03T12:00:00+03:00", "duration_s": 60,
        "manager": "7001"}]}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def admin_user(team):
    return person(Role.ADMIN).user


def test_the_token_is_kept_only_as_its_hash():
    integration, token = integration_create(name="PBX", source="office-pbx", adapter="api")
    stored = Integration.objects.filter(pk=integration.pk).values().get()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(stored)
    assert stored["token_prefix"] == token[:12]


def test_an_admin_makes_an_integration_and_sees_its_token_once(client, admin_user, anna):
    client.force_login(admin_user)
    response = client.post(ADD, {"name": "Office PBX", "source": "office-pbx",
                                 "adapter": "asterisk", "status_preset": "", "time_zone": "",
                                 "secret": "", "account_key": ""})
    assert response.status_code == 200
    integration = Integration.objects.get()
    token = response.context["token"]
    assert token.startswith("sok_") and token in response.content.decode()
    assert str(integration.public_id) in response.content.decode()
    assert token not in client.get(f"{CHANGELIST}{integration.pk}/change/").content.decode()
    assert AuditEntry.objects.filter(action="integration_created", by=admin_user).exists()
    assert post_batch(client, token).status_code == 200


def test_a_new_token_from_the_admin_ends_the_old_one(client, admin_user, anna):
    integration, old = integration_create(name="PBX", source="office-pbx", adapter="api")
    client.force_login(admin_user)
    response = client.post(CHANGELIST, {"action": "renew_token",
                                        "_selected_action": [integration.pk]})
    new = response.context["token"]
    client.logout()
    assert post_batch(client, old).status_code == 401
    assert post_batch(client, new).status_code == 200


def test_a_revoked_token_is_refused_and_its_calls_stay(client, admin_user, anna):
    integration, token = integration_create(name="PBX", source="office-pbx", adapter="api")
    assert post_batch(client, token, "c1").status_code == 200
    client.force_login(admin_user)
    client.post(CHANGELIST, {"action": "revoke", "_selected_action": [integration.pk]})
    client.logout()
    assert post_batch(client, token, "c2").status_code == 403
    assert list(CallLog.objects.values_list("external_id", flat=True)) == ["c1"]
    assert Integration.objects.get().revoked_at is not None


@pytest.mark.parametrize("role", [Role.OWNER, Role.SALES_HEAD, Role.MANAGER])
def test_only_admins_make_integrations(role, team):
    who = person(role, None if role == Role.OWNER else team).user
    with pytest.raises(AccessDenied):
        integration_create(name="PBX", source="office-pbx", adapter="api", by=who)
    assert not Integration.objects.exists()


def test_the_owner_reads_integrations_and_their_health_but_changes_nothing(client, team):
    integration, token = integration_create(name="PBX", source="office-pbx", adapter="api")
    owner = person(Role.OWNER).user
    client.force_login(owner)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(f"{CHANGELIST}{integration.pk}/health/").status_code == 200
    assert client.get(ADD).status_code == 403
    assert client.post(CHANGELIST, {"action": "revoke",
                                    "_selected_action": [integration.pk]}).status_code in (
        200, 302, 403)
    with pytest.raises(AccessDenied):
        integration_token_renew(integration=integration, by=owner)
    assert Integration.objects.get().revoked_at is None


@pytest.mark.parametrize("role", [Role.SALES_HEAD, Role.MANAGER])
def test_the_floor_never_sees_integrations(client, team, role):
    integration, _token = integration_create(name="PBX", source="office-pbx", adapter="api")
    client.force_login(person(role, team).user)
    for url in (CHANGELIST, f"{CHANGELIST}{integration.pk}/health/",
                f"{CHANGELIST}{integration.pk}/json-paths/"):
        assert client.get(url).status_code in (302, 403, 404)
