"""The admin's confirmation pages for deactivating a user and removing a role, with what
the person holds and the successor form (``portal.accounts.holdings`` does the work).
HTTP only: parse the successor choices, call the rule, render or return None when done."""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.response import Template

from portal.accounts import holdings as H
from portal.accounts.tables import RoleGrant, User
from portal.web.forms import MAX_FORM_INT
from portal.web.i18n import lazy_gettext as _l
from portal.web.pages import render

USER_COLUMNS = (User.id, User.username, User.real_name, User.active)
KIND_LABELS = {
    "ledger_item": _l("Ledger item"),
    "duty_slot": _l("Duty roster entry"),
    "watch_point": _l("Watch point waiting for verification"),
    "application": _l("Volunteer application waiting for review"),
    "pairing": _l("Pairing with a unit or a person (联访解)"),
    "council_resolution": _l("Resolution of a session with citizens (进建商)"),
}


def _user_id(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_FORM_INT else None


async def choice_from(request: Request) -> H.Choice:
    """The successor for everything (``successor``) and per item (``successor-<kind>-<id>``);
    an empty or mangled value means "none chosen"."""
    data = await request.form()
    choice = H.Choice(everyone=_user_id(data.get("successor")))
    for key in data.keys():
        if key.startswith("successor-"):
            chosen = _user_id(data.get(key))
            if chosen:
                choice.per_item[key] = chosen
    return choice


async def _page_context(user_id: int, grant_id: int | None) -> dict:
    user = await User.select(*USER_COLUMNS).where(User.id == user_id).first().run()
    if not user:
        raise NotFoundException()
    grant = None
    if grant_id is not None:
        grant = await RoleGrant.select(
            RoleGrant.id, RoleGrant.role, RoleGrant.community.name_zh, RoleGrant.community.name_en, RoleGrant.station.name_zh, RoleGrant.station.name_en
        ).where((RoleGrant.id == grant_id) & (RoleGrant.user == user_id)).first().run()
        if not grant:
            raise NotFoundException()
    held = await H.holdings(user_id, grant_id)
    allowed = await H.eligible(held, user_id)
    return {"user": user, "grant": grant, "held": held, "allowed": allowed, "choices": H.successor_choices(allowed), "kind_labels": KIND_LABELS}


async def confirm_page(request: Request, user_id: int, grant_id: int | None, choice: H.Choice | None = None, errors: dict | None = None) -> Template:
    context = await _page_context(user_id, grant_id)
    context.update(choice=choice or H.Choice(), errors=errors or {}, action="deactivate" if grant_id is None else "revoke")
    page = "admin/user_confirm.html" if grant_id is None else "admin/role_confirm.html"
    return render(request, page, context, status=422 if errors else 200)


async def hand_over(request: Request, user_id: int, grant_id: int | None = None) -> Template | None:
    """Deactivate the user (or remove the role) with the handover chosen on the page; the
    page again (422, nothing changed) when something held has no valid successor; None
    when done."""
    choice = await choice_from(request)
    try:
        await H.hand_over(request.user, user_id, choice, request.app.state.sessions, grant_id)
    except LookupError:
        raise NotFoundException() from None
    except H.HandoverError as refused:
        return await confirm_page(request, user_id, grant_id, choice, refused.errors)
    return None
