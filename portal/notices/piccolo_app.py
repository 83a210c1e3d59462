"""Piccolo app of the urgent notices feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.notices.tables import Notice

APP_CONFIG = AppConfig(
    app_name="notices",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Notice],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app"],
)
