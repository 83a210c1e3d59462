"""Piccolo app of 联访解 (pairings of officers with units and people)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.pairings.tables import Pairing, PairingContact, PairingOpinion

APP_CONFIG = AppConfig(
    app_name="pairings",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Pairing, PairingContact, PairingOpinion],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.ledger.piccolo_app"],
)
