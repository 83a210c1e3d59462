from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.audit.tables import AuditEntry

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[AuditEntry],
    migration_dependencies=["portal.accounts.piccolo_app"],
)
