"""``/favicon.ico``: browsers and crawlers ask for it at the root whatever the page says,
and a 404 there is an error in every page's console."""

from __future__ import annotations

from litestar import get
from litestar.response import Response

from portal.settings import ROOT

ICONS = ROOT / "static" / "icons"
FAVICON = (ICONS / "favicon.ico").read_bytes()


# No form here, so no CSRF token: the answer sets no cookie and may be cached.
@get("/favicon.ico", name="webapp.favicon", include_in_schema=False, opt={"exclude_from_csrf": True})
async def favicon() -> Response:
    return Response(FAVICON, media_type="image/vnd.microsoft.icon", headers={"cache-control": "public, max-age=604800"})


WEBAPP_ROUTES = [favicon]
