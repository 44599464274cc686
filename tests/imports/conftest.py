import importlib
from pathlib import Path

import pytest
from django.apps import apps

from salesops.imports.services import import_file

REPO = Path(__file__).resolve().parent.parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "cdr"
# The real files from public test suites live beside our own, with their licences (README.md).
SAMPLES = FIXTURES


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# The migrations that seed and renumber the status mappings, in their order.
SEEDS = [("0004_seed_status_mappings", "seed"), ("0007_seed_common_status_vocabulary", "seed"),
         ("0010_answered_outcome", "forward"),
         ("0014_status_vocabulary_answered_and_asked", "forward")]


@pytest.fixture(autouse=True)
def status_mappings(request):
    """The status mappings a migration seeds. Transactional tests (anywhere in the suite) end
    by emptying every table; put the seed back for the tests that come after them."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from salesops.models import StatusMapping

    if not StatusMapping.objects.exists():
        for name, step in SEEDS:
            getattr(importlib.import_module(f"salesops.migrations.{name}"), step)(apps, None)


@pytest.fixture
def run_import():
    """Import a file through the real engine (the task's service), in this process."""

    def run(path, **options):
        return import_file(path=Path(path), **options)

    return run


def sample(name: str) -> Path:
    path = SAMPLES / name
    assert path.is_file(), f"sample missing: {path}"
    return path


def fixture(name: str) -> Path:
    return FIXTURES / name
