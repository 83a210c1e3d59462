"""Piccolo app of the scheduled jobs."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.jobs.tables import JobRun

APP_CONFIG = AppConfig(
    app_name="jobs",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[JobRun],
    migration_dependencies=[],
)
