"""Guards: by role, and by the community named in the path."""

from __future__ import annotations

from typing import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.accounts.rules import Actor

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


def actor_of(connection: ASGIConnection) -> Actor | None:
    return connection.scope.get("user")


# Guards are coroutines: Litestar runs a plain function guard in a worker thread, a
# thread hop on every request for a check that reads only the scope.


async def logged_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if actor_of(connection) is None:
        raise NotAuthorizedException()


def requires(*roles: str) -> Guard:
    """Only users holding one of ``roles``; when the path has ``community_id``, only
    those whose role reaches that community."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor = actor_of(connection)
        if actor is None:
            raise NotAuthorizedException()
        if not actor.has(*roles, "admin"):
            raise PermissionDeniedException()
        community_id = connection.path_params.get("community_id")
        if community_id is not None and not actor.reaches(int(community_id), *roles):
            raise PermissionDeniedException()

    guard.__name__ = f"requires_{'_'.join(roles)}"
    return guard
