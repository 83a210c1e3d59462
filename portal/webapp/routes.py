"""The portal as an app on the phone.

- ``/favicon.ico``: browsers and crawlers ask for it at the root whatever the page says,
  and a 404 there is an error in every page's console.
- ``/manifest.webmanifest``: name, icons and colours for "Add to home screen", in the
  reader's language.
- ``/sw.js``: the service worker (``static/js/sw.js``), served from the root so that its
  scope is the whole portal, headed by what it keeps: the static files of the current
  pages (by their hashed addresses) and the pages a volunteer needs without signal.
- ``/outbox``: the logs typed on this phone that wait to be sent; the page is the
  server's, its list is filled in by ``static/js/offline.js`` from the worker's outbox.
"""

from __future__ import annotations

import hashlib
import json

from litestar import Request, get
from litestar.response import Response, Template

from portal.logs.rules import KIND_LABELS
from portal.logs.tables import KINDS
from portal.settings import ROOT
from portal.web.guards import logged_in
from portal.web.i18n import current_language
from portal.web.i18n import gettext as _
from portal.web.pages import render
from portal.web.static import content_hash, static_url

ICONS = ROOT / "static" / "icons"
FAVICON = (ICONS / "favicon.ico").read_bytes()
WORKER = ROOT / "static" / "js" / "sw.js"
THEME_COLOUR = "#0b4f9c"  # --brand in static/css/portal.css
# Static files every kept page needs (the pages' own scripts are kept as they load).
SHELL = ("css/portal.css", "js/offline.js", "js/htmx-load.js", "js/locate.js", "vendor/htmx.min.js", "icons/icon-192.png")
# Pages kept for use without signal (refreshed at every visit with signal); a page the
# person may not open (an officer's /shifts/mine) answers 403 and is not kept.
OFFLINE_PAGES = ("/", "/outbox", "/shifts/mine", "/logs/new", *(f"/logs/new/{kind}" for kind in KINDS))
# Where logs are posted: what the worker keeps in its outbox when the post cannot leave.
OUTBOX_PATHS = r"^/logs/new/(" + "|".join(KINDS) + r")$"

# No form in these answers, so no CSRF token: they set no cookie and may be cached.
NO_TOKEN = {"exclude_from_csrf": True}


@get("/favicon.ico", name="webapp.favicon", include_in_schema=False, opt=NO_TOKEN)
async def favicon() -> Response:
    return Response(FAVICON, media_type="image/vnd.microsoft.icon", headers={"cache-control": "public, max-age=604800"})


@get("/manifest.webmanifest", name="webapp.manifest", include_in_schema=False, opt=NO_TOKEN)
async def manifest() -> Response:
    # Browsers fetch the manifest without cookies: the language is the phone's.
    content = {
        "name": _("Shouwang community safety"),
        "short_name": _("Shouwang"),
        "description": _("Volunteer patrollers, watch-point hosts and community officers keep the neighbourhood safe together."),
        "lang": "zh-CN" if current_language() == "zh_CN" else "en",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static_url("icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(json.dumps(content, ensure_ascii=False), media_type="application/manifest+json", headers={"cache-control": "no-cache", "vary": "Accept-Language"})


def worker_source() -> str:
    """``static/js/sw.js`` headed by its configuration. The version changes with the worker
    and with every file of the shell, so a new deployment installs a new worker, which
    drops the old one's copies."""
    shell = [static_url(path) for path in SHELL if content_hash(path)]
    body = WORKER.read_text(encoding="utf-8")
    version = hashlib.sha256((body + "\n".join(shell)).encode()).hexdigest()[:12]
    config = {"version": version, "shell": shell, "pages": list(OFFLINE_PAGES), "outbox": OUTBOX_PATHS}
    return f"const CONFIG = {json.dumps(config)};\n{body}"


@get("/sw.js", name="webapp.worker", include_in_schema=False, opt=NO_TOKEN)
async def worker() -> Response:
    return Response(worker_source(), media_type="text/javascript", headers={"cache-control": "no-cache"})


@get("/outbox", name="webapp.outbox", guards=[logged_in])
async def outbox(request: Request) -> Template:
    kinds = {kind: _(KIND_LABELS[kind]) for kind in KINDS}
    return render(request, "webapp/outbox.html", {"kinds": json.dumps(kinds, ensure_ascii=False)})


WEBAPP_ROUTES = [favicon, manifest, worker, outbox]
