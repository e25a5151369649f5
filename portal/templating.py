"""Template helpers: the current language, masking of personal data, event labels."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel.dates import get_month_names
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from claims.core.bank_reasons import reason_in_words
from claims.core.iban import IbanError, check_iban, mask_iban
from claims.core.rules.citation import cite
from common.numbers import format_money

EVENT_LABELS = {
    "booking_found": _l("Booking found"),
    "claim_form_shown": _l("Claim form opened"),
    "claim_submitted": _l("Claim submitted"),
    "enqueue_failed": _l("Queued for a later check"),
    "assessment_started": _l("Check started"),
    "claim_decided": _l("Decision made"),
    "assessment_failed": _l("Passed to a member of staff"),
    "claim_withdrawn": _l("Claim withdrawn"),
    "claim_paid": _l("Paid"),
    "decision_mailed": _l("Decision sent by e-mail"),
    "payout_mailed": _l("Payment confirmation sent by e-mail"),
    "info_requested": _l("We asked you for a detail"),
    "info_request_mailed": _l("Request for a detail sent by e-mail"),
    "info_provided": _l("You sent the detail"),
    "appealed": _l("You objected to the decision"),
    "survey_answered": _l("You told us how easy it was"),
    "receipt_mailed": _l("Confirmation sent by e-mail"),
    "handed_to_staff": _l("Passed to a member of staff for a check"),
    "status_link_requested": _l("You asked for a new link"),
    "status_link_mailed": _l("New link sent by e-mail"),
    "status_links_revoked": _l("Earlier links ended for your safety"),
    "offer_made": _l("Compensation offered, without a claim"),
    "offer_mailed": _l("Offer sent by e-mail"),
    "offer_accepted": _l("You accepted the offer"),
    "offer_declined": _l("You declined the offer"),
    "offer_withdrawn": _l("Offer withdrawn after corrected operations data"),
    "amount_raised": _l("Amount raised after corrected operations data"),
    "top_up_paid": _l("The amount added was paid"),
    "payment_confirmed": _l("The bank confirmed the payment"),
    "payment_returned": _l("The bank sent the payment back"),
    "payout_failed_mailed": _l("Request for another account sent by e-mail"),
    "new_account_given": _l("You gave another account"),
}

# Why a person checks the claim, as the passenger is told: what they can understand and
# act on; signals of fraud are not named (they read as "a few details").
CHECK_REASONS = {
    "missed-connection": _l("you missed a connection, and we check when you really arrived"),
    "no-operations-data": _l("the operator's data on your train are not complete yet"),
    "no-arrival-time": _l("the operator's data on your train are not complete yet"),
    "cancelled": _l("your train was cancelled, and we check when you really arrived"),
    "passenger-statement": _l("we read what you wrote to us"),
    "amount-over-limit": _l("the amount is above what is decided automatically"),
    "season-ticket": _l("season tickets are checked by hand"),
    "past-deadline": _l("the claim came in after the deadline"),
    "appeal": _l("you objected to the decision"),
    "no-booking": _l("you claimed without a booking reference"),
    "no-payout-account": _l("we need an account to pay you to"),
    "payout-not-possible": _l("we check where to pay you"),
    "operations-mismatch": _l("the operator's data do not match the train you booked, and "
                              "we check which train you were on"),
}
OTHER_CHECK = _l("we check a few details")


def check_reasons(codes: tuple[str, ...] | list[str]) -> str:
    """The reasons in words, each once, joined for a sentence."""
    words = list(dict.fromkeys(str(CHECK_REASONS.get(code, OTHER_CHECK)) for code in codes))
    return "; ".join(words or [str(OTHER_CHECK)])


# Staff pages name things in words; the codes stay in the data and the filters' URLs.
STATUS_LABELS = {
    "submitted": _l("filed"), "assessing": _l("being assessed"),
    "needs_review": _l("waiting for a decision"), "info_requested": _l("waiting for the passenger"),
    "approved": _l("approved"), "rejected": _l("rejected"), "paid": _l("paid"),
    "withdrawn": _l("withdrawn"), "offered": _l("offered to the passenger"),
    "declined": _l("declined by the passenger"),
    "payout_failed": _l("payment returned by the bank"),
}
REASON_LABELS = {
    "no-operations-data": _l("no operations data yet"),
    "no-arrival-time": _l("no arrival time in the operations data"),
    "cancelled": _l("train cancelled"),
    "missed-connection": _l("missed connection"),
    "season-ticket": _l("season ticket"),
    "passenger-statement": _l("passenger's statement"),
    "amount-over-limit": _l("amount over the automatic limit"),
    "possible-duplicate": _l("possible duplicate"),
    "name-changed": _l("name differs from the booking"),
    "past-deadline": _l("filed after the deadline"),
    "job-failed": _l("assessment failed"),
    "no-booking": _l("no booking (ticket uploaded)"),
    "appeal": _l("objection to a rejection"),
    "payout-account-changed": _l("account differs from the one on file"),
    "payout-holder-differs": _l("account holder is not the passenger"),
    "no-payout-account": _l("no account to pay to"),
    "payout-not-possible": _l("approved, but cannot be paid as it stands (no account left)"),
    "operations-mismatch": _l("operations data of another train (scheduled arrival over 30 "
                              "minutes off)"),
    "passenger-answered": _l("the passenger answered: the rules ran again"),
}
# The reports' paths (claims.reporting.reports.PATHS), as a manager reads them.
PATH_LABELS = {"touchless": _l("filed, decided by the rules"),
               "clerk": _l("filed, decided by a clerk"),
               "proactive": _l("paid without a claim (proactive)"),
               "no-booking": _l("filed without a booking")}
PAYOUT_LABELS = {"account": _l("to the account on file"), "iban": _l("to an account the "
                 "passenger gave"), "uk-account": _l("to a UK account the passenger gave"),
                 "voucher": _l("as a travel voucher")}
LANGUAGE_NAMES = {"de": _l("German"), "en": _l("English")}
# How another claim relates to the one in the clerk's file (claims.clerks.review._related).
RELATED_WHY = {"same-journey": _l("the same journey: a possible duplicate"),
               "same-booking": _l("same booking"), "same-train": _l("same train")}


def reason_words(codes: tuple[str, ...] | list[str]) -> str:
    return ", ".join(label(code, "reason") for code in codes)


FARE_KINDS = {"single": _l("single ticket"), "return": _l("return ticket"),
              "season": _l("season ticket")}

# The clerk's timeline: every step, the staff's own as well, told about the passenger in
# the third person (the passenger's page above speaks to them as "you").
STAFF_EVENT_LABELS = {
    "booking_found": _l("Booking found"),
    "claim_form_shown": _l("Claim form opened"),
    "claim_submitted": _l("Claim submitted"),
    "enqueue_failed": _l("Queued for a later check"),
    "assessment_started": _l("Check started"),
    "claim_decided": _l("Decision made"),
    "assessment_failed": _l("Check failed: passed to staff"),
    "transition_refused": _l("Step refused"),
    "claim_withdrawn": _l("Claim withdrawn"),
    "claim_paid": _l("Paid"),
    "decision_mailed": _l("Decision sent by e-mail"),
    "payout_mailed": _l("Payment confirmation sent by e-mail"),
    "status_viewed": _l("Status page viewed"),
    "claim_taken": _l("Taken from the queue"),
    "work_started": _l("Work started"),
    "work_ended": _l("Work ended"),
    "info_requested": _l("The passenger was asked for a detail"),
    "info_request_mailed": _l("Request for a detail sent by e-mail"),
    "info_provided": _l("The passenger sent the detail"),
    "appealed": _l("The passenger objected to the decision"),
    "claim_form_rejected": _l("Claim form sent back with errors"),
    "manual_form_shown": _l("Form without a booking opened"),
    "document_uploaded": _l("The passenger uploaded a document"),
    "survey_answered": _l("The passenger said how easy it was"),
    "receipt_mailed": _l("Confirmation sent by e-mail"),
    "amount_proposed": _l("Amount proposed"),
    "amount_set": _l("Amount set"),
    "claim_file_opened": _l("Claim file opened"),
    "status_links_revoked": _l("Status links ended"),
    "status_link_requested": _l("The passenger asked for a new link"),
    "status_link_mailed": _l("New link sent by e-mail"),
    "personal_data_erased": _l("Personal data erased"),
    "offer_made": _l("Compensation offered, without a claim"),
    "offer_accepted": _l("The passenger accepted the offer"),
    "offer_declined": _l("The passenger declined the offer"),
    "offer_withdrawn": _l("Offer withdrawn after corrected operations data"),
    "amount_raised": _l("Amount raised after corrected operations data"),
    "correction_kept": _l("Corrected operations data: amount kept"),
    "filing_invited": _l("The passenger was invited to file a claim"),
    "offer_mailed": _l("Offer sent by e-mail"),
    "top_up_paid": _l("The amount added was paid"),
    "payout_held": _l("Payment held for a check"),
    "invitation_mailed": _l("Invitation sent by e-mail"),
    "payment_confirmed": _l("The bank confirmed the payment"),
    "payment_returned": _l("The bank sent the payment back"),
    "payout_failed_mailed": _l("Request for another account sent by e-mail"),
    "new_account_given": _l("The passenger gave another account"),
}
# Who took a step, on the clerk's timeline (a clerk is named by their address instead).
ACTOR_LABELS = {"passenger": _l("by the passenger"), "system": _l("automatic"),
                "clerk": _l("by staff")}
# The operations data's causes of a disruption (claims.core.rules.causes.CAUSES), as staff
# read them in a claim's file and choose them for a whole train.
CAUSE_LABELS = {
    "unknown": _l("not known"), "technical": _l("technical fault"),
    "operator": _l("the operator's own operations"),
    "own-staff-strike": _l("strike of the operator's own staff"),
    "infrastructure": _l("fault of the infrastructure"),
    "extreme-weather": _l("extreme weather"), "natural-disaster": _l("natural disaster"),
    "public-health-crisis": _l("public-health crisis"), "third-party": _l("third party"),
    "passenger-fault": _l("the passenger's own fault"),
    "air-traffic-control": _l("decision of air traffic control"),
    "security": _l("security risk"), "political-instability": _l("political instability"),
    "third-party-strike": _l("strike outside the operator"),
}
REGIME_LABELS = {"eu-rail": _l("EU rail (Regulation (EU) 2021/782)"),
                 "eu-air": _l("EU air (Regulation (EC) 261/2004)"),
                 "uk-rail": _l("UK rail (Delay Repay)")}
# The fields of the passenger's forms, as the effort report's drivers name them
# ("field typed: statement"; "asked for: arrival_time").
FIELD_LABELS = {
    "passenger_name": _l("name"), "passenger_email": _l("e-mail address"),
    "arrived_with_service": _l("the service they arrived with"),
    "arrival_time": _l("the time they arrived"), "statement": _l("statement"),
    "iban": _l("IBAN"), "account_holder": _l("account holder"), "sort_code": _l("sort code"),
    "account_number": _l("account number"), "ticket": _l("ticket"),
    "price": _l("ticket price"), "question": _l("a question of the clerk"),
    "cause": _l("the reason given for the delay"),
    "document": _l("document"),
}

# What a passenger's file came with (the kind claims.passengers.manual.add_document
# stores), as a page names the file: "the ticket the passenger uploaded".
DOCUMENT_LABELS = {"ticket": _l("ticket"),
                   "answer": _l("file the passenger sent with an answer"),
                   "objection": _l("file the passenger sent with the objection")}

# Every code a page may name, by its kind: one place to look a word up, so a page never
# falls back on showing the code itself (tests/unit/test_labels.py checks each kind covers
# its vocabulary).
LABELS: dict[str, Mapping[str, object]] = {
    "status": STATUS_LABELS, "reason": REASON_LABELS, "path": PATH_LABELS,
    "payout": PAYOUT_LABELS, "language": LANGUAGE_NAMES, "related": RELATED_WHY,
    "fare": FARE_KINDS, "event": STAFF_EVENT_LABELS, "passenger_event": EVENT_LABELS,
    "actor": ACTOR_LABELS,
    "cause": CAUSE_LABELS, "regime": REGIME_LABELS, "field": FIELD_LABELS,
    "document": DOCUMENT_LABELS,
}
# A code no list names yet reads as this, never as the code.
UNNAMED = _l("other")


def label(code: object, kind: str) -> str:
    """The word for a code of a kind: `{{ leg.cause|label('cause') }}`."""
    if code is None or code == "":
        return ""
    return str(LABELS[kind].get(str(code), UNNAMED))


def money(amount: Decimal | str | None, currency: str | None) -> str:
    """19.75 EUR in English, 19,75 EUR in German (1,234.50 and 1.234,50): the number as the
    reader writes it, the currency as its code, so no reader mistakes one currency's sign
    for another's. Every amount a page or a PDF shows goes through here
    (`{{ money(amount, currency) }}` or `{{ amount|money(currency) }}`)."""
    if amount is None:
        return ""
    return format_money(amount, currency, page_language())


def rate(amount: Decimal, currency: str) -> str:
    """A cost rate with the decimals it has past the cent: a system job costs 0.002 EUR
    (0,002 EUR in German), which money() would show as 0.00."""
    return f"{format_decimal(amount, format='#,##0.00##', locale=page_language())} {currency}"


def bank_name(iban: str | None) -> str:
    """The bank's name from schwifty's registry, so a passenger sees where money goes."""
    if not iban:
        return ""
    try:
        return check_iban(iban).bank_name or ""
    except IbanError:
        return ""


def local_time(value: datetime) -> str:
    """An instant as the reader writes it, in the portal's time zone (BABEL_DEFAULT_TIMEZONE):
    "20. November 2026, 12:32" in German, "20 November 2026, 12:32" in English."""
    return format_datetime(value, "d. MMMM y, HH:mm" if page_language() == "de"
                           else "d MMMM y, HH:mm")


def number(value: float, places: int = 1) -> str:
    """A measured figure as the reader writes it: 2.5 in English, 2,5 in German."""
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(round(value, places), format=pattern, locale=page_language())


def local_date(value: datetime) -> str:
    return format_datetime(value, "d. MMMM y" if page_language() == "de" else "d MMMM y")


def local_date_of(value: date | None) -> str:
    """A calendar day (no time zone) as the reader writes it."""
    if value is None:
        return "…"
    return format_date(value, "d. MMMM y" if page_language() == "de" else "d MMMM y")


def station_time(value: datetime) -> str:
    """A timetable time as the station shows it: in its own UTC offset, not converted."""
    return station_time_in(value, page_language())


# As Babel's "d. MMM y, HH:mm" (German) and "d MMM y, HH:mm" (English) write it. Babel
# applied the pattern anew to each of the claim page's times: 1.4 % of the passenger's
# four requests (py-spy); the month's abbreviation is all it looks up.
def station_time_in(value: datetime, language: str) -> str:
    month = _month_abbreviations(language)[value.month]
    day = f"{value.day}. {month}" if language == "de" else f"{value.day} {month}"
    return f"{day} {value.year}, {value:%H:%M}"


@cache
def _month_abbreviations(language: str) -> dict[int, str]:
    return dict(get_month_names("abbreviated", locale=language))


def page_language() -> str:
    """"de" or "en": the language alone, whatever region the browser names (de_DE)."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def init_app(app: Flask) -> None:
    app.add_template_filter(mask_iban, "mask_iban")
    app.add_template_filter(bank_name, "bank_name")
    app.add_template_global(money, "money")
    app.add_template_global(rate, "rate")
    app.add_template_filter(lambda basis: cite(basis, page_language()), "cite")
    app.add_template_global(local_time, "local_time")
    app.add_template_global(local_date, "local_date")
    app.add_template_global(local_date_of, "local_date_of")
    app.add_template_global(number, "number")
    app.add_template_global(station_time, "station_time")
    app.add_template_global(check_reasons, "check_reasons")
    # The words are the catalogue's, trusted as every _() of a template is (a code is never
    # shown, so nothing typed reaches a page through here).
    app.add_template_filter(lambda code, kind: Markup(label(code, kind)), "label")
    app.add_template_filter(money, "money")
    app.add_template_global(reason_words, "reason_words")
    app.add_template_global(lambda code: reason_in_words(code, page_language()), "bank_reason")

    @app.context_processor
    def _globals() -> dict[str, object]:
        return {"current_language": page_language(), "event_labels": EVENT_LABELS,
                "staff_event_labels": STAFF_EVENT_LABELS, "fare_kinds": FARE_KINDS,
                "status_labels": STATUS_LABELS, "reason_labels": REASON_LABELS,
                "payout_labels": PAYOUT_LABELS, "language_names": LANGUAGE_NAMES,
                "related_why": RELATED_WHY, "path_labels": PATH_LABELS}


# The portal's own pages; mails, PDFs and rq-dashboard's pages are compiled when first used.
_PAGES = ("base.html", "macros.html", "error.html", "staff_nav.html", "passenger/",
          "clerk/", "reports/")


def compile_pages(app: Flask) -> int:
    """Every page template compiled now, not by the first request that shows it: after a
    deploy each gunicorn worker compiled each page on its first use, and the first
    passengers and staff waited for it (0.39 s for all templates; the sign-in page's p95
    in bench/load.py was 260 ms against a p50 of 36 ms). Called by gunicorn.conf.py as a
    worker starts; returns how many."""
    names = [name for name in app.jinja_env.list_templates(extensions=["html"])
             if name.startswith(_PAGES)]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
