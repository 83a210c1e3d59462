"""Piccolo app of the public front door (intake, answers, rate limits)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.public.tables import Intake, IntakeAnswer, RateHit

APP_CONFIG = AppConfig(
    app_name="public",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Intake, IntakeAnswer, RateHit],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.watchpoints.piccolo_app"],
)
