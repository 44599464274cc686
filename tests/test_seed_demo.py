"""seed_demo builds a believable organisation (SPEC §1, §2, §5), the same one for the same seed."""

import datetime
import re
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.test import RequestFactory
from django.utils import timezone

from leads.models import (
    Lead,
    LeadMilestone,
    LeadOwnership,
    LeadSource,
    MilestoneKind,
    Partner,
    Payment,
    PaymentKind,
)
from payouts.models import PayoutLine, PayoutRun
from salesops.demo import demo_counts, demo_data_build
from salesops.models import (
    AuditEntry,
    CallLog,
    DailyManagerStats,
    Manager,
    MonthlyPlan,
    Outcome,
    PayoutInputChange,
    Role,
    Team,
    WorkShift,
)
from salesops.periods import organisation_zone
from salesops.services import manager_create

pytestmark = pytest.mark.django_db

# Friday 7 March 2025: five days back is one whole working week.
END = datetime.date(2025, 3, 7)
SMALL = ("--managers=4", "--days=5", f"--end={END}")
E164_RU = re.compile(r"^\+7\d{10}$")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def local(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(organisation_zone())


def snapshot() -> dict:
    """Everything seed_demo wrote, without primary keys (which a reset does not reuse)."""
    return {
        "counts": demo_counts(),
        "people": list(
            Manager.objects.order_by("user__username").values_list(
                "user__username", "user__first_name", "user__last_name", "role", "team__code",
                "extension", "telephony_login", "telephony_email", "active_from",
            )
        ),
        "calls": list(
            CallLog.objects.order_by("external_id").values_list(
                "external_id", "manager__user__username", "started_at", "duration_s", "talk_s",
                "wrapup_s", "direction", "phone", "outcome", "recording_url",
            )
        ),
        "shifts": list(
            WorkShift.objects.order_by("manager__user__username", "started_at").values_list(
                "manager__user__username", "started_at", "ended_at"
            )
        ),
        "plans": list(
            MonthlyPlan.objects.order_by("manager__user__username", "month").values_list(
                "manager__user__username", "month", "target_conversations",
                "target_confirmed_leads", "target_revenue",
            )
        ),
        "leads": list(
            Lead.objects.order_by("created_at", "phone").values_list(
                "name", "company", "phone", "tax_id", "owner__user__username", "source",
                "partner__name", "created_at",
            )
        ),
        "milestones": list(
            LeadMilestone.objects.order_by("at", "lead__phone", "kind").values_list(
                "lead__phone", "kind", "at", "set_by__username", "note"
            )
        ),
        "payments": list(
            Payment.objects.order_by("external_id").values_list(
                "external_id", "lead__phone", "amount", "received_on", "kind", "period_start",
                "refund_of__external_id",
            )
        ),
    }


def test_seed_demo_same_seed_gives_same_counts():
    seed_demo(*SMALL, "--seed=7", "--reset")
    first = snapshot()
    seed_demo(*SMALL, "--seed=7", "--reset")
    second = snapshot()

    assert second["counts"] == first["counts"]
    assert sum(row[3] for row in second["calls"]) == sum(row[3] for row in first["calls"])
    assert second == first


def test_seed_demo_different_seeds_give_different_calls():
    seed_demo(*SMALL, "--seed=1")
    first = snapshot()
    seed_demo(*SMALL, "--seed=2", "--reset")

    assert snapshot()["calls"] != first["calls"]


def test_seed_demo_builds_every_role_and_lead_source():
    seed_demo(*SMALL)

    roles = Counter(Manager.objects.values_list("role", flat=True))
    assert roles == {Role.OWNER: 1, Role.ADMIN: 1, Role.SALES_HEAD: 3, Role.MANAGER: 4}
    assert set(Team.objects.values_list("code", flat=True)) == {"north", "south", "east"}
    for team in Team.objects.all():
        assert team.members.filter(role=Role.SALES_HEAD).count() == 1
    assert set(Lead.objects.values_list("source", flat=True)) == set(LeadSource.values)
    refund = Payment.objects.get(refund_of__isnull=False)
    assert refund.amount == -refund.refund_of.amount
    assert Payment.objects.filter(kind=PaymentKind.RECURRING).exists()
    assert Payment.objects.filter(kind=PaymentKind.ONE_TIME, refund_of__isnull=True).exists()


def test_seed_demo_gives_every_manager_telephony_identifiers():
    seed_demo(*SMALL)

    manager = Manager.objects.get(user__username="manager01")
    assert (manager.extension, manager.telephony_login) == ("101", "sip101")
    assert manager.telephony_email == "manager01@pbx.example.com"
    assert manager.active_from <= END - datetime.timedelta(days=4)
    assert not Manager.objects.filter(role=Role.MANAGER, extension="").exists()


def test_seed_demo_calls_fall_on_working_days_within_business_hours():
    # Monday 3 to Sunday 9 March 2025: the weekend must stay silent.
    seed_demo("--managers=2", "--days=7", "--end=2025-03-09")

    starts = [local(at) for at in CallLog.objects.values_list("started_at", flat=True)]
    assert {at.date() for at in starts} == {
        datetime.date(2025, 3, day) for day in range(3, 8)
    }
    assert all(datetime.time(9) <= at.time() < datetime.time(18) for at in starts)


def test_seed_demo_dials_about_300_times_per_manager_per_working_day_inside_a_shift():
    seed_demo(*SMALL)

    shifts = {
        (shift.manager_id, local(shift.started_at).date()): shift
        for shift in WorkShift.objects.all()
    }
    assert len(shifts) == 4 * 5
    per_day = Counter()
    for call in CallLog.objects.only("manager_id", "started_at"):
        shift = shifts[(call.manager_id, local(call.started_at).date())]
        assert shift.started_at <= call.started_at < shift.ended_at
        per_day[(call.manager_id, local(call.started_at).date())] += 1
    assert all(270 <= calls <= 330 for calls in per_day.values())


def test_seed_demo_call_durations_follow_the_outcome():
    seed_demo(*SMALL)

    calls = CallLog.objects.all()
    assert not calls.filter(talk_s__gt=F("duration_s")).exists()
    unanswered = calls.filter(outcome=Outcome.NO_ANSWER)
    assert not unanswered.exclude(talk_s=0, wrapup_s=0, recording_url="").exists()
    assert not unanswered.exclude(duration_s__range=(10, 40)).exists()
    answered = calls.exclude(outcome=Outcome.NO_ANSWER)
    assert not answered.exclude(wrapup_s__range=(10, 120)).exists()
    assert not answered.filter(recording_url="").exists()
    assert not calls.filter(outcome=Outcome.CONSENT).exclude(talk_s__range=(240, 900)).exists()
    assert all(
        re.fullmatch(r"\+79\d{9}", phone) for phone in calls.values_list("phone", flat=True)
    )
    share = calls.filter(outcome=Outcome.NO_ANSWER).count() / calls.count()
    assert 0.55 < share < 0.65


def test_seed_demo_plans_every_manager_for_each_month_touched():
    # Wednesday 26 February to Tuesday 4 March 2025 crosses a month boundary.
    seed_demo("--managers=3", "--days=7", "--end=2025-03-04")

    plans = MonthlyPlan.objects.values("manager__user__username").annotate(months=Count("id"))
    assert {row["manager__user__username"]: row["months"] for row in plans} == {
        "manager01": 2, "manager02": 2, "manager03": 2,
    }
    assert set(MonthlyPlan.objects.values_list("month", flat=True)) == {
        datetime.date(2025, 2, 1), datetime.date(2025, 3, 1),
    }
    # Targets sit near a month of the manager's own pace (about 110 conversations a day).
    for plan in MonthlyPlan.objects.all():
        assert 1500 <= plan.target_conversations <= 3500
        assert plan.target_confirmed_leads >= 1
        assert plan.target_revenue > 0


def test_seed_demo_lead_histories_increase_and_stay_within_the_range():
    seed_demo(*SMALL)

    start = END - datetime.timedelta(days=4)
    for lead in Lead.objects.prefetch_related("milestones"):
        moments = [lead.created_at, *(m.at for m in lead.milestones.all())]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
        assert all(start <= local(moment).date() <= END for moment in moments)
        assert all(m.set_by_id is not None for m in lead.milestones.all())
        assert E164_RU.match(lead.phone)
        assert len(lead.tax_id) in (0, 10, 12)
        assert (lead.partner_id is not None) == (lead.source == LeadSource.PARTNER_REFERRED)
    kinds = Counter(LeadMilestone.objects.values_list("kind", flat=True))
    assert kinds[MilestoneKind.CONFIRMED] > Lead.objects.count() / 2
    assert kinds[MilestoneKind.WON] > 0 and kinds[MilestoneKind.LOST] > 0
    assert kinds[MilestoneKind.FAKE] == 2


def test_seed_demo_payments_are_money_on_won_leads_with_one_refund():
    seed_demo(*SMALL)

    payments = Payment.objects.all()
    assert all(p.amount.as_tuple().exponent == -2 for p in payments)
    assert not payments.exclude(lead__milestones__kind=MilestoneKind.WON).exists()
    for payment in payments.filter(kind=PaymentKind.RECURRING):
        assert payment.period_start == payment.received_on.replace(day=1)
    refunds = payments.filter(refund_of__isnull=False)
    assert refunds.count() == 1
    refund = refunds.get()
    assert refund.amount < Decimal("0.00")
    assert refund.lead_id == refund.refund_of.lead_id
    assert refund.refund_of.received_on <= refund.received_on <= END


def test_seed_demo_logins_use_the_demo_password_and_admin_is_not_a_superuser():
    output = seed_demo(*SMALL)

    for username in ("owner", "admin", "head.north", "manager01"):
        request = RequestFactory().post("/login/")  # the lock-out check needs the request
        assert authenticate(request, username=username, password="demo") is not None
        assert username in output
    admin = Manager.objects.get(user__username="admin")
    assert admin.role == Role.ADMIN and not admin.user.is_superuser
    assert "calls" in output and "Done in" in output


def test_seed_demo_if_empty_leaves_existing_data_alone():
    team = Team.objects.create(code="sales", name="Продажи")
    manager_create(username="real.person", team=team, active_from=END, password="x-secret-9")

    output = seed_demo(*SMALL, "--if-empty")

    assert "already present" in output
    assert list(Manager.objects.values_list("user__username", flat=True)) == ["real.person"]
    assert not CallLog.objects.exists() and not Lead.objects.exists()


def test_seed_demo_refuses_without_reset_when_data_exists():
    seed_demo(*SMALL)
    before = demo_counts()

    with pytest.raises(CommandError, match="--reset"):
        seed_demo(*SMALL, "--seed=2")

    assert demo_counts() == before


def test_seed_demo_reset_replaces_data_and_keeps_logins_without_a_manager_profile():
    get_user_model().objects.create_superuser("developer", password="x-secret-9")
    seed_demo(*SMALL)
    once = demo_counts()

    seed_demo(*SMALL, "--reset")

    assert demo_counts() == once
    assert get_user_model().objects.filter(username="developer").exists()
    assert not Payment.objects.filter(~Q(external_id__startswith="demo-")).exists()


def test_seed_demo_computes_pay_for_the_months_it_covers():
    seed_demo(*SMALL)

    runs = PayoutRun.objects.filter(month=datetime.date(2025, 3, 1))
    assert set(runs.values_list("team__code", "status")) == {
        ("north", "computed"), ("south", "computed"), ("east", "computed"),
    }
    assert PayoutLine.objects.filter(run__in=runs, amount__gt=0).exists()


def test_seed_demo_reset_deletes_payout_runs_that_point_at_the_demo_teams():
    seed_demo(*SMALL)
    assert PayoutRun.objects.exists()

    seed_demo(*SMALL, "--reset", "--no-pay")

    assert not PayoutRun.objects.exists()
    assert Team.objects.count() == 3


def test_seed_demo_prints_every_login_with_its_role_and_team():
    output = seed_demo(*SMALL)
    listed = {
        columns[0]: columns[1:]
        for line in output.split('Demo logins (password "demo"):')[1].splitlines()[2:]
        if line.startswith("  ") and (columns := re.split(r"\s{2,}", line.strip()))
    }
    people = Manager.objects.select_related("user", "team")
    assert len(people) == 9  # owner, admin, three heads, four managers
    roles = {"owner": "owner", "admin": "admin", "sales_head": "sales head",
             "manager": "manager"}
    assert listed == {
        **{m.user.username: [roles[m.role], m.team.name if m.team else "—"] for m in people},
        "partner1": ["partner", "—"],
    }
    # The summary counts people the way the table lists them.
    assert "10 logins: 1 owner, 1 admin, 3 sales heads, 4 managers, 1 partner." in output


def test_seed_demo_gives_the_first_partner_a_portal_login_that_opens_its_portal(client):
    seed_demo(*SMALL)
    client.force_login(get_user_model().objects.get(username="partner1"))
    page = client.get("/partner/")
    assert page.status_code == 200
    assert page.context["partner"].name == "Агентство «Вектор»"
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="partner1", password="demo") is not None


def test_seed_demo_reset_deletes_the_partners_login_with_the_partner():
    seed_demo(*SMALL)
    seed_demo(*SMALL, "--reset")
    assert get_user_model().objects.filter(username="partner1").count() == 1
    assert Partner.objects.get(user__username="partner1").name == "Агентство «Вектор»"


def test_seed_demo_ending_today_puts_nothing_after_now():
    zone = organisation_zone()
    # A Wednesday at 11:30 in the organisation's zone: the working day is half done.
    now = datetime.datetime(2025, 3, 5, 11, 30, tzinfo=zone)
    demo_data_build(managers=4, days=14, end=now.date(), now=now)

    calls = CallLog.objects.all()
    assert calls.filter(started_at__date=datetime.date(2025, 3, 5)).exists()  # the morning's
    assert max(c.started_at + datetime.timedelta(seconds=c.duration_s + c.wrapup_s)
               for c in calls) <= now
    assert max(WorkShift.objects.values_list("ended_at", flat=True)) <= now
    assert max(Lead.objects.values_list("created_at", flat=True)) <= now
    assert max(LeadMilestone.objects.values_list("at", flat=True)) <= now
    assert Payment.objects.exists()
    assert max(Payment.objects.values_list("received_on", flat=True)) <= now.date()


def test_seed_demo_command_stops_at_the_present_moment():
    seed_demo("--managers=2", "--days=3", "--no-pay")
    now = timezone.now()
    assert CallLog.objects.filter(started_at__gt=now).count() == 0
    assert WorkShift.objects.filter(ended_at__gt=now).count() == 0
    assert LeadMilestone.objects.filter(at__gt=now).count() == 0



def test_seed_demo_fills_the_daily_figures_with_the_conversations_pay_counts():
    """The team month and the managers' charts read the daily figures: every day with calls has
    them, conversations counted by the plans' threshold (15 s in the demo's plans)."""
    seed_demo(*SMALL, "--no-pay")

    calls = Counter()
    conversations = Counter()
    for manager_id, started_at, talk_s in CallLog.objects.values_list(
            "manager_id", "started_at", "talk_s"):
        day = local(started_at).date()
        calls[(manager_id, day)] += 1
        conversations[(manager_id, day)] += talk_s >= 15
    stats = {(row.manager_id, row.day): row for row in DailyManagerStats.objects.all()}
    assert set(stats) == set(calls)
    assert len(stats) == 4 * 5  # four managers, five working days
    assert {key: (row.calls, row.conversations) for key, row in stats.items()} == {
        key: (calls[key], conversations[key]) for key in calls}
    assert all(row.conversations > 0 for row in stats.values())


def test_seed_demo_writes_through_the_layer_with_one_record_of_what_it_wrote():
    """People have their dated membership, every lead its first owner, every person's months
    are marked changed, and one audit row says what was written (SPEC §5, §7)."""
    seed_demo(*SMALL, "--no-pay")

    for manager in Manager.objects.filter(team__isnull=False):
        assert list(manager.memberships.values_list("team_id", "since")) == [
            (manager.team_id, manager.active_from)]
    assert not Manager.objects.filter(team__isnull=True, memberships__isnull=False).exists()
    assert LeadOwnership.objects.filter(since__isnull=True).count() == Lead.objects.count()
    assert not Lead.objects.exclude(ownerships__owner=F("owner")).exists()
    floor = set(Manager.objects.filter(role=Role.MANAGER).values_list("pk", flat=True))
    assert {(pk, month) for pk, month in PayoutInputChange.objects.values_list(
        "manager_id", "month") if pk in floor} == {
        (pk, datetime.date(2025, 3, 1)) for pk in floor}
    entry = AuditEntry.objects.get()
    counts = demo_counts()
    assert (entry.action, entry.object_type, entry.by) == (
        "demo_seeded", "salesops.importbatch", None)
    assert entry.after["calls"] == counts["calls"] and entry.after["leads"] == counts["leads"]
    assert entry.after["months"] == ["2025-03"]
