"""Where the admin's import screens keep an uploaded file between the preview and the confirm.

django-import-export writes the upload to a temporary file, and the confirm step gets the file's
name back from the browser (a hidden field): with its default storage any name a client sends
is read and then deleted in the temporary folder. Here no name a client sends reaches the file
system. ``SessionFileStorage`` writes under a folder of its own, names each file by a random
token, and remembers the token in the uploader's session (with the uploader's id); it opens or
removes only a token that this session was given for this user. Anything else is
``ImportFileNotYours``, answered 400 by the admin (``CheckedImportExportMixin``) with nothing read
and nothing deleted.
"""

import contextlib
import contextvars
import datetime
import os
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from import_export.tmp_storages import BaseStorage

SESSION_KEY = "import_export_files"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
# Files of previews never confirmed are removed after this long (``admin_files_delete_stale``).
STALE_AFTER = datetime.timedelta(days=1)
_request: contextvars.ContextVar = contextvars.ContextVar("import_export_request", default=None)


class ImportFileNotYours(Exception):
    """The confirm step named a file this session did not upload (or that is gone)."""


@contextlib.contextmanager
def request_bound(request):
    """The admin's import views run inside this, so that the storage knows whose files are
    whose (django-import-export builds the storage without the request)."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def folder() -> Path:
    return Path(settings.IMPORT_EXPORT_TMP_DIR or Path(settings.MEDIA_ROOT) / "import-export")


class SessionFileStorage(BaseStorage):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.request = _request.get()

    def _owned(self) -> dict:
        if self.request is None:
            raise ImportFileNotYours("no request: the admin's import files belong to a session")
        return self.request.session.setdefault(SESSION_KEY, {})

    def _path(self) -> Path:
        name = str(self.name or "")
        owned = self._owned()
        user_id = getattr(self.request.user, "pk", None)
        if not _TOKEN.fullmatch(name) or owned.get(name) != user_id:
            raise ImportFileNotYours(name[:80])
        return folder() / name

    def save(self, data):
        folder().mkdir(parents=True, exist_ok=True, mode=0o700)
        self.name = secrets.token_urlsafe(24)
        owned = self._owned()
        owned[self.name] = getattr(self.request.user, "pk", None)
        self.request.session.modified = True
        path = folder() / self.name
        # O_EXCL: a token never names a file that is already there.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb" if isinstance(data, bytes) else "w",
                       encoding=None if isinstance(data, bytes) else self.encoding) as handle:
            handle.write(data)

    def read(self):
        path = self._path()
        if not path.is_file():
            raise ImportFileNotYours(self.name)
        mode = self.read_mode if "b" in self.read_mode else "r"
        encoding = None if "b" in mode else self.encoding
        with path.open(mode, encoding=encoding) as handle:
            return handle.read()

    def remove(self):
        path = self._path()
        path.unlink(missing_ok=True)
        self._owned().pop(self.name, None)
        self.request.session.modified = True


def admin_files_delete_stale(*, now: float | None = None) -> int:
    """Remove the files of previews that were never confirmed (nightly with the uploads)."""
    cutoff = (now or time.time()) - STALE_AFTER.total_seconds()
    removed = 0
    if not folder().is_dir():
        return 0
    for path in folder().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
