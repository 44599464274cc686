"""What an uploaded call log may be: not larger than SALESOPS_UPLOAD_MAX_MB, and a CSV/TXT/TSV
text file or an XLSX workbook by both its name and its first bytes.

The name alone proves nothing (anyone can rename a program to calls.csv), so the content is
sniffed too: an XLSX is a zip archive, a text file decodes as UTF-8 (with or without a BOM),
UTF-16 (told by its BOM or its every-other-byte NULs) or Windows-1251, the encodings the importer
reads, with no control characters a spreadsheet export never writes.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm

from .admin_files import ImportFileNotYours, SessionFileStorage, request_bound

TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
XLSX_EXTENSIONS = frozenset({".xlsx"})
ZIP_MAGIC = b"PK\x03\x04"
# Control characters no spreadsheet export writes (TAB, LF, FF, CR and DOS's end-of-file mark
# are allowed); binaries are full of them.
_BINARY_BYTES = bytes(set(range(32)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1A})
SNIFF_BYTES = 64 * 1024


def _as_utf16(head: bytes) -> str | None:
    """The sample decoded as UTF-16 when it is UTF-16 (the importer's own test), else None."""
    from .reader import UnreadableFile, decide_encoding

    try:
        encoding = decide_encoding(head)
    except UnreadableFile:
        return None
    if not encoding.startswith("utf-16"):
        return None
    if not encoding.endswith("-bom") and len(head) < 64:
        return None  # too little to tell text from a program's header without a BOM
    codec = "utf-16" if encoding.endswith("-bom") else encoding
    sample = head[:len(head) - len(head) % 2]
    return sample.decode(codec, errors="replace")


def upload_max_bytes() -> int:
    return settings.SALESOPS_UPLOAD_MAX_MB * 1024 * 1024


def admin_preview_max_bytes() -> int:
    """The largest file the admin's preview-and-confirm import reads inside the request."""
    return settings.SALESOPS_ADMIN_IMPORT_PREVIEW_MAX_MB * 1024 * 1024


def validate_upload(file) -> None:
    """Raise ``ValidationError`` unless ``file`` (an uploaded file) may be imported."""
    limit = upload_max_bytes()
    if file.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the largest file accepted is %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
        )
    if file.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    extension = Path(file.name or "").suffix.lower()
    if extension not in TEXT_EXTENSIONS | XLSX_EXTENSIONS:
        raise ValidationError(
            _("Only CSV, TXT, TSV or XLSX files can be imported (this one is “%(name)s”)."),
            code="file_type",
            params={"name": Path(file.name or "").name},
        )
    head = _head(file)
    if extension in XLSX_EXTENSIONS:
        if not head.startswith(ZIP_MAGIC):
            raise ValidationError(
                _("The file is named .xlsx but is not an Excel workbook."), code="not_xlsx"
            )
    elif not _looks_like_text(head):
        raise ValidationError(
            _("The file is named %(extension)s but is not a text file."),
            code="not_text",
            params={"extension": extension},
        )


def _head(file) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(position)
    return head


def _looks_like_text(head: bytes) -> bool:
    if head.startswith(ZIP_MAGIC):
        return False
    utf16 = _as_utf16(head)
    if utf16 is not None:
        # Every character a printable one or a line's whitespace (a program decoded as
        # UTF-16 is full of controls and unassigned code points).
        return all(char.isprintable() or char in "\t\n\r\f" for char in utf16)
    if len(head.translate(None, _BINARY_BYTES)) != len(head):
        return False
    # The sample may end inside a multi-byte character: judge it without its last few bytes.
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            head.decode(encoding) if len(head) < SNIFF_BYTES else head[:-4].decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


class CheckedImportForm(ImportForm):
    """django-import-export's admin import form with the same rules as the upload page."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        validate_upload(upload)
        if upload.size > admin_preview_max_bytes():
            # Previewed and confirmed inside the request, a large file ran past every time
            # limit (a 500 after two minutes); calls go to the background import instead.
            raise ValidationError(
                _("The file is %(size)s: this screen previews files up to %(limit)s. Split "
                  "it, or import calls on the Imports page, which runs in the background."),
                code="too_large_for_preview",
                params={"size": filesizeformat(upload.size),
                        "limit": filesizeformat(admin_preview_max_bytes())},
            )
        return upload


class CheckedImportExportMixin(ImportExportMixin):
    """django-import-export's admin mixin whose import screen checks uploads like the page,
    and keeps the file between preview and confirm where only its uploader's session can name
    it (``admin_files``)."""

    import_form_class = CheckedImportForm
    tmp_storage_class = SessionFileStorage

    def import_action(self, request, **kwargs):
        with request_bound(request):
            upload = request.FILES.get("import_file") if request.method == "POST" else None
            handoff = getattr(self, "import_large_file", None)
            if (upload is not None and handoff is not None
                    and upload.size > admin_preview_max_bytes()
                    and self.has_import_permission(request)):
                try:
                    validate_upload(upload)
                except ValidationError:
                    pass  # the form says why, as for any refused file
                else:
                    return handoff(request, upload)
            return super().import_action(request, **kwargs)

    def process_import(self, request, **kwargs):
        with request_bound(request):
            try:
                return super().process_import(request, **kwargs)
            except ImportFileNotYours:
                # Nothing was read and nothing deleted: the name is not one this session got.
                return HttpResponseBadRequest(
                    _("This import's file is not one you uploaded in this session (or it is "
                      "gone). Upload the file again.")
                )
