"""``create_app(settings)``: the one place that wires the portal together."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import AsyncIterator

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from portal import db
from portal.accounts.admin import AdminUsersController
from portal.accounts.routes import AccountController
from portal.accounts.rules import DatabaseSessions, RedisSessions, configure_passwords
from portal.boards.routes import BoardRegistryController
from portal.care.routes import CARE_CONTROLLERS
from portal.councils.routes import CouncilController
from portal.pairings.routes import PairingController
from portal.bulletins.routes import BULLETIN_CONTROLLERS
from portal.followups.routes import FOLLOWUP_CONTROLLERS
from portal.home import health, home
from portal.imports.routes import ImportController
from portal.jobs.runner import JobScheduler
from portal.ledger.labels import ALL as LEDGER_LABELS
from portal.ledger.routes import LedgerCalendarController, LedgerController, LedgerDashboardController, PublicLedgerController
from portal.logs.review_routes import REVIEW_CONTROLLERS
from portal.notices.routes import NOTICE_CONTROLLERS
from portal.notifications.routes import InboxController
from portal.open311.routes import Open311Controller, Open311KeysController, api_errors_first
from portal.public.routes import IntakeController, PublicController
from portal.reception.rooms_routes import ROOM_CONTROLLERS
from portal.reception.figures_routes import FiguresController, PublicFiguresController
from portal.overview.routes import OverviewController
from portal.reception.desk_routes import DeskController
from portal.watchpoints.routes import CommunityBoardsController, DutyController, OfficerPhotoController, WatchPointController
from portal.shifts.routes import SHIFT_CONTROLLERS
from portal.stations.routes import OrgController
from portal.settings import HTMX_SRI, ROOT, Settings, load_settings
from portal.logs.routes import LogController
from portal.volunteers.routes import OfficerVolunteersController, VolunteerController
from portal.volunteers.rules import SKILL_LABELS, display_name
from portal.web import i18n
from portal.web.compression import LazyCompressionMiddleware
from portal.web.errors import http_error, not_authorized, server_error
from portal.web.csrf import CSRF_HEADER, csrf_middleware
from portal.web.middleware import SESSION_COOKIE, context_middleware, security_headers
from portal.web.drafts import form_drafts_middleware
from portal.web.multipart import upload_form_middleware
from portal.web.static import frozen_static_url, static_cache_headers, static_url
from portal.webapp.routes import WEBAPP_ROUTES


_DICT_ATTRIBUTES = frozenset(dir(dict))


class RowEnvironment(Environment):
    """Jinja whose ``row.name`` reads a plain dict's key directly. Jinja asks for the
    attribute first and takes the key after the AttributeError; most of what templates
    read are rows as dicts, and the raised errors were an eighth of a 50-row review
    queue's CPU. The answers are the same: a plain dict has no attribute but its
    methods, and those still come first."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def template_environment(settings: Settings) -> Environment:
    env = RowEnvironment(
        loader=FileSystemLoader(str(ROOT / "templates")),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined if not settings.production else Environment().undefined,
        auto_reload=not settings.production,
    )
    # Newstyle gettext formats the translation with the call's variables itself: the
    # callables only translate (a plural's extra variables would be lost otherwise).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.translate, ngettext=i18n.translate_plural, pgettext=i18n.translate_context, npgettext=i18n.translate_context_plural, newstyle=True
    )
    env.globals.update(
        settings=settings,
        htmx_url=static_url(settings.htmx_url.removeprefix("/static/")) if settings.htmx_self_hosted else settings.htmx_url,
        # Production: files change only with a deploy (a restart), each address is worked out once.
        static_url=frozen_static_url() if settings.production else static_url,
        htmx_sri=HTMX_SRI,
        csrf_header=CSRF_HEADER,
        languages=i18n.LANGUAGE_NAMES,
        current_language=i18n.current_language,
        localized=i18n.localized,
        skill_labels=SKILL_LABELS,
        ledger_labels=LEDGER_LABELS,
    )
    env.filters.update(
        # Dates and times by purpose (portal.web.i18n), in the community's zone when given.
        datetime=lambda value, tz=None, format="moment": i18n.format_datetime(value, tz or settings.timezone, format),
        moment=lambda value, tz=None: i18n.format_moment(value, tz or settings.timezone),
        time=lambda value, tz=None: i18n.format_time(value, tz or settings.timezone),
        day=lambda value, tz=None: i18n.format_day(value, tz or settings.timezone),
        span=lambda start, end, tz=None: i18n.format_span(start, end, tz or settings.timezone),
        deadline=lambda value, tz=None: i18n.format_deadline(value, tz or settings.timezone),
        month=i18n.format_month,
        date=i18n.format_date,
        number=i18n.format_number,
        person=display_name,
    )
    return env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    db.configure(settings)
    configure_passwords(settings)
    lifetime = dt.timedelta(hours=settings.session_hours)
    sessions = RedisSessions(settings.redis_url, lifetime) if settings.redis_url else DatabaseSessions(lifetime)

    @contextlib.asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        async with db.lifespan_pool(settings):
            yield
        if isinstance(sessions, RedisSessions):
            await sessions.close()

    @contextlib.asynccontextmanager
    async def scheduled_jobs(app: Litestar) -> AsyncIterator[None]:
        # PORTAL_SCHEDULER=process leaves the jobs to `portal scheduler`; tests start none.
        scheduler = JobScheduler(settings) if settings.scheduler == "app" else None
        if scheduler:
            scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler:
                await scheduler.stop()

    return Litestar(
        route_handlers=[
            home,
            health,
            AccountController,
            AdminUsersController,
            OrgController,
            ImportController,
            *SHIFT_CONTROLLERS,
            *NOTICE_CONTROLLERS,
            *BULLETIN_CONTROLLERS,
            VolunteerController,
            OfficerVolunteersController,
            InboxController,
            WatchPointController,
            LogController,
            *FOLLOWUP_CONTROLLERS,
            CommunityBoardsController,
            BoardRegistryController,
            *CARE_CONTROLLERS,
            DutyController,
            OfficerPhotoController,
            PublicController,
            IntakeController,
            Open311Controller,
            Open311KeysController,
            LedgerController,
            LedgerDashboardController,
            LedgerCalendarController,
            PublicLedgerController,
            *ROOM_CONTROLLERS,
            FiguresController,
            OverviewController,
            PublicFiguresController,
            DeskController,
            CouncilController,
            PairingController,
            *REVIEW_CONTROLLERS,
            *WEBAPP_ROUTES,
            create_static_files_router(path="/static", directories=[ROOT / "static"], name="static", cache_control=None),
        ],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(template_environment(settings))),
        # CSRF tokens bound to the session (portal.web.csrf), not Litestar's double-submit cookie.
        # Forms with photos are read with a limit per file (portal.web.multipart) before
        # the CSRF check reads their token; a form refused by that check for a session that
        # ended is kept for after the login (portal.web.drafts).
        middleware=[context_middleware(settings, sessions), upload_form_middleware, form_drafts_middleware(settings), csrf_middleware(settings, SESSION_COOKIE)],
        before_send=[security_headers(settings), static_cache_headers],
        exception_handlers={
            NotAuthorizedException: not_authorized,
            HTTPException: api_errors_first(http_error),
            Exception: server_error,
        },
        compression_config=CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6, middleware_class=LazyCompressionMiddleware),
        request_max_body_size=settings.max_body_bytes,
        lifespan=[database, scheduled_jobs],
        state=State({"settings": settings, "sessions": sessions}),
        debug=False,
        # /schema/openapi.json describes the Open311 API only: the other routes are pages.
        openapi_config=OpenAPIConfig(title="Shouwang Open311 GeoReport v2", version="2.0", path="/schema", render_plugins=[JsonRenderPlugin()]),
        include_in_schema=False,
    )


def app_from_environment() -> Litestar:
    """Factory for the ASGI server (``uvicorn --factory portal.app:app_from_environment``)."""
    return create_app(load_settings())
