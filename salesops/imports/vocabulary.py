"""The status words of common telephony and dialer exports (CALL-FORMATS.md), in Russian and
English, and what each says about a call (SPEC §2).

Two kinds of words, kept apart on purpose:

- ``TELEPHONY``: what a telephone system knows — whether somebody picked up. These are facts,
  seeded as status mappings for any layout (migration 0014) and applied without a question:
  «Отвечен», ANSWERED, ANSWER → *answered* (never "secretary": that is what an operator
  records), busy, no answer, failed, voicemail, «Сброс» → *no answer*.
- ``RESULTS``: words that name what came of the call («Успешный», "successful", "sale",
  «Перезвонить»). A switchboard cannot know them, and each organisation means something else
  by them: they are never stored by guess. A row with such a word goes to the bulk mapping
  with its row count, the suggestion below pre-filled, and is imported only once the admin
  confirms an outcome.

Keys are compared as ``status_key`` folds them (case, ё, spaces, "-" and "_" do not matter).
"""

from salesops.models import Outcome

NO_ANSWER, ANSWERED = Outcome.NO_ANSWER, Outcome.ANSWERED


def status_key(value: str) -> str:
    """How a status word is compared: "No-Answer", "NO_ANSWER" and "no answer" are one."""
    key = str(value).strip().casefold().replace("ё", "е").replace("_", " ").replace("-", " ")
    return " ".join(key.split())


TELEPHONY: dict[str, Outcome] = {
    # Somebody picked up: Asterisk/FreePBX, Twilio, Mango, Sipuni, UIS, Bitrix24, 3CX …
    "answered": ANSWERED, "answer": ANSWERED, "answered call": ANSWERED, "completed": ANSWERED,
    "connected": ANSWERED, "normal clearing": ANSWERED, "dial answer": ANSWERED,
    "отвечен": ANSWERED, "отвечено": ANSWERED, "отвеченный": ANSWERED, "принят": ANSWERED,
    "принятый": ANSWERED, "разговор": ANSWERED, "состоялся": ANSWERED, "дозвонились": ANSWERED,
    "ответ": ANSWERED,
    # Nobody on the line (our outcomes have no "busy" or "voicemail" of their own).
    "no answer": NO_ANSWER, "noanswer": NO_ANSWER, "not answered": NO_ANSWER,
    "unanswered": NO_ANSWER, "missed": NO_ANSWER, "busy": NO_ANSWER, "failed": NO_ANSWER,
    "congestion": NO_ANSWER, "chanunavail": NO_ANSWER, "cancel": NO_ANSWER,
    "canceled": NO_ANSWER, "cancelled": NO_ANSWER, "rejected": NO_ANSWER,
    "declined": NO_ANSWER, "voicemail": NO_ANSWER, "voice mail": NO_ANSWER,
    "answering machine": NO_ANSWER, "machine": NO_ANSWER, "dropped": NO_ANSWER,
    "abandoned": NO_ANSWER, "unreachable": NO_ANSWER, "user busy": NO_ANSWER,
    "no user response": NO_ANSWER,
    "ошибка": NO_ANSWER, "занято": NO_ANSWER, "занят": NO_ANSWER, "не отвечен": NO_ANSWER,
    "не отвечено": NO_ANSWER, "неотвечен": NO_ANSWER, "неотвеченный": NO_ANSWER,
    "нет ответа": NO_ANSWER, "пропущен": NO_ANSWER, "пропущенный": NO_ANSWER,
    "сброшен": NO_ANSWER, "сброс": NO_ANSWER, "отклонен": NO_ANSWER, "отменен": NO_ANSWER,
    "перегрузка": NO_ANSWER, "недоступен": NO_ANSWER, "абонент недоступен": NO_ANSWER,
    "голосовая почта": NO_ANSWER, "автоответчик": NO_ANSWER,
    "не дозвонились": NO_ANSWER, "недозвон": NO_ANSWER, "не состоялся": NO_ANSWER,
}

RESULTS: dict[str, Outcome] = {
    # Somebody picked up; what came of it is the operator's to say: answered, suggested.
    "успешный": ANSWERED, "успешно": ANSWERED, "успех": ANSWERED, "successful": ANSWERED,
    "success": ANSWERED, "перезвонить": ANSWERED, "перезвон": ANSWERED, "callback": ANSWERED,
    "call back": ANSWERED, "callbk": ANSWERED, "interested": ANSWERED,
    "not interested": ANSWERED, "отказ": ANSWERED, "не интересно": ANSWERED,
    # A sale, an order, an application: consent at most, the admin says.
    "sale": Outcome.CONSENT, "продажа": Outcome.CONSENT, "заявка": Outcome.CONSENT,
    "сделка": Outcome.CONSENT, "согласие получено": Outcome.CONSENT,
}


def suggested_outcome(value: str) -> Outcome | None:
    """What the bulk mapping pre-fills for a value no mapping knows: the vocabulary's outcome
    of the word, if it has one. Shown, never applied without the admin's confirmation."""
    key = status_key(value)
    return RESULTS.get(key, TELEPHONY.get(key))
