"""A passenger's file on any form (the ticket without a booking, a file for a clerk, an
objection's): checked by its content (claims.passengers.manual.document_type), and kept
while the passenger corrects the rest of the form, so that it is not attached again."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField

from claims.passengers import manual

DOCUMENT_ERRORS = {
    "empty": _l("The file is empty. Choose the photo or PDF of your ticket."),
    "too-large": _l("The file is too large: at most 5 MB, please."),
    "wrong-type": _l("Upload a PDF, JPEG or PNG file."),
}


def uploads_directory() -> Path:
    return Path(current_app.instance_path) / "uploads"


def attached_file(field: FileField, kept: HiddenField, uploads: Path, *,
                  missing: str | None = None) -> bytes | None:
    """The file just attached, or the one kept from the last try; None with the reason
    on the field when it is refused, or when none is there and `missing` says why one
    must be."""
    upload = field.data
    if isinstance(upload, FileStorage) and upload.filename:
        content = upload.read(manual.MAX_DOCUMENT_BYTES + 1)
        try:
            manual.document_type(content)
        except manual.DocumentRejected as rejected:
            field.errors = [*field.errors, str(DOCUMENT_ERRORS[str(rejected)])]
            return None
        manual.forget_ticket(uploads, kept.data)
        kept.data = ""
        return content
    found = manual.kept_ticket(uploads, kept.data)
    if found is None:
        kept.data = ""
        if missing:
            field.errors = [*field.errors, missing]
    return found


def keep_for_next_try(kept: HiddenField, uploads: Path, content: bytes | None) -> None:
    """A checked file sent with a form that had other errors: kept, its token in the form."""
    if content is not None and not kept.data:
        kept.data = manual.keep_ticket(uploads, content)


def forget_kept(kept: HiddenField, uploads: Path) -> None:
    manual.forget_ticket(uploads, kept.data)
