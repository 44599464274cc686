import datetime

import pytest
import time_machine

from salesops.periods import organisation_zone


@pytest.fixture(autouse=True)
def december_seventh():
    """November 2026 has ended: its statement may become final."""
    with time_machine.travel(datetime.datetime(2026, 12, 7, 12, 0, tzinfo=organisation_zone()),
                             tick=False):
        yield
