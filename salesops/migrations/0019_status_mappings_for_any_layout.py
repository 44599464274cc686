"""Status values an admin mapped for one layout (the bulk mapping of issue 12 saved them under the
batch's preset: "mapped", or a custom preset's name) become mappings for any layout (issue 17):
a value mapped once reads so in every later file, and is edited in one place. The built-in
layouts' own vocabularies (Asterisk, FreeSWITCH, Twilio, VICIdial, CDR-Stats, the Russian
spreadsheet) stay theirs. A value already mapped for any layout keeps that mapping; the
layout's row is then left where it is."""

from django.db import migrations

LAYOUT_VOCABULARIES = {"", "asterisk", "freeswitch", "twilio", "vicidial", "cdr-stats", "russian"}


def _key(value):
    key = str(value).strip().casefold().replace("ё", "е").replace("_", " ").replace("-", " ")
    return " ".join(key.split())


def forward(apps, schema_editor):
    StatusMapping = apps.get_model("salesops", "StatusMapping")
    general = {_key(value) for value in
               StatusMapping.objects.filter(preset="").values_list("value", flat=True)}
    for mapping in StatusMapping.objects.exclude(preset__in=LAYOUT_VOCABULARIES).order_by("pk"):
        key = _key(mapping.value)
        if key in general:
            continue
        general.add(key)
        mapping.preset = ""
        mapping.value = key[:100]
        mapping.save(update_fields=["preset", "value"])


class Migration(migrations.Migration):
    dependencies = [("salesops", "0018_import_row_error_reason_values")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
