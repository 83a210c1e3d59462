"""Piccolo app of the Open311 interface (API keys, filed requests, feedback updates)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.open311.tables import ApiKey, FeedbackUpdate, FiledRequest

APP_CONFIG = AppConfig(
    app_name="open311",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ApiKey, FiledRequest, FeedbackUpdate],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.ledger.piccolo_app"],
)
