"""What an adapter or the batch API hands the ingestion service: typed calls, typed results."""

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallEvent:
    """One call as a PBX reported it, before it is matched to a manager and a status.

    ``manager``: how telephony names the person (extension, login, e-mail, an alias, the full
    name), matched as the file importer matches it. ``status``: the provider's status word,
    read through the status mappings; ``outcome`` only when the sender already speaks our
    outcomes (then ``status`` is empty). ``talk_s`` None: not reported (an answered call then
    talked for its whole duration, as in the importer)."""

    external_id: str
    started_at: datetime.datetime
    duration_s: int
    manager: str = ""
    manager_alt: str = ""  # tried when ``manager`` names nobody (the other side of the call)
    talk_s: int | None = None
    status: str = ""
    outcome: int | None = None
    direction: str | None = None  # "in" / "out"; None: outbound
    phone: str = ""
    recording_url: str = ""
    wrapup_s: int = 0
    source: str = ""  # empty: the integration's


@dataclass(frozen=True)
class ItemError:
    field: str
    value: str
    reason: str
    kind: str = ""  # "manager" / "status": queued for the importer's bulk mapping


@dataclass
class ItemResult:
    """What became of one event: ``created``, ``present`` (nothing new), ``updated`` (it
    carried more and its month is open), ``conflict`` (it carried more for an approved
    month: an import conflict waits for an admin) or ``error``."""

    index: int
    external_id: str
    result: str
    call_id: int | None = None
    errors: list[ItemError] = field(default_factory=list)


@dataclass
class IngestOutcome:
    items: list[ItemResult]
    batch_id: int | None = None

    def count(self, result: str) -> int:
        return sum(1 for item in self.items if item.result == result)

    @property
    def counts(self) -> dict[str, int]:
        return {name: self.count(name)
                for name in ("created", "present", "updated", "conflict", "error")}
