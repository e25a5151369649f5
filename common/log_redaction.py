"""No bearer token in a log line: a status link's or an invitation's token is the key to a
passenger's claim, and logs are read, shipped and kept by more people than the claim.

One filter for every logger that may see a URL: gunicorn's access and error logs
(portal.gunicorn_logging) and the portal's 500 line (portal.errors)."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

# The paths whose next segment is a token (common.links), and any query string: a
# language link carries the page it came from (?next=/status/...).
_TOKEN_SEGMENT = re.compile(r"(/(?:status|invited)/)[^/?#\s\"']+", re.IGNORECASE)
_QUERY = re.compile(r"\?[^\s\"']*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TOKEN, QUERY = "[token]", "?[query]"


def without_tokens(text: str) -> str:
    """The text with every token path segment and query string replaced. A
    percent-encoded path ("/%73tatus/...", which the router reads as /status/) is
    redacted decoded, its control characters shown as "?" (no line is split in two)."""
    redacted = _redact(text)
    if "%" in redacted:
        decoded = unquote(redacted)
        if any(found.group(0) != found.group(1) + TOKEN
               for found in _TOKEN_SEGMENT.finditer(decoded)):
            return _CONTROL.sub("?", _redact(decoded))
    return redacted


def _redact(text: str) -> str:
    return _QUERY.sub(QUERY, _TOKEN_SEGMENT.sub(rf"\g<1>{TOKEN}", text))


class WithoutTokens(logging.Filter):
    """Rewrites each record as it will read (message, traceback, stack) without tokens;
    it never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = without_tokens(record.getMessage()), None
        if record.exc_info:
            record.exc_text = without_tokens(
                logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = without_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = without_tokens(record.stack_info)
        return True
