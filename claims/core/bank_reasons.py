"""The banks' reasons for returning or refusing a transfer, in words: the ISO 20022
external status reason and return reason codes (ExternalStatusReason1Code,
ExternalReturnReason1Code) that SEPA banks send in pain.002 and camt.054. A passenger or a
clerk never sees a bare code: an unknown one is named as the bank's code in a sentence."""

from __future__ import annotations

# code: (English, German). Worded for the passenger: what happened to the money.
REASONS: dict[str, tuple[str, str]] = {
    "AC01": ("the account number (IBAN) is not correct",
             "die Kontonummer (IBAN) ist nicht korrekt"),
    "AC04": ("the account is closed", "das Konto ist aufgelöst"),
    "AC06": ("the account is blocked", "das Konto ist gesperrt"),
    "AC13": ("the account cannot take this kind of payment",
             "das Konto kann diese Art Zahlung nicht empfangen"),
    "AG01": ("the account does not accept this kind of transfer",
             "das Konto nimmt diese Art Überweisung nicht an"),
    "AG02": ("the bank could not process the transfer",
             "die Bank konnte die Überweisung nicht verarbeiten"),
    "AM04": ("the paying account did not have enough funds",
             "auf dem zahlenden Konto war nicht genug Deckung"),
    "AM05": ("the transfer was sent twice", "die Überweisung wurde doppelt gesendet"),
    "BE04": ("the bank was missing the account holder's address",
             "der Bank fehlte die Adresse des Kontoinhabers"),
    "BE05": ("the bank did not recognise the sender", "die Bank kannte den Absender nicht"),
    "CNOR": ("the receiving bank could not be reached",
             "die Bank des Empfängers war nicht erreichbar"),
    "CUST": ("the account holder asked for the payment to be cancelled",
             "der Kontoinhaber hat die Zahlung storniert"),
    "DNOR": ("the paying bank could not be reached", "die zahlende Bank war nicht erreichbar"),
    "DUPL": ("the transfer was sent twice", "die Überweisung wurde doppelt gesendet"),
    "ED05": ("the settlement of the transfer failed",
             "die Verrechnung der Überweisung ist gescheitert"),
    "FF01": ("the transfer file had a format error", "die Überweisungsdatei war fehlerhaft"),
    "FOCR": ("the payment was returned after a request to cancel it",
             "die Zahlung wurde nach einer Stornoanfrage zurückgegeben"),
    "FRAD": ("the bank suspected fraud", "die Bank vermutete einen Betrug"),
    "MD07": ("the account holder has died", "der Kontoinhaber ist verstorben"),
    "MS02": ("the account holder refused the payment",
             "der Kontoinhaber hat die Zahlung abgelehnt"),
    "MS03": ("the bank refused the payment without giving a reason",
             "die Bank hat die Zahlung ohne Angabe von Gründen abgelehnt"),
    "NARR": ("the bank gave its reason in a note", "die Bank hat ihren Grund in einer Notiz "
             "genannt"),
    "RC01": ("the bank code (BIC) is not correct", "die Bankleitzahl (BIC) ist nicht korrekt"),
    "RR01": ("the bank was missing the account holder's details for legal checks",
             "der Bank fehlten Angaben zum Kontoinhaber für gesetzliche Prüfungen"),
    "RR02": ("the bank was missing the account holder's name or address",
             "der Bank fehlten Name oder Adresse des Kontoinhabers"),
    "RR03": ("the bank was missing the sender's name or address",
             "der Bank fehlten Name oder Adresse des Absenders"),
    "RR04": ("the bank refused it for legal reasons",
             "die Bank hat sie aus rechtlichen Gründen abgelehnt"),
    "SL01": ("a service of the bank refused the payment",
             "eine Leistung der Bank hat die Zahlung abgelehnt"),
    "TM01": ("the transfer reached the bank after its cut-off time",
             "die Überweisung kam nach dem Annahmeschluss der Bank an"),
}


def reason_in_words(code: str | None, language: str) -> str:
    """The bank's reason in the language ('de' or else English); never a bare code."""
    german = language.startswith("de")
    if code and code.upper() in REASONS:
        english, deutsch = REASONS[code.upper()]
        return deutsch if german else english
    if code:
        return (f"die Bank hat den Grund {code} angegeben" if german
                else f"the bank gave reason {code}")
    return "die Bank hat keinen Grund angegeben" if german else "the bank gave no reason"
