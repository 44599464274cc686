"""A partner is mailed when a lead they referred changes status, when a statement becomes
final and when it is paid (issue 20) — once each."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.test import TestCase

from leads.models import MilestoneKind
from leads.partners.notifications import referred_lead_moved, statement_changed
from leads.services import lead_milestone_set
from payouts.partners import (
    partner_statement_compute,
    partner_statement_finalise,
    partner_statement_mark_paid,
)
from tests.payouts.helpers import moscow

pytestmark = pytest.mark.django_db


def test_a_status_change_of_a_referred_lead_mails_its_partner_once(pw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        milestone = lead_milestone_set(lead=pw.one.lead, kind=MilestoneKind.CONFIRMED,
                                       at=moscow(2026, 10, 3, 10, 0))
    [message] = mail.outbox
    assert message.to == ["one@partner.test"]
    assert "Client of One" in message.subject and "/partner/" in message.body
    assert referred_lead_moved(milestone.pk) == 0  # told already
    assert len(mail.outbox) == 1


def test_a_lead_nobody_referred_mails_no_partner(pw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        lead_milestone_set(lead=pw.one.handed.lead, kind=MilestoneKind.CONFIRMED)
    assert mail.outbox == []


def test_a_statement_final_then_paid_mails_the_partner_once_each(pw, django_user_model,
                                                                settings):
    settings.LANGUAGE_CODE = "ru"  # mail goes out in the organisation's language
    admin = django_user_model.objects.create_superuser("root", password="!")
    with time_machine.travel(moscow(2026, 11, 2, 10, 0), tick=False), \
            TestCase.captureOnCommitCallbacks(execute=True):
        october = partner_statement_compute(partner=pw.two.partner,
                                            month=datetime.date(2026, 10, 1))
        partner_statement_finalise(statement=october, by=admin)
    with TestCase.captureOnCommitCallbacks(execute=True):
        partner_statement_mark_paid(statement=october, by=admin)
    assert [m.subject for m in mail.outbox] == [
        "Ваша выписка за октябрь 2026 сформирована окончательно",
        "Ваша выписка за октябрь 2026 оплачена"]
    assert all(m.to == ["two@partner.test"] for m in mail.outbox)
    assert statement_changed(october.pk) == 0
    assert len(mail.outbox) == 2
