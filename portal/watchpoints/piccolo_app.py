"""Piccolo app of the watch points feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.watchpoints.tables import DutySlot, OfficerPhoto, WatchPoint, WatchPointVisit

APP_CONFIG = AppConfig(
    app_name="watchpoints",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[WatchPoint, WatchPointVisit, DutySlot, OfficerPhoto],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app"],
)
