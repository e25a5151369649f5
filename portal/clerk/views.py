"""Clerk sign-in and the queue of claims that need a person."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from claims import staff
from portal.auth import StaffUser, role_required
from portal.clerk import blueprint
from portal.extensions import limiter, runtime


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail."))],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("clerk/login.html", form=form), 422
        account = staff.authenticate(runtime().session_factory, form.email.data or "",
                                     form.password.data or "")
        if account is None:
            return render_template("clerk/login.html", form=form, failed=True), 401
        login_user(StaffUser(account))
        home = "reports.overview" if account.role == "manager" else "clerk.queue"
        return redirect(url_for(home))
    return render_template("clerk/login.html", form=form)


@blueprint.post("/logout")
def logout() -> Response:
    logout_user()
    return redirect(url_for("clerk.login"))


@blueprint.get("/")
@role_required("clerk", "manager")
def queue() -> str:
    return render_template("clerk/queue.html",
                           entries=staff.review_queue(runtime().session_factory))
