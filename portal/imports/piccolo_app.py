"""Piccolo app of the imports feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.imports.tables import ImportBatch

APP_CONFIG = AppConfig(
    app_name="imports",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ImportBatch],
    migration_dependencies=[
        "portal.accounts.piccolo_app",
        "portal.watchpoints.piccolo_app",
        "portal.logs.piccolo_app",
    ],
)
