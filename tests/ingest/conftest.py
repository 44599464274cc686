import datetime
import importlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.apps import apps

from payouts.lifecycle import payout_run_approve
from payouts.models import ComponentKind
from salesops.ingest.services import integration_create
from tests.factories import ManagerFactory
from tests.payouts.factories import plan_for
from tests.payouts.helpers import NOVEMBER, compute

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
NOW = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fixture_json(name: str):
    return json.loads(fixture_text(name))


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def status_mappings(request):
    """The mappings the migrations seed (transactional tests elsewhere empty the tables)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from salesops.models import StatusMapping

    if not StatusMapping.objects.exists():
        for name in ("salesops.migrations.0004_seed_status_mappings",
                     "salesops.migrations.0007_seed_common_status_vocabulary"):
            importlib.import_module(name).seed(apps, None)
    if not StatusMapping.objects.filter(preset="zadarma").exists():
        importlib.import_module("salesops.ingest.migrations.0002_zadarma_status_mappings").seed(
            apps, None)


@pytest.fixture
def anna(team):
    manager = ManagerFactory(team=team, extension="7001")
    plan_for(manager, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("100")},
             conversation_threshold_s=15)
    return manager


@pytest.fixture
def boris(team):
    return ManagerFactory(team=team, extension="7002")


@pytest.fixture
def approve_november(team):
    def approve():
        head = ManagerFactory(team=team, sales_head=True)
        return payout_run_approve(run=compute(NOVEMBER, team), approved_by=head.user)

    return approve


@pytest.fixture
def make_integration():
    def make(adapter: str, source: str = "", **fields):
        return integration_create(name=f"{adapter} PBX", source=source or adapter,
                                  adapter=adapter, **fields)

    return make
