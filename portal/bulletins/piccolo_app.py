"""Piccolo app of the bulletins feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.bulletins.tables import Bulletin, Delivery, Subscriber, Tip

APP_CONFIG = AppConfig(
    app_name="bulletins",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Bulletin, Tip, Subscriber, Delivery],
    migration_dependencies=[
        "portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.audit.piccolo_app", "portal.logs.piccolo_app", "portal.ledger.piccolo_app", "portal.shifts.piccolo_app",
    ],
)
