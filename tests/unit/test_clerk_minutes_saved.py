"""The clerk time the proactive path saved, worked out by hand from grouped records."""

from claims.reporting.proactive_report import _clerk_minutes_saved, _Group


def test_proactive_claims_decided_alone_save_what_a_filed_claim_costs_a_clerk() -> None:
    groups = [
        # path, status, claims, paid, touchless, clerk seconds, records with clerk seconds
        _Group("proactive", "paid", 10, 10, 9, 0, 10),
        _Group("proactive", "declined", 2, 0, 2, 0, 2),
        _Group("touchless", "paid", 6, 6, 6, 0, 6),
        _Group("clerk", "approved", 2, 2, 0, 960, 2),
        _Group("no-booking", "approved", 1, 1, 0, 6000, 1),  # not filed on a booking
    ]
    # 11 proactive claims without a clerk x (960 s / 8 filed claims = 2 minutes) = 22.
    assert _clerk_minutes_saved(groups) == 22.0
    assert _clerk_minutes_saved(groups[:2]) == 0.0  # nothing filed to compare with
