"""Piccolo app of the reception rooms feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.reception.tables import DailyCount, Phrase, Room, Visit

APP_CONFIG = AppConfig(
    app_name="reception",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Room, Visit, Phrase, DailyCount],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.ledger.piccolo_app", "portal.logs.piccolo_app", "portal.shifts.piccolo_app"],
)
