"""What Zadarma's ``disposition`` values mean as outcomes (SPEC §2): only ``answered`` is a
call somebody picked up; the rest did not connect. Admins change them in the status mappings."""

from django.db import migrations

NO_ANSWER, ANSWERED = 0, 1
ZADARMA = {
    "answered": ANSWERED, "busy": NO_ANSWER, "cancel": NO_ANSWER, "no answer": NO_ANSWER,
    "failed": NO_ANSWER, "no money": NO_ANSWER, "unallocated number": NO_ANSWER,
    "no limit": NO_ANSWER, "no day limit": NO_ANSWER, "line limit": NO_ANSWER,
    "no money, no limit": NO_ANSWER,
}


def seed(apps, schema_editor):
    StatusMapping = apps.get_model("salesops", "StatusMapping")
    for value, outcome in ZADARMA.items():
        StatusMapping.objects.get_or_create(preset="zadarma", value=value,
                                            defaults={"outcome": outcome})


def unseed(apps, schema_editor):
    apps.get_model("salesops", "StatusMapping").objects.filter(
        preset="zadarma", value__in=list(ZADARMA)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0001_integrations_days_refusals_idempotency"),
        ("salesops", "0013_field_labels"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
