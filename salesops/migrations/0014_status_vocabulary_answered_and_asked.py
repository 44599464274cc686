"""The status vocabulary (issue 17): telephony words say only whether somebody picked up, and
are mapped for any layout; words that name a result are asked, never stored by guess.

Adds the telephony words of ``salesops.imports.vocabulary`` (a copy frozen here, as a migration
must be) to the mappings for any preset, where no mapping of the word exists (an admin's own is
never changed): «Отвечен», ANSWERED, ANSWER → 1 *answered*, never 2 "secretary"; busy, no
answer, voicemail, «Сброс» … → 0 *no answer*.

Removes the seeded mappings of result words that 0004 and 0007 stored by guess («Успешный» as
answered, «отказ» as decision maker, «заявка» as consent), when still as seeded: a file with
them now asks the admin in the bulk mapping. VICIdial's dispositions are left as they are: its
agents set them in the dialer, so they are the operator's record, not a guess.
"""

from django.db import migrations

TELEPHONY = {'abandoned': 0,
 'answer': 1,
 'answered': 1,
 'answered call': 1,
 'answering machine': 0,
 'busy': 0,
 'cancel': 0,
 'canceled': 0,
 'cancelled': 0,
 'chanunavail': 0,
 'completed': 1,
 'congestion': 0,
 'connected': 1,
 'declined': 0,
 'dial answer': 1,
 'dropped': 0,
 'failed': 0,
 'machine': 0,
 'missed': 0,
 'no answer': 0,
 'no user response': 0,
 'noanswer': 0,
 'normal clearing': 1,
 'not answered': 0,
 'rejected': 0,
 'unanswered': 0,
 'unreachable': 0,
 'user busy': 0,
 'voice mail': 0,
 'voicemail': 0,
 'абонент недоступен': 0,
 'автоответчик': 0,
 'голосовая почта': 0,
 'дозвонились': 1,
 'занят': 0,
 'занято': 0,
 'не дозвонились': 0,
 'не отвечен': 0,
 'не отвечено': 0,
 'не состоялся': 0,
 'недозвон': 0,
 'недоступен': 0,
 'неотвечен': 0,
 'неотвеченный': 0,
 'нет ответа': 0,
 'ответ': 1,
 'отвечен': 1,
 'отвеченный': 1,
 'отвечено': 1,
 'отклонен': 0,
 'отменен': 0,
 'ошибка': 0,
 'перегрузка': 0,
 'принят': 1,
 'принятый': 1,
 'пропущен': 0,
 'пропущенный': 0,
 'разговор': 1,
 'сброс': 0,
 'сброшен': 0,
 'состоялся': 1}
# (preset, value, outcome as seeded and renumbered by 0010)
GUESSED = [("", "успешный", 1), ("russian", "успешный", 1), ("russian", "отказ", 3),
           ("russian", "заявка", 5)]


def _key(value):
    key = str(value).strip().casefold().replace("ё", "е").replace("_", " ").replace("-", " ")
    return " ".join(key.split())


def forward(apps, schema_editor):
    StatusMapping = apps.get_model("salesops", "StatusMapping")
    for preset, value, outcome in GUESSED:
        StatusMapping.objects.filter(preset=preset, value=value, outcome=outcome).delete()
    taken = {_key(value) for value in
             StatusMapping.objects.filter(preset="").values_list("value", flat=True)}
    StatusMapping.objects.bulk_create([
        StatusMapping(preset="", value=value, outcome=outcome)
        for value, outcome in TELEPHONY.items() if value not in taken
    ], ignore_conflicts=True)


def backward(apps, schema_editor):
    StatusMapping = apps.get_model("salesops", "StatusMapping")
    seeded_before = {"ошибка", "занято", "не отвечен", "не отвечено", "неотвечен", "нет ответа",
                     "пропущен", "пропущенный", "сброшен", "сброс", "отклонен", "отменен",
                     "перегрузка", "недоступен", "голосовая почта", "автоответчик",
                     "не дозвонились", "отвечен", "отвечено", "принят", "answered",
                     "completed", "connected", "busy", "failed", "noanswer", "not answered",
                     "unanswered", "missed", "canceled", "cancelled", "rejected", "congestion",
                     "voicemail", "voice mail"}
    for value, outcome in TELEPHONY.items():
        if value not in seeded_before:
            StatusMapping.objects.filter(preset="", value=value, outcome=outcome).delete()
    StatusMapping.objects.bulk_create([
        StatusMapping(preset=preset, value=value, outcome=outcome)
        for preset, value, outcome in GUESSED
    ], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("salesops", "0013_field_labels")]

    operations = [migrations.RunPython(forward, backward)]
