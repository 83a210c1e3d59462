"""Piccolo app of the contact boards registry."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.boards.tables import Board

APP_CONFIG = AppConfig(
    app_name="boards",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Board],
    migration_dependencies=["portal.stations.piccolo_app"],
)
