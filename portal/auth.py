"""Staff sign-in: Flask-Login over the users table, and a role check for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import UserMixin, current_user, login_required

from claims import staff
from portal.extensions import login_manager, runtime

F = TypeVar("F", bound=Callable[..., Any])


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
