"""Piccolo app of the home visits to people who need care."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.care.tables import CareAssignment, CarePerson, CareReminder, CareVisit

APP_CONFIG = AppConfig(
    app_name="care",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[CarePerson, CareAssignment, CareVisit, CareReminder],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.ledger.piccolo_app"],
)
