"""No name a client sends reaches the file system: the admin's import screens keep the upload
between preview and confirm under a random token only the uploader's session may use. A POST
to ``process_import`` naming any other file reads nothing, deletes nothing, imports nothing."""

import tempfile
import uuid
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.imports.admin_files import SESSION_KEY, folder
from salesops.models import MonthlyPlan
from tests.factories import ManagerFactory

pytestmark = pytest.mark.django_db
IMPORT = "/admin/salesops/monthlyplan/import/"
PROCESS = "/admin/salesops/monthlyplan/process_import/"
PLAN_CSV = ("manager,month,target_conversations,target_confirmed_leads,target_revenue\n"
            "{ext},2026-11-01,1200,20,1000000.00\n")


@pytest.fixture
def planted():
    """A file in the system's temporary folder, as the old storage would have opened it."""
    path = Path(tempfile.gettempdir()) / f"planted-{uuid.uuid4().hex}.csv"
    path.write_text(PLAN_CSV.format(ext="9999"))
    yield path
    path.unlink(missing_ok=True)


def _confirm(client, name):
    return client.post(PROCESS, {"import_file_name": name, "original_file_name": "plans.csv",
                                 "format": "0", "resource": ""})


def _preview(client, ext):
    upload = SimpleUploadedFile("plans.csv", PLAN_CSV.format(ext=ext).encode(), "text/csv")
    response = client.post(IMPORT, {"import_file": upload, "format": "0", "resource": "0"})
    assert response.status_code == 200
    return response.context["confirm_form"].initial["import_file_name"]


@pytest.mark.parametrize("name", ["{planted}", "{planted_name}", "../../{planted_name}",
                                  "/etc/hostname"])
def test_a_file_name_sent_by_the_client_never_reaches_the_file_system(
        client, head, planted, name):
    ManagerFactory(team=head.team, extension="9999")
    client.force_login(head.user)
    before = planted.read_bytes()
    response = _confirm(client, name.format(planted=planted, planted_name=planted.name))
    assert response.status_code == 400
    assert planted.read_bytes() == before  # still there, unchanged
    assert MonthlyPlan.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_another_users_preview_file_cannot_be_confirmed_or_deleted_by_a_sales_head(
        client, head, admin_user):
    ManagerFactory(team=head.team, extension="9999")
    client.force_login(admin_user.user)
    token = _preview(client, "9999")
    stored = folder() / token
    assert stored.is_file()
    client.force_login(head.user)
    response = _confirm(client, token)
    assert response.status_code == 400
    assert stored.is_file()
    assert MonthlyPlan.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_the_uploaders_own_preview_is_confirmed_and_its_file_removed(client, head):
    ManagerFactory(team=head.team, extension="9999")
    client.force_login(head.user)
    token = _preview(client, "9999")
    assert token in client.session[SESSION_KEY]
    assert (folder() / token).is_file()
    response = _confirm(client, token)
    assert response.status_code == 302
    assert MonthlyPlan.objects.get().target_conversations == 1200
    assert not (folder() / token).exists()
    # A second confirm of the same token finds nothing to read: 400, nothing imported twice.
    assert _confirm(client, token).status_code == 400
    assert MonthlyPlan.objects.count() == 1


def test_every_admin_import_screen_keeps_files_in_the_session_storage(rf):
    from django.contrib import admin

    from salesops.imports.admin_files import SessionFileStorage

    importers = [a for a in admin.site._registry.values() if hasattr(a, "get_tmp_storage_class")]
    assert importers
    assert {a.get_tmp_storage_class() for a in importers} == {SessionFileStorage}
