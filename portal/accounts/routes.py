"""Logging in and out, one's own password, and the language switch."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from portal.accounts import rules
from portal.accounts.forms import LoginForm, PasswordChangeForm
from portal.web import i18n
from portal.web.guards import logged_in
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext
from portal.web.csrf import cookie_name
from portal.web.middleware import client_ip, session_cookie_name

DEVICE_COOKIE = "shouwang_device"
from portal.web.pages import invalid, navigate, render, safe_next, see_other


def session_cookie(request: Request, token: str | None) -> Cookie:
    settings = request.app.state.settings
    return Cookie(
        key=session_cookie_name(settings),
        value=token or "",
        max_age=settings.session_hours * 3600 if token else 0,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


async def start_session(request: Request, user_id: int, redirect_to: str) -> Response:
    """A new session id at every login: the old one (if any) ends first."""
    sessions = request.app.state.sessions
    if old := request.cookies.get(session_cookie_name(request.app.state.settings)):
        await sessions.end(old)
    token = await sessions.create(user_id, client_ip(request), request.headers.get("user-agent", ""))
    response = navigate(request, redirect_to)
    response.cookies.append(session_cookie(request, token))
    return response


class AccountController(Controller):
    @get("/login", name="login")
    async def login_page(self, request: Request, next: FromQuery[str | None] = None) -> Template | Redirect:
        if request.scope.get("user"):
            return see_other(safe_next(next))
        return render(request, "accounts/login.html", {"form": LoginForm(), "next": safe_next(next)})

    @post("/login", name="login.submit")
    async def login(self, request: Request) -> Template | Response:
        form = await LoginForm.from_request(request)
        data = await request.form()
        next_path = safe_next(data.get("next"))
        context = {"form": form, "next": next_path}
        page = {"fragment": "accounts/_login_form.html", "target": "login-form"}
        if not form.validate():
            return invalid(request, "accounts/login.html", context, **page)
        settings = request.app.state.settings
        device = rules.trusted_device(request.cookies.get(cookie_name(settings, DEVICE_COOKIE)), form.username.data, settings.secret_key)
        result = await rules.log_in(form.username.data, form.password.data, client_ip(request), settings.login_max_failures, device)
        if result.locked_seconds:
            minutes = max(1, round(result.locked_seconds / 60))
            form.form_errors.append(ngettext("Too many failed attempts. Try again in %(minutes)d minute.", "Too many failed attempts. Try again in %(minutes)d minutes.", minutes, minutes=minutes))
            return render(request, "accounts/login.html", context, status=429, **page)
        if result.deactivated:
            form.form_errors.append(_("This account has been deactivated. Volunteers and hosts: ask your community officer to reactivate it; officers and heads: ask the portal's administrator."))
            form.password.data = ""
            return render(request, "accounts/login.html", context, status=403, **page)
        if not result.user_id:
            form.form_errors.append(_("The username or password is not correct."))
            form.password.data = ""
            return invalid(request, "accounts/login.html", context, **page)
        response = await start_session(request, result.user_id, next_path)
        # This browser is now a trusted device of the account (a new id at every login).
        response.cookies.append(Cookie(
            key=cookie_name(settings, DEVICE_COOKIE), value=rules.device_cookie_value(form.username.data, settings.secret_key),
            max_age=int(rules.DEVICE_TRUST.total_seconds()), httponly=True, secure=settings.secure_cookies, samesite="lax", path="/",
        ))
        return response

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Redirect:
        actor = request.scope.get("user")
        token = request.scope.get("session_token")
        if actor and token:
            await rules.log_out(actor, request.app.state.sessions, token, client_ip(request))
        response = see_other("/")
        response.cookies.append(session_cookie(request, None))
        return response

    @get("/account/password", name="password", guards=[logged_in])
    async def password_page(self, request: Request) -> Template:
        return render(request, "accounts/password.html", {"form": PasswordChangeForm()})

    @post("/account/password", name="password.submit", guards=[logged_in])
    async def change_password(self, request: Request) -> Template | Response:
        form = await PasswordChangeForm.from_request(request)
        if form.validate():
            try:
                await rules.change_password(request.user, form.current_password.data, form.new_password.data, request.app.state.sessions)
            except rules.AccountError as error:
                form.fail(error.field, error.message)
            else:
                return await start_session(request, request.user.id, "/?changed=password")
        return invalid(request, "accounts/password.html", {"form": form})

    @post("/language", name="language")
    async def switch_language(self, request: Request) -> Redirect:
        data = await request.form()
        language = data.get("language")
        response = see_other(safe_next(data.get("next")))
        if language in i18n.LANGUAGES:
            actor = request.scope.get("user")
            if actor:
                await rules.set_language(actor.id, language)
            response.cookies.append(
                Cookie(key=i18n.LANGUAGE_COOKIE, value=language, max_age=int(dt.timedelta(days=365).total_seconds()), samesite="lax", secure=request.app.state.settings.secure_cookies, httponly=True, path="/")
            )
        return response
