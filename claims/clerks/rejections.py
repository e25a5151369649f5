"""The standard explanations of a rejection, per reason and language: a clerk rejects with
one of them in two clicks, or writes their own. Written for the passenger: what happened,
why it means no money, and what they can still do."""

from __future__ import annotations

STANDARD: dict[str, dict[str, str]] = {
    "not-eligible": {
        "en": "Under the rules for your journey no compensation is due: the delay at your "
              "destination was below the threshold for compensation.",
        "de": "Nach den Regeln für Ihre Reise steht Ihnen keine Entschädigung zu: Die "
              "Verspätung am Zielort lag unter der Schwelle für eine Entschädigung.",
    },
    "extraordinary-circumstances": {
        "en": "The delay was caused by extraordinary circumstances outside the operator's "
              "control (such as extreme weather). The law exempts these from compensation.",
        "de": "Die Verspätung wurde durch außergewöhnliche Umstände verursacht, die das "
              "Unternehmen nicht beeinflussen konnte (etwa extremes Wetter). Dafür sieht das "
              "Gesetz keine Entschädigung vor.",
    },
    "past-deadline": {
        "en": "Your claim reached us after the deadline for claims on this journey, so we "
              "cannot pay compensation for it.",
        "de": "Ihr Antrag ist nach Ablauf der Frist für diese Reise bei uns eingegangen. "
              "Deshalb können wir keine Entschädigung zahlen.",
    },
    "duplicate": {
        "en": "This journey has already been claimed and decided. Compensation is paid once "
              "per journey.",
        "de": "Für diese Reise wurde bereits ein Antrag gestellt und entschieden. Eine "
              "Entschädigung wird je Reise einmal gezahlt.",
    },
    "no-evidence": {
        "en": "We could not confirm your journey from the ticket and the details you gave. "
              "If you have a ticket or receipt, you can object and send it.",
        "de": "Wir konnten Ihre Reise anhand der Fahrkarte und Ihrer Angaben nicht bestätigen. "
              "Wenn Sie eine Fahrkarte oder Quittung haben, können Sie widersprechen und sie "
              "einreichen.",
    },
}


def standard_explanation(reason: str, language: str) -> str:
    texts = STANDARD[reason]
    return texts["de"] if language.startswith("de") else texts["en"]


# The rules that exempt the operator: the disruption's cause was outside its control.
EXEMPTING_RULES = frozenset({"eu-rail.19-10", "eu-air.5-3"})


def reason_the_rules_found(eligible: bool | None, rule: str | None) -> str | None:
    """The clerk's rejection reason for what the rules found, where they found the claim
    not eligible; None where they found it eligible or could not tell (no arrival known
    yet), which leaves the clerk's form as it is."""
    if eligible is not False or not rule or rule.endswith(".arrival-unknown"):
        return None
    if rule.startswith("clerk."):  # a clerk's earlier rejection, objected to
        earlier = rule.removeprefix("clerk.")
        return earlier if earlier in STANDARD else "not-eligible"
    return "extraordinary-circumstances" if rule in EXEMPTING_RULES else "not-eligible"
