"""A passenger's status links: random tokens kept as digests, one per e-mail and look-up,
expiring, ended by a clerk, renewed on request (issue 14)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from claims.db.models import ClaimEvent, StatusLink
from claims.db.types import utcnow
from claims.operators import accounts
from tests.helpers import (
    NEW_LINK,
    RECEIPT,
    csrf_token,
    file_clear_claim,
    mail_bodies,
    mails,
    run_worker,
    sign_in,
    status_links_in,
)

PASSWORD = "correct horse battery staple"


def _filed(app: Flask) -> tuple[str, int]:
    _client, status_url = file_clear_claim(app)
    with app.extensions["effortless"].session_factory() as session:
        claim_id = session.scalars(select(StatusLink.claim_id)).first()
    assert claim_id is not None
    return status_url, claim_id


def test_each_mail_carries_a_link_of_its_own_and_only_digests_are_stored(app: Flask) -> None:
    page_url, _claim_id = _filed(app)
    assert (("hans@example.org", RECEIPT) in mails(app))
    mailed = [link for body in mail_bodies(app) for link in status_links_in(body)]
    assert len(mailed) == 2 and len(set(mailed) | {page_url}) == 3  # receipt, decision, page
    client = app.test_client()
    for link in [page_url, *mailed]:
        assert client.get(link).status_code == 200
    with app.extensions["effortless"].session_factory() as session:
        digests = session.scalars(select(StatusLink.digest)).all()
    tokens = [link.rsplit("/", 1)[1] for link in [page_url, *mailed]]
    assert len(digests) == 3 and not set(tokens) & set(digests)
    assert client.get("/status/" + "A" * 32).status_code == 404
    assert client.get("/status/" + "A" * 500).status_code == 404


def test_an_expired_link_says_so_and_points_to_a_new_one(app: Flask) -> None:
    page_url, _claim_id = _filed(app)
    with app.extensions["effortless"].session_factory.begin() as session:
        session.execute(update(StatusLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = app.test_client().get(page_url)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert 'href="/new-link"' in response.get_data(as_text=True)


def test_a_clerk_ends_every_link_and_the_passenger_asks_for_a_new_one(app: Flask) -> None:
    page_url, claim_id = _filed(app)
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    file_page = clerk.get(f"/clerk/claims/{claim_id}").get_data(as_text=True)
    assert "End all status links" in file_page
    ended = clerk.post(f"/clerk/claims/{claim_id}/revoke-links",
                       data={"csrf_token": csrf_token(file_page)}, follow_redirects=True)
    assert "3 status links ended" in ended.get_data(as_text=True)
    passenger = app.test_client()
    for link in [page_url, *status_links_in("\n".join(mail_bodies(app)))]:
        gone = passenger.get(link)
        assert gone.status_code == 410 and "for your safety" in gone.get_data(as_text=True)
    with factory() as session:
        revoked = session.scalars(select(ClaimEvent).where(
            ClaimEvent.kind == "status_links_revoked")).one()
    assert revoked.counts == {"links": 3} and revoked.actor_id is not None

    # The answer is the same for a booking that does not exist: nothing to guess from.
    form = passenger.get("/new-link").get_data(as_text=True)
    unknown = passenger.post("/new-link", data={"csrf_token": csrf_token(form),
                                                "reference": "NOSUCH", "surname": "Nobody"})
    known = passenger.post("/new-link", data={"csrf_token": csrf_token(form),
                                              "reference": "q7k2lm", "surname": "MÜLLER"})
    assert unknown.status_code == known.status_code == 200
    assert "a new link is on its way" in known.get_data(as_text=True)
    assert passenger.post("/new-link", data={"csrf_token": csrf_token(form)}).status_code == 422
    run_worker(app)
    assert mails(app)[-1] == ("hans@example.org", NEW_LINK)
    [fresh] = status_links_in(mail_bodies(app)[-1])
    page = passenger.get(fresh)
    assert page.status_code == 200 and "New link sent by e-mail" in page.get_data(as_text=True)
