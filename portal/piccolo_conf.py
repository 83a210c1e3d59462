"""Piccolo's configuration module (``PICCOLO_CONF=portal.piccolo_conf``).

``DB`` starts from the environment's settings; ``portal.db.use_engine`` replaces it
when the app or a test chooses another database.
"""

from piccolo.conf.apps import AppRegistry

from portal.db import engine_from_url
from portal.settings import load_settings

_settings = load_settings()
DB = engine_from_url(_settings.database_url, _settings)

APP_REGISTRY = AppRegistry(
    apps=[
        "portal.stations.piccolo_app",
        "portal.accounts.piccolo_app",
        "portal.audit.piccolo_app",
        "portal.watchpoints.piccolo_app",
        "portal.public.piccolo_app",
        "portal.volunteers.piccolo_app",
        "portal.notifications.piccolo_app",
        "portal.jobs.piccolo_app",
        "portal.shifts.piccolo_app",
        "portal.logs.piccolo_app",
        "portal.ledger.piccolo_app",
        "portal.bulletins.piccolo_app",
        "portal.open311.piccolo_app",
        "portal.imports.piccolo_app",
        "portal.boards.piccolo_app",
        "portal.reception.piccolo_app",
        "portal.care.piccolo_app",
        "portal.followups.piccolo_app",
        "portal.councils.piccolo_app",
        "portal.pairings.piccolo_app",
        "portal.notices.piccolo_app",
        "portal.overview.piccolo_app",
    ]
)
