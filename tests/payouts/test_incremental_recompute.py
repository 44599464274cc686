"""SPEC §7: recomputing an open month after a change redoes only the people the change touches
(and whoever is paid a team bonus on a team figure that moved), and equals a full recompute."""

import datetime
from decimal import Decimal

import pytest

from payouts.models import (
    ComponentKind,
    PayoutLine,
    PayoutRun,
    PayoutRunManager,
    TeamMetric,
)
from payouts.services import payout_run_claim_redrive, payout_runs_stalled
from payouts.tasks import payout_runs_watchdog, recompute_payout_run_changes
from salesops.inputs import mark_days, mark_months
from salesops.models import PayoutInputChange, Role
from tests.factories import ManagerFactory, MonthlyPlanFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow, snapshot

pytestmark = pytest.mark.django_db
FIVE_MINUTES = datetime.timedelta(minutes=5)


@pytest.fixture
def floor(team):
    people = []
    for n in range(3):
        manager = ManagerFactory(team=team)
        plan_for(manager, {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6")},
                 {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
        calls(manager, 10 + n, started_at=moscow(2026, 11, 5, 10, 0), talk_s=20, duration_s=60)
        people.append(manager)
    head = ManagerFactory(team=team, role=Role.SALES_HEAD)
    plan_for(head, {"kind": ComponentKind.TEAM_BONUS, "amount": Decimal("10000"),
                    "team_metric": TeamMetric.CONVERSATIONS})
    for manager in people:
        MonthlyPlanFactory(manager=manager, month=NOVEMBER, target_conversations=20)
    return people, head


def _line_ids(run, manager) -> list[int]:
    return sorted(PayoutLine.objects.filter(run=run, manager=manager).values_list("pk", flat=True))


def _recompute(run) -> list[int]:
    return recompute_payout_run_changes.apply(
        kwargs={"run_id": run.pk, "synchronous": True}).get()["members"]


def test_incremental_recompute_touches_only_the_changed_people_and_equals_a_full_one(
    team, floor
):
    (anna, boris, vera), head = floor
    run = compute(NOVEMBER, team)
    untouched = {m.pk: _line_ids(run, m) for m in (boris, vera)}
    # Late calls that are not conversations: anna's minutes change, the team's figure does not.
    calls(anna, 7, started_at=moscow(2026, 11, 20, 10, 0), talk_s=5, duration_s=30)
    mark_days(days=[(anna.pk, moscow(2026, 11, 20, 10, 0).date())])
    assert _recompute(run) == [anna.pk]
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED
    assert {m.pk: _line_ids(run, m) for m in (boris, vera)} == untouched
    incremental = snapshot(run)
    assert snapshot(compute(NOVEMBER, team)) == incremental


def test_a_moved_team_figure_also_recomputes_the_team_bonus(team, floor):
    (anna, boris, vera), head = floor
    run = compute(NOVEMBER, team)
    calls(boris, 4, started_at=moscow(2026, 11, 21, 10, 0), talk_s=40, duration_s=60)
    mark_months(manager_ids=[boris.pk], months=[NOVEMBER])
    assert _recompute(run) == sorted([boris.pk, head.pk])
    incremental = snapshot(run)
    assert snapshot(compute(NOVEMBER, team)) == incremental


def test_nothing_changed_recomputes_nobody(team, floor):
    run = compute(NOVEMBER, team)
    generation = run.generation
    assert _recompute(run) == []
    run.refresh_from_db()
    assert (run.generation, run.status) == (generation, PayoutRun.Status.COMPUTED)


def test_a_stalled_run_is_redriven_once_by_the_watchdog(team, floor):
    run = compute(NOVEMBER, team)
    # As a killed worker leaves it: a new computation started, nobody finished since.
    PayoutRun.objects.filter(pk=run.pk).update(status="draft", generation=run.generation + 1,
                                               started_at=moscow(2026, 11, 30, 9, 0))
    PayoutRunManager.objects.filter(run=run).update(finished_at=moscow(2026, 11, 30, 9, 0))
    assert [r.pk for r in payout_runs_stalled(stalled_after=FIVE_MINUTES)] == [run.pk]
    stale_read = PayoutRun.objects.get(pk=run.pk)
    assert payout_run_claim_redrive(run=stale_read) is True
    assert payout_run_claim_redrive(run=stale_read) is False  # a second beat read the same row
    PayoutRun.objects.filter(pk=run.pk).update(redriven_at=moscow(2026, 11, 30, 9, 0))
    assert payout_runs_watchdog.apply(kwargs={"stalled_after_s": 300}).get() == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.redrives) == (PayoutRun.Status.COMPUTED, 2)
    assert not PayoutRunManager.objects.filter(run=run, done_generation__lt=run.generation)
    assert payout_runs_watchdog.apply(kwargs={"stalled_after_s": 300}).get() == []


def test_an_import_marks_its_calls_months_and_only_their_people_are_recomputed(
    team, floor, settings, tmp_path
):
    from salesops.imports.services import import_file
    from tests.imports.conftest import fixture

    settings.MEDIA_ROOT = tmp_path
    october = datetime.date(2026, 10, 1)
    (anna, boris, vera), head = floor
    boris.extension = "301"
    boris.save(update_fields=["extension"])
    calls(vera, 3, started_at=moscow(2026, 10, 2, 10, 0), talk_s=20, duration_s=60)
    run = compute(october, team)
    import_file(path=fixture("asterisk_multileg_21.csv"))
    assert list(PayoutInputChange.objects.values_list("manager_id", "month", "version")) == [
        (boris.pk, october, 1)
    ]
    # Boris's answered leg is a conversation: the team's figure moved, so the head's bonus too.
    assert _recompute(run) == sorted([boris.pk, head.pk])
    incremental = snapshot(run)
    assert snapshot(compute(october, team)) == incremental


def test_compute_payouts_changed_recomputes_only_the_changed_people(team, floor):
    from io import StringIO

    from django.core.management import call_command

    (anna, boris, vera), head = floor
    compute(NOVEMBER, team)
    calls(vera, 2, started_at=moscow(2026, 11, 22, 10, 0), talk_s=5, duration_s=30)
    mark_months(manager_ids=[vera.pk], months=[NOVEMBER])
    out = StringIO()
    call_command("compute_payouts", "2026-11", "--changed", stdout=out)
    assert out.getvalue() == "north: 2026-11 computed, 1 people recomputed\n"


def test_a_spreadsheet_import_of_shifts_or_targets_marks_their_months_a_preview_does_not():
    import tablib

    from salesops.imports.resources import MonthlyPlanResource, ShiftResource

    manager = ManagerFactory(extension="201")
    shifts = tablib.Dataset(["201", "2026-10-31T22:00:00+00:00", "2026-11-01T06:00:00+00:00"],
                            headers=["manager", "started_at", "ended_at"])
    targets = tablib.Dataset(["201", "2026-12-01", 1200, 20, "1000000.00"],
                             headers=["manager", "month", "target_conversations",
                                      "target_confirmed_leads", "target_revenue"])
    ShiftResource().import_data(shifts, dry_run=True)
    assert not PayoutInputChange.objects.exists()
    assert not ShiftResource().import_data(shifts, dry_run=False).has_errors()
    MonthlyPlanResource().import_data(targets, dry_run=False)
    # SPEC §8 example 9: 22:00 UTC on 31 October is 1 November in Moscow.
    assert sorted(PayoutInputChange.objects.values_list("manager_id", "month")) == [
        (manager.pk, NOVEMBER), (manager.pk, datetime.date(2026, 12, 1))
    ]


def test_late_data_for_an_approved_month_makes_the_next_open_month_stale_and_adjusts_it(
    team, floor
):
    from payouts.lifecycle import PayoutRunStale, payout_run_approve
    from payouts.staleness import StaleMember, payout_run_staleness

    (anna, boris, vera), head = floor
    october = datetime.date(2026, 10, 1)
    calls(anna, 4, started_at=moscow(2026, 10, 6, 10, 0), talk_s=20, duration_s=60)
    owner = ManagerFactory(owner=True)
    payout_run_approve(run=compute(october, team), approved_by=owner.user)
    november = compute(NOVEMBER, team)
    calls(anna, 2, started_at=moscow(2026, 10, 30, 10, 0), talk_s=20, duration_s=60)
    mark_months(manager_ids=[anna.pk], months=[october])
    assert payout_run_staleness(run=november, figures=False) == [
        StaleMember(anna.pk, "inputs changed")
    ]
    with pytest.raises(PayoutRunStale):
        payout_run_approve(run=november, approved_by=owner.user)
    # The head's October team bonus reads the team's October: it is adjusted too (SPEC §6.5).
    assert _recompute(november) == [anna.pk, head.pk]
    assert PayoutLine.objects.get(run=november, manager=anna, key="adj:2026-10:",
                                  kind=ComponentKind.PER_CONVERSATION).amount == Decimal("20.00")
    incremental = snapshot(november)
    assert snapshot(compute(NOVEMBER, team)) == incremental
    assert payout_run_approve(run=november, approved_by=owner.user).status == "approved"


def test_a_burst_of_changes_to_the_open_month_queues_one_refresh(settings, queued_with_a_broker):
    from payouts import tasks

    settings.PAYOUT_REFRESH_DELAY_S = 30
    queued = queued_with_a_broker(tasks.refresh_open_month_pay)
    for _change in range(3):
        tasks.refresh_open_month_pay_soon()
    assert queued == [{"countdown": 30}]


def test_a_plan_edited_in_place_makes_its_people_stale_and_only_they_are_recomputed(team, floor):
    from payouts.models import PlanComponent
    from payouts.staleness import StaleMember, payout_run_staleness

    (anna, boris, vera), head = floor
    run = compute(NOVEMBER, team)
    PlanComponent.objects.filter(version__plan__assignments__manager=boris,
                                 kind=ComponentKind.PER_MINUTE).update(rate=Decimal("7"))
    assert payout_run_staleness(run=run) == [StaleMember(boris.pk, "plan changed")]
    assert _recompute(run) == [boris.pk]
    assert payout_run_staleness(run=run) == []
    incremental = snapshot(run)
    assert snapshot(compute(NOVEMBER, team)) == incremental


def test_a_worker_that_keeps_an_older_copy_of_an_edited_plan_pays_by_the_plan_as_read_now(
    team, floor
):
    """Workers keep the plan versions they paid by; a version edited in place is kept under
    what it said, so a member of a newer computation is paid by the plan as that computation
    read it, never by the copy an earlier one left behind."""
    from payouts import services
    from payouts.models import PlanComponent
    from payouts.services import payout_run_compute_members, payout_run_recompute_changed

    (anna, boris, vera), head = floor
    run = compute(NOVEMBER, team)
    kept_by_an_earlier_computation = dict(services._version_for._by_digest)
    PlanComponent.objects.filter(version__plan__assignments__manager=boris,
                                 kind=ComponentKind.PER_MINUTE).update(rate=Decimal("7"))
    started = payout_run_recompute_changed(run=run)
    assert started.manager_ids == [boris.pk]
    services._version_for._by_digest = kept_by_an_earlier_computation
    assert payout_run_compute_members(run_id=run.pk, manager_ids=started.manager_ids,
                                      generation=started.generation) == {boris.pk: "done"}
    line = PayoutLine.objects.get(run=run, manager=boris, kind=ComponentKind.PER_MINUTE)
    assert (line.rate, line.amount) == (Decimal("7.0000"), Decimal("77.00"))


def test_every_writer_of_an_input_of_pay_marks_the_month_it_feeds(team):
    from leads.models import DuplicateState, LeadSource, MilestoneKind
    from leads.services import (
        duplicate_resolve,
        lead_create,
        lead_milestone_correct,
        lead_milestone_set,
        payment_create,
        payment_refund,
    )
    from payouts.exceptions import commission_exception_approve, commission_exception_request
    from payouts.models import ExceptionKind
    from tests.payouts.factories import person

    anna = person(Role.MANAGER, team)
    head = person(Role.SALES_HEAD, team)
    owner = person(Role.OWNER)
    october = datetime.date(2026, 10, 1)

    def versions():
        return dict(PayoutInputChange.objects.values_list("month", "version"))

    lead = lead_create(owner=anna, source=LeadSource.COLD_CALL, phone="+79161234567")
    confirmed = lead_milestone_set(lead=lead, kind=MilestoneKind.CONFIRMED,
                                   at=moscow(2026, 10, 31, 23, 30))  # 31 October in Moscow
    assert versions() == {october: 1}
    payment = payment_create(lead=lead, amount=Decimal("1000.00"),
                             received_on=datetime.date(2026, 11, 3))
    assert versions() == {october: 1, NOVEMBER: 1}
    payment_refund(payment=payment, received_on=datetime.date(2026, 11, 9))
    assert versions() == {october: 1, NOVEMBER: 2}
    exception = commission_exception_request(
        lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"), requested_by=head.user,
        reason="agreed with the client")
    assert versions() == {october: 2, NOVEMBER: 3}  # the lead's milestone and payments
    commission_exception_approve(exception=exception, approved_by=owner.user)
    assert versions() == {october: 3, NOVEMBER: 4}
    lead_milestone_correct(milestone=confirmed, reason="wrong lead", by=head.user,
                           at=moscow(2026, 11, 25, 12, 0))
    assert versions() == {october: 4, NOVEMBER: 5}
    newcomer = lead_create(owner=anna, source=LeadSource.COLD_CALL, phone="+79161234567")
    lead_milestone_set(lead=newcomer, kind=MilestoneKind.CONFIRMED,
                       at=moscow(2026, 11, 20, 12, 0))
    assert versions() == {october: 4, NOVEMBER: 6}
    duplicate_resolve(lead=newcomer, resolution=DuplicateState.KEEP_FIRST, by=head.user)
    assert versions() == {october: 5, NOVEMBER: 7}  # both leads' months, once each
