"""Guards: by role, and by the community named in the path."""

from __future__ import annotations

from typing import Awaitable, Callable

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.accounts.rules import Actor
from portal.web.drafts import keep_typed_form
from portal.web.middleware import session_cookie_name

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


def actor_of(connection: ASGIConnection) -> Actor | None:
    return connection.scope.get("user")


# Guards are coroutines: Litestar runs a plain function guard in a worker thread, a
# thread hop on every request for a check that reads only the scope.


async def sign_in_first(connection: ASGIConnection) -> None:
    """Nobody is signed in: to the login page, keeping what a form typed when it comes with
    a session cookie whose session has ended (it ended while the form was open;
    ``portal.web.drafts``). A form sent with no session cookie at all was never a signed-in
    person's: there is nothing of theirs to keep."""
    if isinstance(connection, Request) and connection.cookies.get(session_cookie_name(connection.app.state.settings)):
        connection.scope["kept_form"] = await keep_typed_form(connection)
    raise NotAuthorizedException()


async def logged_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if actor_of(connection) is None:
        await sign_in_first(connection)


def requires(*roles: str) -> Guard:
    """Only users holding one of ``roles``; when the path has ``community_id``, only
    those whose role reaches that community."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor = actor_of(connection)
        if actor is None:
            await sign_in_first(connection)
        if not actor.has(*roles, "admin"):
            raise PermissionDeniedException()
        community_id = connection.path_params.get("community_id")
        if community_id is not None and not actor.reaches(int(community_id), *roles):
            raise PermissionDeniedException()

    guard.__name__ = f"requires_{'_'.join(roles)}"
    return guard
