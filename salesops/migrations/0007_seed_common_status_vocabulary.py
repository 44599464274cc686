"""Add the status words of common Russian and English telephony exports to the mappings for
any preset, so that such a file imports without an admin mapping each word (issue 12).

Outcomes are the model's (0 no answer, 1 secretary, …): a telephony status only tells whether
somebody picked up. Busy, failed, rejected, cancelled and voicemail all mean nobody on the line
(our outcomes have no separate "failed" or "voicemail"), so they are "no answer"; answered
means somebody picked up, the first answered outcome ("secretary"), as 0004 already does. Only
values not mapped yet are added; an admin's own mappings are never changed.
"""

from django.db import migrations

NO_ANSWER, ANSWERED = 0, 1
VOCABULARY = {
    # Russian exports (Asterisk-based PBXs in Russian, Sipuni, Mango, UIS, Bitrix24 …)
    "ошибка": NO_ANSWER,  # Asterisk FAILED
    "занято": NO_ANSWER,
    "не отвечен": NO_ANSWER,
    "не отвечено": NO_ANSWER,
    "неотвечен": NO_ANSWER,
    "нет ответа": NO_ANSWER,
    "пропущен": NO_ANSWER,
    "пропущенный": NO_ANSWER,
    "сброшен": NO_ANSWER,
    "сброс": NO_ANSWER,
    "отклонен": NO_ANSWER,
    "отклонён": NO_ANSWER,
    "отменен": NO_ANSWER,
    "отменён": NO_ANSWER,
    "перегрузка": NO_ANSWER,  # Asterisk CONGESTION
    "недоступен": NO_ANSWER,
    "голосовая почта": NO_ANSWER,
    "автоответчик": NO_ANSWER,
    "не дозвонились": NO_ANSWER,
    "отвечен": ANSWERED,
    "отвечено": ANSWERED,
    "принят": ANSWERED,
    "успешный": ANSWERED,
    # English exports (Asterisk dispositions, Twilio, dialers)
    "answered": ANSWERED,
    "completed": ANSWERED,
    "connected": ANSWERED,
    "busy": NO_ANSWER,
    "failed": NO_ANSWER,
    "no-answer": NO_ANSWER,
    "noanswer": NO_ANSWER,
    "not answered": NO_ANSWER,
    "unanswered": NO_ANSWER,
    "missed": NO_ANSWER,
    "canceled": NO_ANSWER,
    "cancelled": NO_ANSWER,
    "rejected": NO_ANSWER,
    "congestion": NO_ANSWER,
    "voicemail": NO_ANSWER,
    "voice mail": NO_ANSWER,
}


def seed(apps, schema_editor):
    StatusMapping = apps.get_model("salesops", "StatusMapping")
    taken = set(StatusMapping.objects.filter(preset="").values_list("value", flat=True))
    StatusMapping.objects.bulk_create([
        StatusMapping(preset="", value=value, outcome=outcome)
        for value, outcome in VOCABULARY.items() if value not in taken
    ])


def unseed(apps, schema_editor):
    # Rows an admin changed since are theirs: only the untouched defaults go.
    StatusMapping = apps.get_model("salesops", "StatusMapping")
    for value, outcome in VOCABULARY.items():
        StatusMapping.objects.filter(preset="", value=value, outcome=outcome).delete()


class Migration(migrations.Migration):
    dependencies = [("salesops", "0006_import_mapping_status_and_error_kinds")]

    operations = [migrations.RunPython(seed, unseed)]
