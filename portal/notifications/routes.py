"""The inbox: every logged-in user's messages, newest first; reading and marking read."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, Parameter
from litestar.response import Redirect, Template

from portal.notifications import rules
from portal.web.guards import logged_in
from portal.web.pages import is_htmx, render, safe_next, see_other


class InboxController(Controller):
    path = "/inbox"
    guards = [logged_in]

    async def _page(self, request: Request, after: int | None) -> Template:
        page = await rules.inbox_page(request.user.id, after)
        context = {"page": page, "after": after}
        if is_htmx(request):
            # The header's badge is outside the swapped part: htmx updates it out of band.
            context["oob_unread"] = await rules.unread_count(request.user.id)
        return render(request, "notifications/inbox.html", context, fragment="notifications/_list.html", target="inbox")

    @get("/", name="inbox")
    async def inbox(self, request: Request, after: int | None = Parameter(default=None, ge=0)) -> Template:
        return await self._page(request, after)

    @post("/{notification_id:int}/read", name="inbox.read")
    async def read(self, request: Request, notification_id: FromPath[int]) -> Template | Redirect:
        message = await rules.mark_read(request.user, notification_id)
        if message is None:
            raise NotFoundException()
        if is_htmx(request) and request.headers.get("hx-target") == f"note-{notification_id}":
            return render(request, "notifications/_item.html", {"note": message, "item_unread": await rules.unread_count(request.user.id)})
        return see_other("/inbox")

    @post("/{notification_id:int}/open", name="inbox.open")
    async def open(self, request: Request, notification_id: FromPath[int]) -> Redirect:
        message = await rules.mark_read(request.user, notification_id)
        if message is None:
            raise NotFoundException()
        return see_other(safe_next(message["link"], default="/inbox"))

    @post("/read-all", name="inbox.read_all")
    async def read_all(self, request: Request) -> Template | Redirect:
        await rules.mark_all_read(request.user)
        if is_htmx(request) and request.headers.get("hx-target") == "inbox":
            return await self._page(request, None)
        return see_other("/inbox")
