from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.stations.tables import City, Community, District, Station

APP_CONFIG = AppConfig(
    app_name="stations",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[City, District, Station, Community],
    migration_dependencies=[],
)
