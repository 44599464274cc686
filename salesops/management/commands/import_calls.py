"""``python manage.py import_calls PATH [--preset NAME] [--tz ZONE] [--dry-run]``: the same engine
as the upload page, run in this process, with the summary printed at the end."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from salesops.imports.selectors import available_presets
from salesops.imports.services import ImportRefused, import_file
from salesops.models import ImportBatch


class Command(BaseCommand):
    help = "Import a call log export (CSV or XLSX) of any size."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--preset", default="", help="a preset name; default: detected")
        parser.add_argument("--tz", default="", help="the file's time zone; default: the "
                            "organisation's")
        parser.add_argument("--source", default="", help="telephony source; default: the "
                            "preset's")
        parser.add_argument("--dry-run", action="store_true",
                            help="read and check everything, write no calls")
        parser.add_argument("--list-presets", action="store_true")

    def handle(self, *args, path, preset, tz, source, dry_run, list_presets, **options):
        if list_presets:
            for known in available_presets():
                self.stdout.write(f"{known.name}\t{known.label}")
            return
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            batch = import_file(path=path, preset=preset, time_zone=tz, source=source,
                                dry_run=dry_run)
        except ImportRefused as exc:
            raise CommandError(str(exc)) from None
        if batch.status == ImportBatch.Status.FAILED:
            raise CommandError(batch.message)
        self.stdout.write(batch.message)
        self.stdout.write(
            f"batch {batch.pk}{' (dry run)' if dry_run else ''}: {batch.rows_read} rows, "
            f"created {batch.created_count}, already present {batch.present_count}, "
            f"skipped {batch.skipped_count}, errors {batch.error_count}"
        )
        for error in batch.row_errors.order_by("line")[:20]:
            self.stdout.write(f"  line {error.line} [{error.column}] {error.value!r}: "
                              f"{error.reason}")
