from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.volunteers.tables import VolunteerProfile, VolunteerSkill

APP_CONFIG = AppConfig(
    app_name="volunteers",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[VolunteerProfile, VolunteerSkill],
    migration_dependencies=["portal.accounts.piccolo_app"],
)
