"""The batch API's ``Idempotency-Key``: a request with a key seen before gets the first answer
again (the same body) or is refused (another body).

Only answers of work done are kept: a request refused before any work (not a batch, another
source) may be sent again, mended, with the same key. The first answer is kept in the
transaction that wrote what it answers: a request that dies before its commit leaves neither,
so a retry with the same key is taken afresh and answered as the first time would have been.
Two requests with one key at once: the second waits on the key's unique row, then rolls its
writes back and answers what the first kept.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from .models import IdempotentAnswer


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


class KeyUsedWithAnotherBody(Exception):
    """The key was used before with another body: nothing is done (422)."""


class _KeyTaken(Exception):
    pass


def answered_once(*, caller: str, key: str, body: bytes,
                  answer: Callable[[], Answer]) -> Answer:
    """``answer()`` the first time ``caller`` sends ``key``, kept with its writes; the kept
    answer, marked replayed, every time after."""
    digest = hashlib.sha256(body).hexdigest()
    first = IdempotentAnswer.objects.filter(caller=caller, key=key).first()
    if first is not None:
        return _replayed(first, digest)
    try:
        with transaction.atomic():
            made = answer()
            if made.status >= 400:  # refused before any work: a retry may mend the body
                return made
            try:
                with transaction.atomic():
                    IdempotentAnswer.objects.create(caller=caller, key=key, body_sha256=digest,
                                                    status=made.status, answer=made.body)
            except IntegrityError:
                raise _KeyTaken from None  # undo this request's writes too
    except _KeyTaken:
        return _replayed(IdempotentAnswer.objects.get(caller=caller, key=key), digest)
    return made


def _replayed(first: IdempotentAnswer, digest: str) -> Answer:
    if first.body_sha256 != digest:
        raise KeyUsedWithAnotherBody
    return Answer(status=first.status, body=first.answer, replayed=True)
