"""A mail server's refusal keeps its code and our words only (issue 43): smtplib's errors
name the recipient and carry the server's reply, which names her too, and a job's error
goes to the worker's log and, with the failed job, to Redis and rq-dashboard."""

from __future__ import annotations

import smtplib
import traceback
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from workflows.mail import MailNotDelivered

ERRORS: list[Callable[[str, int, bytes], smtplib.SMTPException]] = [
    lambda to, code, reply: smtplib.SMTPRecipientsRefused({to: (code, reply)}),
    lambda to, code, reply: smtplib.SMTPSenderRefused(code, reply, to),
    lambda to, code, reply: smtplib.SMTPDataError(code, reply),
    lambda to, code, reply: smtplib.SMTPAuthenticationError(code, reply),
    lambda to, code, reply: smtplib.SMTPResponseException(code, reply),
    lambda to, code, reply: smtplib.SMTPServerDisconnected(f"{to}: {reply!r}"),
    lambda to, code, reply: smtplib.SMTPNotSupportedError(f"{to} {code}"),
]


def _raised(error: smtplib.SMTPException) -> MailNotDelivered:
    """As deliver() raises it: inside the handler of smtplib's error."""
    try:
        try:
            raise error
        except smtplib.SMTPException as caught:
            raise MailNotDelivered.from_smtp(caught) from None
    except MailNotDelivered as wrapped:
        return wrapped


@given(make=st.sampled_from(ERRORS), to=st.emails(),
       code=st.integers(min_value=400, max_value=599), words=st.text(min_size=1))
def test_the_error_says_the_code_and_never_the_address_or_the_reply(
        make: Callable[[str, int, bytes], smtplib.SMTPException], to: str, code: int,
        words: str) -> None:
    reply = f"5.1.1 <{to}>: {words}".encode()
    wrapped = _raised(make(to, code, reply))
    # What RQ keeps and logs: the formatted traceback, with any chained error.
    kept = "".join(traceback.format_exception(wrapped))
    assert to not in kept and "@" not in kept
    # Our words only: the same whatever the address and the server's reply.
    assert str(wrapped) == str(_raised(make("x@example.org", code, b"5.1.1 refused")))
    if not isinstance(make(to, code, reply), smtplib.SMTPServerDisconnected
                      | smtplib.SMTPNotSupportedError):
        assert wrapped.code == code and f"SMTP {code}" in str(wrapped)
