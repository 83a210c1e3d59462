"""Piccolo app of the shifts feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.shifts.tables import CalendarToken, RosterTemplate, Shift, ShiftKind, ShiftStanding, Signup

APP_CONFIG = AppConfig(
    app_name="shifts",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ShiftKind, RosterTemplate, Shift, Signup, ShiftStanding, CalendarToken],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.watchpoints.piccolo_app"],
)
