"""Piccolo app of the follow-ups feature."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.followups.tables import FollowUpReminder, MediationFollowUp, NoticeCounter, NoticeWording, RectificationNotice, RectificationReport

APP_CONFIG = AppConfig(
    app_name="followups",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[MediationFollowUp, NoticeWording, NoticeCounter, RectificationNotice, RectificationReport, FollowUpReminder],
    migration_dependencies=["portal.stations.piccolo_app", "portal.accounts.piccolo_app", "portal.logs.piccolo_app"],
)
