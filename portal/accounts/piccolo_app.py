from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.accounts.tables import FormDraft, LoginFailure, RoleGrant, User, UserSession

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[User, RoleGrant, UserSession, LoginFailure, FormDraft],
    migration_dependencies=["portal.stations.piccolo_app"],
)
