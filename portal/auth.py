"""Staff sign-in: Flask-Login over the users table, and a role check for views."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, session, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from claims.clerks import staff
from portal.extensions import login_manager, runtime

F = TypeVar("F", bound=Callable[..., Any])
# A staff session unused this long ends: a clerk's screen left open shows personal data.
IDLE_TIMEOUT_SECONDS = 30 * 60


class StaffUser(UserMixin):
    def __init__(self, account: staff.StaffAccount) -> None:
        self.account = account

    def get_id(self) -> str:
        return str(self.account.id)

    @property
    def role(self) -> str:
        return self.account.role


# However active, a staff session ends this long after its sign-in.
ABSOLUTE_LIFETIME_SECONDS = 8 * 60 * 60


@login_manager.user_loader
def _load(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    account = staff.active_account(runtime().session_factory, int(user_id))
    # A session begun before the last logout (a copied cookie) is over.
    if account is None or session.get("staff_version") != account.session_version:
        return None
    return StaffUser(account)


def sign_in(account: staff.StaffAccount) -> None:
    """A fresh session for the account: nothing of the one before sign-in is kept but the
    language (a session fixed by someone else before sign-in is worth nothing after)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(StaffUser(account))
    session["staff_version"] = account.session_version
    session["staff_since"] = session["staff_seen"] = time.time()


def sign_out() -> None:
    if current_user.is_authenticated:
        staff.end_sessions(runtime().session_factory, current_user.account.id)
    logout_user()
    session.clear()


def role_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorate


def init_app(app: Flask) -> None:
    @app.before_request
    def _end_idle_staff_sessions() -> Response | None:
        # Staff sessions are those Flask-Login put a user id in (there is no remember-me
        # cookie and no request loader). Asking current_user on a passenger's request
        # would run Flask-Login's session protection for nothing: a hash of the address
        # and browser, and a "_fresh" flag written into the passenger's cookie.
        if request.endpoint == "static" or "_user_id" not in session \
                or not current_user.is_authenticated:
            return None
        now = time.time()
        last_seen = session.get("staff_seen")
        since = session.get("staff_since")
        idle = isinstance(last_seen, (int, float)) and now - last_seen > IDLE_TIMEOUT_SECONDS
        too_old = not isinstance(since, (int, float)) or \
            now - since > ABSOLUTE_LIFETIME_SECONDS
        if idle or too_old:
            logout_user()
            session.clear()
            return redirect(url_for("clerk.login", idle=1))
        session["staff_seen"] = now
        return None
