"""A run's people are computed in batches (one task per few people, not per person), each batch
in one transaction, and the month's calls are aggregated once for every team, not once per
team; each person is still paid once (SPEC §6.4): whoever another computation did first is
left as it is, and a batch that fails leaves none of its people half done."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payouts import services, tasks
from payouts.lifecycle import payout_run_approve
from payouts.models import ComponentKind, PaidItem, PayoutLine, PayoutRun, PayoutRunManager
from payouts.services import (
    payout_run_compute_member,
    payout_run_compute_members,
    payout_run_unfinished_members,
    payout_runs_start,
)
from tests.factories import ManagerFactory, TeamFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow, snapshot

PEOPLE = 23  # three queued batches of ten, the last one short


def _team(code="north", people=PEOPLE):
    team = TeamFactory(code=code)
    for n in range(people):
        person = ManagerFactory(team=team)
        plan_for(person, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
        calls(person, 3 + n % 4, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    return team


def _expected(team) -> list[tuple]:
    return sorted(
        (m.pk, "per_conversation", "", Decimal(3 + n % 4), Decimal("10.0000"),
         Decimal(10 * (3 + n % 4)))
        for n, m in enumerate(team.members.order_by("pk"))
    )


@pytest.mark.django_db
def test_queued_batches_compute_every_member_once():
    team = _team()
    tasks.compute_payout_run.apply(kwargs={"month": "2026-11", "team_id": team.pk})
    run = PayoutRun.objects.get(team=team, month=NOVEMBER)
    assert run.status == PayoutRun.Status.COMPUTED
    assert snapshot(run) == _expected(team)
    assert PayoutRunManager.objects.filter(run=run, done_generation=run.generation).count() \
        == PEOPLE


@pytest.mark.django_db
def test_the_run_is_queued_as_small_batches_of_its_people(monkeypatch):
    team = _team()
    queued = []
    monkeypatch.setattr(tasks, "group", lambda signatures: queued.append(signatures) or
                        type("Group", (), {"apply_async": lambda self, **options: None})())
    tasks.compute_payout_run.apply(kwargs={"month": "2026-11", "team_id": team.pk})
    (signatures,) = queued
    batches = [signature.args[1] for signature in signatures]
    assert [len(batch) for batch in batches] == [10, 10, 3]
    everyone = sorted(team.members.values_list("pk", flat=True))
    assert sorted(pk for batch in batches for pk in batch) == everyone


@pytest.mark.django_db
def test_a_repeated_batch_changes_nothing():
    team = _team()
    run = compute(NOVEMBER, team)
    before = list(PayoutLine.objects.filter(run=run).order_by("pk").values_list("pk", "amount"))
    ids = list(team.members.values_list("pk", flat=True))
    outcomes = payout_run_compute_members(run_id=run.pk, manager_ids=ids,
                                          generation=run.generation)
    assert set(outcomes.values()) == {"already done"}
    assert list(PayoutLine.objects.filter(run=run).order_by("pk")
                .values_list("pk", "amount")) == before


@pytest.mark.django_db
def test_a_batch_of_an_older_computation_does_nothing():
    team = _team(people=3)
    run = compute(NOVEMBER, team)
    again = payout_runs_start(month=NOVEMBER, teams=[team])[team.pk]
    ids = list(team.members.values_list("pk", flat=True))
    stale = payout_run_compute_members(run_id=run.pk, manager_ids=ids, generation=run.generation)
    assert set(stale.values()) == {"stale"}
    assert not PayoutRunManager.objects.filter(run=again,
                                               done_generation=again.generation).exists()
    fresh = payout_run_compute_members(run_id=run.pk, manager_ids=[*ids, 10**9],
                                       generation=again.generation)
    assert fresh == {**dict.fromkeys(ids, "done"), 10**9: "gone"}
    assert PayoutLine.objects.filter(run=run).count() == 3


@pytest.mark.django_db
def test_the_months_calls_are_aggregated_once_for_every_team():
    north, south = _team("north", people=4), _team("south", people=5)
    with CaptureQueriesContext(connection) as queries:
        runs = payout_runs_start(month=NOVEMBER, teams=[north, south])
    call_queries = [q for q in queries.captured_queries if "salesops_calllog" in q["sql"]]
    assert len(call_queries) == 1
    assert {runs[north.pk].managers_total, runs[south.pk].managers_total} == {4, 5}
    assert runs[north.pk].team_facts["conversations"] == sum(3 + n % 4 for n in range(4))


@pytest.mark.django_db
def test_a_locked_team_is_left_alone_while_the_others_are_computed():
    north, south = _team("north", people=2), _team("south", people=2)
    head = ManagerFactory(owner=True)
    locked = payout_run_approve(run=compute(NOVEMBER, north), approved_by=head.user)
    results = tasks.compute_payout_run.apply(
        kwargs={"month": "2026-11", "synchronous": True}
    ).get()
    assert {r["team"]: r["locked"] for r in results} == {"north": True, "south": False}
    locked.refresh_from_db()
    assert locked.status == PayoutRun.Status.APPROVED
    assert PayoutRun.objects.get(team=south).status == PayoutRun.Status.COMPUTED


@pytest.mark.django_db(transaction=True)
def test_batches_on_threads_pay_everyone_once_as_one_after_another(monkeypatch):
    """In process and outside a transaction, PostgreSQL batches run on threads (SQLite one
    after another): either way the same lines as a computation one batch at a time."""
    team = _team()
    monkeypatch.setattr(tasks, "SYNCHRONOUS_BATCH", 4)
    threaded = snapshot(compute(NOVEMBER, team))
    assert threaded == _expected(team)
    monkeypatch.setattr(tasks, "SYNCHRONOUS_THREADS", 1)
    assert snapshot(compute(NOVEMBER, team)) == threaded
    assert PayoutLine.objects.count() == PEOPLE
    assert PaidItem.objects.count() == 0


def _lines_of(run, manager_id) -> list[tuple]:
    return list(PayoutLine.objects.filter(run=run, manager_id=manager_id).order_by("pk")
                .values_list("pk", "kind", "amount"))


@pytest.mark.django_db
def test_a_member_another_computation_did_first_is_left_as_it_is_and_the_others_done():
    team = _team(people=4)
    run = payout_runs_start(month=NOVEMBER, teams=[team])[team.pk]
    ids = sorted(team.members.values_list("pk", flat=True))
    assert payout_run_compute_member(run_id=run.pk, manager_id=ids[1],
                                     generation=run.generation) == "done"
    before = _lines_of(run, ids[1])
    outcomes = payout_run_compute_members(run_id=run.pk, manager_ids=ids,
                                          generation=run.generation)
    assert outcomes == {**dict.fromkeys(ids, "done"), ids[1]: "already done"}
    assert _lines_of(run, ids[1]) == before
    assert snapshot(run) == _expected(team)


@pytest.mark.django_db
def test_a_member_claimed_by_another_computation_after_the_batch_read_it_is_written_once(
    monkeypatch,
):
    """Another computation commits one of the batch's people between the batch's read of its
    members and its claim: the claim leaves that person out, and reading them again says they
    are done."""
    team = _team(people=4)
    run = payout_runs_start(month=NOVEMBER, teams=[team])[team.pk]
    ids = sorted(team.members.values_list("pk", flat=True))
    claim = services._claim
    other = []

    def another_computation_first(**kwargs):
        if not other:
            other.append("started")  # its own claim is a plain one
            other[0] = payout_run_compute_member(run_id=run.pk, manager_id=ids[2],
                                                 generation=run.generation)
        return claim(**kwargs)

    monkeypatch.setattr(services, "_claim", another_computation_first)
    outcomes = payout_run_compute_members(run_id=run.pk, manager_ids=ids,
                                          generation=run.generation)
    assert other == ["done"]
    assert outcomes == {**dict.fromkeys(ids, "done"), ids[2]: "already done"}
    assert len(_lines_of(run, ids[2])) == 1
    assert snapshot(run) == _expected(team)


@pytest.mark.django_db
def test_a_batch_that_fails_leaves_none_of_its_people_done_and_a_retry_does_only_them(
    monkeypatch,
):
    team = _team(people=6)
    run = payout_runs_start(month=NOVEMBER, teams=[team])[team.pk]
    ids = sorted(team.members.values_list("pk", flat=True))
    assert set(payout_run_compute_members(run_id=run.pk, manager_ids=ids[:3],
                                          generation=run.generation).values()) == {"done"}
    save = services.members_lines_save

    def dies_after_writing(**kwargs):
        save(**kwargs)
        raise RuntimeError("worker died before the batch committed")

    monkeypatch.setattr(services, "members_lines_save", dies_after_writing)
    with pytest.raises(RuntimeError, match="worker died"):
        payout_run_compute_members(run_id=run.pk, manager_ids=ids[3:],
                                   generation=run.generation)
    assert payout_run_unfinished_members(run=run) == ids[3:]
    assert set(PayoutLine.objects.filter(run=run).values_list("manager_id", flat=True)) \
        == set(ids[:3])
    monkeypatch.setattr(services, "members_lines_save", save)
    outcomes = payout_run_compute_members(run_id=run.pk, manager_ids=ids,
                                          generation=run.generation)
    assert outcomes == {**dict.fromkeys(ids[:3], "already done"), **dict.fromkeys(ids[3:], "done")}
    assert snapshot(run) == _expected(team)


@pytest.mark.django_db(transaction=True)
def test_the_calls_aggregated_on_a_connection_of_their_own_give_the_same_figures(monkeypatch):
    """Outside a caller's transaction (PostgreSQL) the month's calls are aggregated on another
    connection while this one gathers the rest; inside one, they stay on the caller's, which
    may hold calls no other connection sees. Either way the same figures."""
    if connection.vendor != "postgresql":
        pytest.skip("another connection needs PostgreSQL")
    team = _team(people=5)
    slow = ManagerFactory(team=team)  # another threshold: a second group of calls
    plan_for(slow, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")},
             conversation_threshold_s=35)
    calls(slow, 4, started_at=moscow(2026, 11, 5, 10, 0), talk_s=40, duration_s=50)
    calls(slow, 2, started_at=moscow(2026, 11, 5, 11, 0), talk_s=30, duration_s=50)

    def start() -> tuple[list, list]:
        with CaptureQueriesContext(connection) as queries:
            run = payout_runs_start(month=NOVEMBER, teams=[team])[team.pk]
        figures = sorted(PayoutRunManager.objects.filter(run=run).values_list("manager_id",
                                                                              "facts"))
        return figures, [q for q in queries.captured_queries if "salesops_calllog" in q["sql"]]

    aside, on_this_connection = start()
    assert on_this_connection == []
    monkeypatch.setattr(services, "aside_is_safe", lambda model: False)
    serial, on_this_connection = start()
    assert len(on_this_connection) == 2
    assert aside == serial
    assert dict(aside)[slow.pk]["calls"]["conversations"] == 4
