"""Staff files kept between a dry run and "Apply these changes", so that the admin uploads once.

Each kept file lives in the instance folder (`STAFF_UPLOADS_DIR`, default `<instance>/staff-uploads`)
for KEEP_FOR at most, under a name derived from a random token: the token goes to the uploading
admin's page, only its SHA-256 names the file, and the file records whose upload it is. A file is
never taken back from the browser. Expired files are removed on the next upload and by
`postready staff purge-uploads`; an applied file is removed at once.

One file: a line of JSON (who, when, until when, the file's name) and then the upload's bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

KEEP_FOR = timedelta(minutes=30)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_SUFFIX = ".upload"


class UploadGone(Exception):
    """The token names no upload this admin may apply (never made, someone else's, applied, replaced or expired)."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class KeptUpload:
    token: str
    admin_id: int
    filename: str
    data: bytes
    uploaded_at: datetime
    expires_at: datetime


def folder() -> Path:
    configured = current_app.config.get("STAFF_UPLOADS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "staff-uploads"


def _path(token: str) -> Path:
    return folder() / (hashlib.sha256(token.encode("ascii")).hexdigest() + _SUFFIX)


def _read(path: Path, header_only: bool = False) -> tuple[dict, bytes]:
    with open(path, "rb") as fh:
        header = json.loads(fh.readline())
        return header, b"" if header_only else fh.read()


def keep(admin_id: int, filename: str, data: bytes, now: datetime) -> KeptUpload:
    """Keep `data` for the admin; returns it with its new token. Written whole or not at all."""
    token = secrets.token_urlsafe(32)
    expires_at = now + KEEP_FOR
    header = {"admin_id": admin_id, "filename": filename, "uploaded_at": now.isoformat(),
              "expires_at": expires_at.isoformat()}
    path = _path(token)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # HR data: owner only
    with os.fdopen(descriptor, "wb") as fh:
        fh.write(json.dumps(header).encode("utf-8") + b"\n" + data)
    os.replace(partial, path)
    return KeptUpload(token, admin_id, filename, data, now, expires_at)


def load(token: str, admin_id: int, now: datetime) -> KeptUpload:
    """The admin's kept upload for `token`; UploadGone if there is none they may use now."""
    gone = UploadGone("This upload is no longer kept: uploads are kept for "
                      f"{int(KEEP_FOR.total_seconds() // 60)} minutes, only for the administrator who made them, "
                      "and only until they are applied or a newer file is uploaded. Upload the file again.")
    if not _TOKEN.fullmatch(token or ""):
        raise gone
    path = _path(token)
    try:
        header, data = _read(path)
    except (FileNotFoundError, ValueError):
        raise gone from None
    if header["admin_id"] != admin_id:
        raise gone  # someone else's: not even told that it exists
    expires_at = datetime.fromisoformat(header["expires_at"])
    if now >= expires_at:
        path.unlink(missing_ok=True)
        raise UploadGone(f"This upload expired at {expires_at:%H:%M} UTC: files are kept for "
                         f"{int(KEEP_FOR.total_seconds() // 60)} minutes after the dry run. "
                         "Upload the file again.", expired=True)
    return KeptUpload(token, admin_id, header["filename"], data, datetime.fromisoformat(header["uploaded_at"]),
                      expires_at)


def take(upload: KeptUpload) -> bool:
    """Remove the upload as it is applied; False if another request took it first."""
    try:
        _path(upload.token).unlink()
    except FileNotFoundError:
        return False
    return True


def discard(admin_id: int | None, now: datetime) -> int:
    """Remove every expired upload, and every upload of `admin_id` (a newer file replaces them).
    Returns how many were removed."""
    removed = 0
    if not folder().is_dir():
        return removed
    for path in folder().iterdir():
        if path.suffix == ".partial":
            stale = datetime.fromtimestamp(path.stat().st_mtime, now.tzinfo) < now - KEEP_FOR
            if stale:  # a write that never finished
                path.unlink(missing_ok=True)
                removed += 1
            continue
        if path.suffix != _SUFFIX:
            continue
        try:
            header, _ = _read(path, header_only=True)
            expired = now >= datetime.fromisoformat(header["expires_at"])
            mine = header["admin_id"] == admin_id
        except (FileNotFoundError, ValueError, KeyError):
            continue  # removed meanwhile, or not ours to judge
        if expired or mine:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
