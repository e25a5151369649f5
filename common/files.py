"""Files with personal data in them (payment files, letters, e-mails, tickets): readable by
this service's user only, and never seen half-written."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path


def write_private(path: Path, content: bytes, *, overwrite: bool = True) -> None:
    """Write `content` to `path` with mode 0600 in one step: a temporary file next to it,
    then renamed over it. Without `overwrite`, an existing file is an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the name is taken
            temporary.unlink()
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def delete_older_than(folder: Path, cutoff: datetime) -> int:
    """Remove the files in `folder` last written before `cutoff`; returns how many."""
    old = [path for path in folder.iterdir() if path.is_file()
           and path.stat().st_mtime < cutoff.timestamp()] if folder.is_dir() else []
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)
