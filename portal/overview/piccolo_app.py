"""Piccolo app of the heads' overview (its kept counts)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.overview.tables import OverviewSnapshot

APP_CONFIG = AppConfig(
    app_name="overview",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[OverviewSnapshot],
    migration_dependencies=[],
)
