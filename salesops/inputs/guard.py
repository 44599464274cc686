"""Doors and the layer: a pay input written from a door, other than by the write layer, fails
loudly (SPEC §5, §6.5, §7).

A door is anything that acts for somebody: a web request (``PayInputDoorMiddleware``: pages,
the admin with its imports and actions, the API), a Celery task (``doors_install``), a command
that says so (``door``). Inside a door the pay-input models (``PayInput`` and its queryset:
calls, shifts, targets, team membership, leads and their owners, milestones, payments,
commission exceptions) refuse ``save``, ``delete``, ``update``, ``bulk_create`` and
``bulk_update`` unless the write layer is writing (``pay_input_writing``, entered by every
writer: ``salesops.inputs``, ``leads.services``, ``payouts.exceptions``, the call importer and
the demo). A door that saves a model directly therefore breaks at once, in tests too, instead
of paying from a row nobody audited, marked or checked against a locked month.

Outside doors (test factories, migrations, the shell) nothing is refused: that is code, not
somebody acting. Deletes cascading from another model are not seen here (Django deletes them
without calling the queryset): calls, shifts, targets and payments are PROTECTed from the rows
they hang on, and the rest hang on a lead or a person, whose deletion is itself guarded or
offered by no door.

Why context variables: each request thread, each task and each asyncio task has its own, so a
door's mark never leaks into another's work, and nested writers simply stay inside the layer.
"""

import contextlib
import contextvars
import functools

from django.db import models

_door: contextvars.ContextVar[str] = contextvars.ContextVar("pay_input_door", default="")
_writing: contextvars.ContextVar[bool] = contextvars.ContextVar("pay_input_writing",
                                                                default=False)


class PayInputBypass(RuntimeError):
    """A door wrote a pay input without the write layer: a programming error, never a user's."""


@contextlib.contextmanager
def door(name: str):
    """Everything inside acts for somebody (``name`` says which door, for the error)."""
    token = _door.set(name)
    try:
        yield
    finally:
        _door.reset(token)


@contextlib.contextmanager
def pay_input_writing():
    """The write layer is writing: pay-input models accept writes inside."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def pay_input_writer(func):
    """Decorate a writer of the layer (it audits, marks and respects locked months)."""

    @functools.wraps(func)
    def writer(*args, **kwargs):
        with pay_input_writing():
            return func(*args, **kwargs)

    return writer


def current_door() -> str:
    return _door.get()


def pay_input_write_check(model, operation: str) -> None:
    where = _door.get()
    if where and not _writing.get():
        raise PayInputBypass(
            f"{model._meta.label}.{operation}() from {where} without the pay-input write layer:"
            f" write it with a writer of salesops.inputs (or the service that calls one)")


class PayInputQuerySet(models.QuerySet):
    def update(self, **kwargs):
        pay_input_write_check(self.model, "update")
        return super().update(**kwargs)

    def delete(self):
        pay_input_write_check(self.model, "delete")
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        pay_input_write_check(self.model, "bulk_create")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        pay_input_write_check(self.model, "bulk_update")
        return super().bulk_update(objs, fields, *args, **kwargs)


PayInputManager = models.Manager.from_queryset(PayInputQuerySet, "PayInputManager")


class PayInput:
    """Mixin of a pay-input model (first in its bases), with ``objects = PayInputManager()``."""

    def save(self, *args, **kwargs):
        pay_input_write_check(type(self), "save")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        pay_input_write_check(type(self), "delete")
        return super().delete(*args, **kwargs)


def pay_input_models() -> list:
    """Every model whose rows are inputs of pay (they are guarded by ``PayInput``)."""
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, PayInput)]


class PayInputDoorMiddleware:
    """Every request is a door: its writes of pay inputs go through the layer or fail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with door(f"{request.method} {request.path}"):
            return self.get_response(request)


_task_tokens: dict[str, contextvars.Token] = {}


def _task_started(task_id=None, task=None, **kwargs):
    _task_tokens[task_id] = _door.set(f"task {getattr(task, 'name', task)}")


def _task_ended(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _door.reset(token)
        except ValueError:  # set in another context (a task run on another thread)
            _door.set("")


def doors_install() -> None:
    """Make every Celery task a door (called once from the app's ``ready``)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="pay_input_door_started")
    task_postrun.connect(_task_ended, weak=False, dispatch_uid="pay_input_door_ended")
