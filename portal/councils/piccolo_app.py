"""Piccolo app of 进建商 (councils: sessions with the public's representatives)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.councils.tables import CouncilAttendance, CouncilReminder, CouncilRepresentative, CouncilResolution, CouncilSession

APP_CONFIG = AppConfig(
    app_name="councils",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[CouncilRepresentative, CouncilSession, CouncilAttendance, CouncilResolution, CouncilReminder],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.ledger.piccolo_app"],
)
