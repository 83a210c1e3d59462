"""Piccolo app of the field logs feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.logs.tables import FieldLog, Landmark, LogNote, LogPhoto, MediationParty

APP_CONFIG = AppConfig(
    app_name="logs",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Landmark, FieldLog, LogPhoto, MediationParty, LogNote],
    migration_dependencies=[
        "portal.stations.piccolo_app",
        "portal.accounts.piccolo_app",
        "portal.watchpoints.piccolo_app",
        "portal.shifts.piccolo_app",
    ],
)
