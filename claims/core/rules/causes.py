"""Causes of disruption, and which of them exempt the operator in each regime."""

from __future__ import annotations

CAUSES = frozenset({
    "unknown", "technical", "operator", "own-staff-strike", "infrastructure",
    "extreme-weather", "natural-disaster", "public-health-crisis", "third-party",
    "passenger-fault", "air-traffic-control", "security", "political-instability",
    "third-party-strike",
})

# Regulation (EU) 2021/782, Art. 19(10). Strikes of the operator's own staff, technical
# faults and faults of the infrastructure stay compensated; "unknown" is no exemption.
EU_RAIL_FORCE_MAJEURE = frozenset({
    "extreme-weather", "natural-disaster", "public-health-crisis", "passenger-fault",
    "third-party",
})

# Regulation (EC) 261/2004, Art. 5(3); ordinary technical faults (C-549/07) and strikes of
# the carrier's own staff (C-28/20) are not extraordinary.
EU_AIR_EXTRAORDINARY = frozenset({
    "extreme-weather", "natural-disaster", "air-traffic-control", "security",
    "political-instability", "third-party-strike",
})

CAUSE_LABELS = {
    "en": {
        "extreme-weather": "extreme weather", "natural-disaster": "a natural disaster",
        "public-health-crisis": "a public-health crisis",
        "passenger-fault": "the passenger's own fault", "third-party": "a third party",
        "air-traffic-control": "an air-traffic-control decision",
        "security": "a security risk", "political-instability": "political instability",
        "third-party-strike": "a strike outside the carrier",
    },
    "de": {
        "extreme-weather": "extreme Wetterbedingungen",
        "natural-disaster": "eine Naturkatastrophe",
        "public-health-crisis": "eine Gesundheitskrise",
        "passenger-fault": "eigenes Verschulden des Fahrgasts", "third-party": "Dritte",
        "air-traffic-control": "eine Entscheidung der Flugsicherung",
        "security": "ein Sicherheitsrisiko", "political-instability": "politische Instabilität",
        "third-party-strike": "einen Streik außerhalb der Fluggesellschaft",
    },
}
