"""Sending passengers their notices: SMTP when MAIL_SERVER is set, else .eml files in
instance/outbox/ (development). Addresses never go into the log.

What passengers and operators wrote (a name, an operator's name, a reference, a clerk's
explanation) is printed in its place and nowhere else: a one-line text on one line, a free
text without control characters, a name that reads as a link not at all ("Hello,"). The
forms and the imports refuse such texts; this holds for what was stored before them, too.
Headers are safe by the library: email.headerregistry refuses a value with CR or LF."""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import replace
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache

import redis
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from claims.core.plain_text import one_line, paragraphs, safe_name
from claims.core.rules.citation import cite
from claims.core.vocabulary import NoticeKind
from claims.processing.notices import Notice
from claims.processing.proactive import Invitation
from common.files import write_private
from common.links import invitation_link, invitation_token, status_link
from common.numbers import format_number
from common.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)
TRANSLATIONS = PROJECT_ROOT / "portal" / "translations"
SUBJECTS = {
    NoticeKind.DECISION: {"en": "Your delay compensation claim: the decision",
                          "de": "Ihr Antrag auf Verspätungsentschädigung: die Entscheidung"},
    NoticeKind.PAYOUT: {"en": "Your delay compensation is on its way",
                        "de": "Ihre Verspätungsentschädigung ist unterwegs"},
    NoticeKind.RECEIPT: {"en": "Your delay compensation claim is in",
                         "de": "Ihr Antrag auf Verspätungsentschädigung ist eingegangen"},
    NoticeKind.INFO_REQUEST: {"en": "Your delay compensation claim: we need a detail from you",
                              "de": "Ihr Antrag auf Verspätungsentschädigung: "
                                    "uns fehlt eine Angabe"},
    NoticeKind.NEW_LINK: {"en": "Your delay compensation claim: a new link",
                          "de": "Ihr Antrag auf Verspätungsentschädigung: ein neuer Link"},
    NoticeKind.OFFER: {"en": "Your train or flight was late: compensation for you, no claim needed",
                       "de": "Ihre Reise war verspätet: eine Entschädigung für Sie, ohne Antrag"},
    NoticeKind.PAYOUT_FAILED: {"en": "Your delay compensation came back: we need another account",
                               "de": "Ihre Verspätungsentschädigung kam zurück: "
                                     "bitte ein anderes Konto"},
}
INVITATION_SUBJECT = {"en": "Your disrupted journey: your claim is ready to send",
                      "de": "Ihre gestörte Reise: Ihr Antrag ist vorbereitet"}
# The window the shared mail rate counts in, and how long a sender waits for its turn.
RATE_KEY = "effortless:mail-rate:{second}"


@cache
def _environment(language: str) -> Environment:
    environment = Environment(loader=FileSystemLoader(PROJECT_ROOT / "templates" / "mail"),
                              extensions=["jinja2.ext.i18n"], undefined=StrictUndefined,
                              autoescape=False, keep_trailing_newline=True)
    translations = Translations.load(str(TRANSLATIONS), [language])
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    # 19.75 in English, 19,75 in German.
    environment.globals["number"] = lambda amount: format_number(amount, language)
    environment.filters["cite"] = lambda basis: cite(basis, language)
    return environment


def compose(notice: Notice, settings: Settings, token: str) -> EmailMessage:
    """The e-mail, with a status link of its own (token: a fresh one for this message)."""
    link = status_link(settings.public_url, token)
    in_place = replace(
        notice, name=one_line(notice.name), operator=one_line(notice.operator),
        reference=one_line(notice.reference) if notice.reference is not None else None,
        explanation=paragraphs(notice.explanation) if notice.explanation else None,
        voucher_code=one_line(notice.voucher_code) if notice.voucher_code else None)
    body = _environment(notice.language).get_template(f"{notice.kind.value}.txt").render(
        notice=in_place, greeting_name=safe_name(notice.name), status_url=link)
    return _message(settings, notice.email, SUBJECTS[notice.kind][notice.language],
                    notice.language, body)


def _message(settings: Settings, to: str, subject: str, language: str,
             body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="effortless.example")
    message["Content-Language"] = language
    message.set_content(body)
    return message


def compose_invitation(invitation: Invitation, settings: Settings) -> EmailMessage:
    link = invitation_link(settings.public_url,
                           invitation_token(settings.secret_key, invitation.booking_id,
                                            invitation.access_version))
    in_place = replace(invitation, name=one_line(invitation.name),
                       operator=one_line(invitation.operator),
                       reference=one_line(invitation.reference))
    body = _environment(invitation.language).get_template("invitation.txt").render(
        invitation=in_place, greeting_name=safe_name(invitation.name), link=link)
    return _message(settings, invitation.email, INVITATION_SUBJECT[invitation.language],
                    invitation.language, body)


def wait_for_turn(connection: redis.Redis, rate: int) -> None:
    """At most `rate` messages a second across every worker (MAIL_RATE): a counter per
    second in Redis; a sender over the rate waits for the next second."""
    if rate <= 0:
        return
    while True:
        now = time.time()
        key = RATE_KEY.format(second=int(now))
        pipe = connection.pipeline()
        pipe.incr(key)
        pipe.expire(key, 5)
        count, _ = pipe.execute()
        if int(count) <= rate:
            return
        time.sleep(max(0.001, int(now) + 1 - now))


class MailNotDelivered(Exception):
    """The mail server refused or dropped a message. It keeps the server's reply code and
    words of our own only: smtplib's errors carry the recipient's address and the server's
    reply (which names it too), and an error a job raises is logged by the worker and kept
    with the failed job in Redis, where rq-dashboard shows it."""

    def __init__(self, what: str, code: int | None = None) -> None:
        super().__init__(f"the mail server {what}" + (f" (SMTP {code})" if code else ""))
        self.code = code

    @classmethod
    def from_smtp(cls, error: smtplib.SMTPException) -> MailNotDelivered:
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            codes = sorted({code for code, _reply in error.recipients.values()})
            return cls("refused the recipient", codes[0] if codes else None)
        if isinstance(error, smtplib.SMTPSenderRefused):
            return cls("refused the sender", error.smtp_code)
        if isinstance(error, smtplib.SMTPDataError):
            return cls("refused the message", error.smtp_code)
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return cls("refused the sign-in", error.smtp_code)
        if isinstance(error, smtplib.SMTPResponseException):
            return cls("answered with an error", error.smtp_code)
        return cls(f"failed: {type(error).__name__}")


def deliver(message: EmailMessage, settings: Settings, label: str) -> None:
    """Send the message, or write it to the outbox; `label` (claims.core.mail_labels) names
    the claim or booking and the notice, never the passenger."""
    if settings.mail_server is None:
        path = settings.outbox_path / f"{time.time_ns()}-{label}.eml"
        write_private(path, bytes(message))
        log.info("notice %s written to %s", label, path.name)
        return
    try:
        with smtplib.SMTP(settings.mail_server, settings.mail_port, timeout=30) as smtp:
            if settings.mail_use_tls:
                smtp.starttls()
            if settings.mail_username and settings.mail_password:
                smtp.login(settings.mail_username, settings.mail_password)
            smtp.send_message(message)
    except smtplib.SMTPException as error:
        # "from None": the traceback RQ formats would print smtplib's error as the context.
        raise MailNotDelivered.from_smtp(error) from None
    log.info("notice %s sent", label)
