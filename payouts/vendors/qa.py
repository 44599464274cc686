"""Listening before paying (issue 19): a sample of a vendor's conversations stratified by
outcome, successful and failed alike, and a verdict per call or lead.

A verdict is a pay input, written here through the write layer (``salesops.inputs``: the
person-month it feeds is marked changed and audited; a locked month admits it as late data, so
it reaches pay as an adjustment on the next draft). What it changes:

- a call judged an **empty conversation** is no conversation and no effective call for the
  vendor's pay (``computation``): never paid as a contact; its minutes were worked and stay paid;
- a lead judged **fake** is marked ``fake`` (``leads.services.lead_milestone_set``), so the
  engine claws it back (SPEC §6.6);
- **fine** changes nothing.
"""

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import Lead, MilestoneKind
from leads.selectors import lead_status
from leads.services import lead_milestone_set
from salesops import policy
from salesops.inputs import Lock, pay_input_recorded, pay_input_writer
from salesops.inputs.membership import organisation_today
from salesops.models import CallLog, Outcome
from salesops.periods import organisation_zone

from .computation import Period, team_shares
from .models import QaVerdict, Verdict

SUCCESSFUL = (Outcome.PRESENTATION, Outcome.CONSENT)


class QaError(Exception):
    pass


@dataclass(frozen=True)
class SampledCall:
    call: CallLog
    successful: bool
    verdict: QaVerdict | None


@dataclass(frozen=True)
class SampledLead:
    lead: Lead
    verdict: QaVerdict | None


@dataclass
class Sample:
    calls: list[SampledCall]
    leads: list[SampledLead]


def listening_sample(*, team_id: int, month: datetime.date, per_outcome: int = 5,
                     leads: int = 5, threshold_s: int = 15, seed: int | None = None) -> Sample:
    """Up to ``per_outcome`` conversations of each outcome (the same ones each time for a
    month: the seed is the month's) and up to ``leads`` leads first confirmed in the month."""
    period = Period.month(month)
    start, end = period.instants()
    people = {m for shares in team_shares(team_id=team_id, period=period).values()
              for m in shares}
    rng = random.Random(seed if seed is not None else month.toordinal())
    chosen = []
    calls = CallLog.objects.filter(manager_id__in=people, started_at__gte=start,
                                   started_at__lt=end, talk_s__gte=threshold_s)
    for outcome in Outcome:
        ids = sorted(calls.filter(outcome=outcome).values_list("pk", flat=True))
        chosen += rng.sample(ids, min(per_outcome, len(ids)))
    found = CallLog.objects.filter(pk__in=chosen).select_related("manager__user", "qa_verdict")
    sampled_calls = sorted(
        (SampledCall(c, c.outcome in SUCCESSFUL, getattr(c, "qa_verdict", None))
         for c in found), key=lambda s: (-s.call.outcome, s.call.started_at))
    lead_ids = sorted(Lead.objects.filter(
        owner_id__in=people, milestones__kind=MilestoneKind.CONFIRMED,
        milestones__at__gte=start, milestones__at__lt=end).values_list("pk", flat=True)
        .distinct())
    picked = rng.sample(lead_ids, min(leads, len(lead_ids)))
    sampled_leads = [SampledLead(lead, getattr(lead, "qa_verdict", None)) for lead in
                     Lead.objects.filter(pk__in=picked).select_related("qa_verdict")
                     .order_by("pk")]
    return Sample(sampled_calls, sampled_leads)


def _day(instant: datetime.datetime) -> datetime.date:
    return instant.astimezone(organisation_zone()).date()


@pay_input_writer
@transaction.atomic
def qa_verdict_set(*, verdict: str, by, call: CallLog | None = None, lead: Lead | None = None,
                   note: str = "") -> QaVerdict:
    """Judge a call (fine / empty conversation) or a lead (fine / fake)."""
    if (call is None) == (lead is None):
        raise QaError(_("A verdict is on a call or on a lead."))
    if by is not None:
        policy.require(by, policy.CREATE, "qa_verdicts")
    if call is not None and verdict not in (Verdict.FINE, Verdict.EMPTY):
        raise QaError(_("A call is judged fine or an empty conversation."))
    if lead is not None and verdict not in (Verdict.FINE, Verdict.FAKE):
        raise QaError(_("A lead is judged fine or fake."))
    row = (QaVerdict.objects.select_for_update().filter(call=call) if call is not None
           else QaVerdict.objects.select_for_update().filter(lead=lead)).first()
    before = {"verdict": row.verdict, "note": row.note} if row else {}
    if row is not None and row.verdict == Verdict.FAKE and verdict != Verdict.FAKE:
        raise QaError(_("The lead is marked fake: a fake mark is undone by a correction on "
                        "the lead, with a reason."))
    if row is None:
        row = QaVerdict(call=call, lead=lead)
    row.verdict, row.note, row.by, row.at = verdict, note[:500], by, timezone.now()
    row.save()
    if lead is not None:
        days = [(lead.owner_id, organisation_today())]
        if verdict == Verdict.FAKE and lead_status(lead=lead) != MilestoneKind.FAKE:
            lead_milestone_set(lead=lead, kind=MilestoneKind.FAKE, by=by,
                               note=note or _("QA: fake lead"))
    else:
        days = [(call.manager_id, _day(call.started_at))]
    pay_input_recorded(action="qa_verdict", obj=row, by=by, before=before,
                       after={"verdict": verdict, "note": row.note}, days=days, lock=Lock.NEW)
    return row
