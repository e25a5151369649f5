"""Staff sign-in: Flask-Login over the users table, and a role check for views."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, session, url_for
from flask_login import UserMixin, current_user, login_required, logout_user
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


@login_manager.user_loader
def _load(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    account = staff.active_account(runtime().session_factory, int(user_id))
    return StaffUser(account) if account else None


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
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        now = time.time()
        last_seen = session.get("staff_seen")
        if isinstance(last_seen, (int, float)) and now - last_seen > IDLE_TIMEOUT_SECONDS:
            logout_user()
            session.pop("staff_seen", None)
            return redirect(url_for("clerk.login", idle=1))
        session["staff_seen"] = now
        return None
