"""Piccolo app of the three ledgers."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.ledger.tables import Holiday, LedgerCounter, LedgerDeadlineRule, LedgerEscalation, LedgerEvent, LedgerItem, LedgerAnswerTemplate, LedgerCallback, LedgerItemLog, LedgerReferral, LedgerMail, LedgerSavedView, LedgerStation

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[LedgerItem, LedgerEvent, LedgerItemLog, LedgerDeadlineRule, Holiday, LedgerCounter, LedgerEscalation, LedgerStation, LedgerMail, LedgerCallback, LedgerReferral, LedgerAnswerTemplate, LedgerSavedView],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.watchpoints.piccolo_app", "portal.public.piccolo_app", "portal.logs.piccolo_app"],
)
