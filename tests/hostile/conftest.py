import pytest

from tests.factories import ManagerFactory, TeamFactory


def staff(manager):
    manager.user.is_staff = True
    manager.user.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def north():
    return TeamFactory(code="north")


@pytest.fixture
def south():
    return TeamFactory(code="south")


@pytest.fixture
def head(north):
    return staff(ManagerFactory(sales_head=True, team=north, user__username="head.north"))


@pytest.fixture
def admin_user():
    return staff(ManagerFactory(admin=True, user__username="admin1"))


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def run_import():
    """Import a file through the real engine (the task's service), in this process."""
    from pathlib import Path

    from salesops.imports.services import import_file

    def run(path, **options):
        return import_file(path=Path(path), **options)

    return run
