"""A door that writes a pay input without the write layer fails loudly (SPEC §5, §7): inside a
request or a task the pay-input models refuse save, delete and bulk writes the layer does not
make; code outside doors (factories, migrations) stays free."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from salesops.celery import app as celery_app
from salesops.inputs import PayInputBypass, door, pay_input_writing
from salesops.inputs.activity import call_save
from salesops.inputs.guard import PayInputDoorMiddleware, pay_input_models
from salesops.models import AuditEntry, CallLog, MonthlyPlan, WorkShift
from tests.factories import CallFactory, ManagerFactory
from tests.payouts.helpers import moscow

pytestmark = pytest.mark.django_db


@celery_app.task(name="tests.inputs.write_a_call_directly")
def write_a_call_directly(manager_id: int) -> None:
    CallLog.objects.create(source="t", external_id="direct", manager_id=manager_id,
                           started_at=moscow(2026, 12, 1, 10, 0), duration_s=10, talk_s=5)


def test_the_pay_inputs_are_exactly_the_models_pay_is_built_from():
    assert sorted(model._meta.label for model in pay_input_models()) == [
        "leads.Lead", "leads.LeadMilestone", "leads.LeadOwnership", "leads.Payment",
        "partner_portal.HandedLeadPayment", "payouts.CommissionException", "salesops.CallLog",
        "salesops.MonthlyPlan", "salesops.TeamMembership", "salesops.WorkShift",
        "vendors.QaVerdict",
    ]


def test_a_pay_input_saved_directly_inside_a_door_fails_loudly():
    call = CallFactory()
    with door("POST /somewhere/"):
        with pytest.raises(PayInputBypass, match=r"salesops.CallLog.save\(\) from POST "):
            call.save()
        with pytest.raises(PayInputBypass, match=r"salesops.CallLog.delete\(\)"):
            call.delete()
        with pytest.raises(PayInputBypass, match=r"salesops.CallLog.update\(\)"):
            CallLog.objects.filter(pk=call.pk).update(talk_s=1)
        with pytest.raises(PayInputBypass, match=r"salesops.CallLog.delete\(\)"):
            CallLog.objects.filter(pk=call.pk).delete()
        with pytest.raises(PayInputBypass, match=r"salesops.WorkShift.bulk_create\(\)"):
            WorkShift.objects.bulk_create([])
        with pytest.raises(PayInputBypass, match=r"salesops.MonthlyPlan.bulk_update\(\)"):
            MonthlyPlan.objects.bulk_update([], ["target_revenue"])
    assert CallLog.objects.get(pk=call.pk).talk_s == 45


def test_the_write_layer_writes_inside_a_door_and_audits():
    manager = ManagerFactory()
    with door("POST /somewhere/"):
        call = call_save(call=CallLog(source="t", external_id="x", manager=manager,
                                      started_at=moscow(2026, 12, 1, 10, 0), duration_s=60,
                                      talk_s=40))
    assert CallLog.objects.get(pk=call.pk).talk_s == 40
    assert AuditEntry.objects.get().action == "call_added"


def test_code_outside_doors_stays_free():
    call = CallFactory()
    call.talk_s = 10
    call.save()
    CallLog.objects.filter(pk=call.pk).update(talk_s=5)
    assert CallLog.objects.get(pk=call.pk).talk_s == 5


def test_a_layer_writing_inside_a_door_may_write_directly():
    call = CallFactory()
    with door("task x"), pay_input_writing():
        CallLog.objects.filter(pk=call.pk).update(talk_s=7)
    assert CallLog.objects.get(pk=call.pk).talk_s == 7


def test_every_request_is_a_door():
    call = CallFactory()

    def view(request):
        CallLog.objects.filter(pk=call.pk).update(talk_s=1)
        return HttpResponse()

    middleware = PayInputDoorMiddleware(view)
    with pytest.raises(PayInputBypass, match=r"from GET /calls/"):
        middleware(RequestFactory().get("/calls/"))
    assert CallLog.objects.get(pk=call.pk).talk_s == 45
    # The door closes with the request.
    call.save()


def test_every_task_is_a_door():
    manager = ManagerFactory()
    with pytest.raises(PayInputBypass, match=r"from task tests.inputs.write_a_call_directly"):
        write_a_call_directly.delay(manager.pk).get()
    assert not CallLog.objects.exists()
    # The door closes with the task.
    CallFactory(manager=manager, started_at=moscow(2026, 12, 1, 10, 0))
    assert CallLog.objects.count() == 1
