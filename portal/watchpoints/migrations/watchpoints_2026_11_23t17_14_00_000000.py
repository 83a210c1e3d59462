"""Front photos of watch points move from the ``watch_point_photo`` table into the shared
upload storage (``portal.uploads``), then the table is dropped: one image pipeline.

Safe on both engines: the photos are read a few at a time; each is written to storage
first (a new random key) and only then its point is updated, all in the migration's
transaction, so a failure leaves the table and the points as they were (at worst a few
unreferenced files). A photo that cannot be read is left out and its point shows none.
Points that already have a key are skipped, so running the copy again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from portal.db import engine

ID = "2026-11-23T17:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "watch point photos into upload storage"
BATCH = 20


def migration_storage():
    """The storage the app will read: ``PORTAL_UPLOAD_DIR``, else beside the SQLite file
    being migrated (the app's default), else ``var/uploads``."""
    from portal.settings import load_settings
    from portal.uploads import DiskStorage, storage_for

    settings = load_settings()
    db = engine()
    if not settings.upload_dir and isinstance(db, SQLiteEngine):
        return DiskStorage(Path(db.path).parent / "uploads")
    return storage_for(settings)


async def copy_photos(storage, table: str = "watch_point_photo") -> int:
    """Copy every photo of ``table`` into ``storage`` and point its watch point at it."""
    from portal.uploads import UploadError, new_key, process_image

    class Source(Table, tablename=table, db=engine()):
        pass

    class Point(Table, tablename="watch_point", db=engine()):
        pass

    copied, last = 0, 0
    while True:
        rows = await Source.raw(f"SELECT id, point, content FROM {table} WHERE id > {{}} ORDER BY id LIMIT {BATCH}", last).run()
        if not rows:
            # A point flagged as having a photo that the table did not hold shows none.
            await Point.raw("UPDATE watch_point SET has_photo = {} WHERE photo_key = ''", False).run()
            return copied
        for row in rows:
            last = row["id"]
            taken = await Point.raw("SELECT photo_key FROM watch_point WHERE id = {}", row["point"]).run()
            if not taken or taken[0]["photo_key"]:
                continue
            try:
                # The stored bytes are already a clean JPEG; the pipeline adds the thumbnail.
                image = process_image(bytes(row["content"]), max_bytes=len(row["content"]) + 1)
            except UploadError:
                await Point.raw("UPDATE watch_point SET has_photo = {} WHERE id = {}", False, row["point"]).run()
                continue
            full_key, thumb_key = new_key("watchpoints"), new_key("watchpoints")
            await storage.put(full_key, image.content)
            await storage.put(thumb_key, image.thumb)
            await Point.raw(
                "UPDATE watch_point SET photo_key = {}, photo_thumb_key = {}, has_photo = {} WHERE id = {}", full_key, thumb_key, True, row["point"]
            ).run()
            copied += 1


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="watchpoints", description=DESCRIPTION)

    async def copy():
        await copy_photos(migration_storage())

    manager.add_raw(copy)
    manager.drop_table(class_name="WatchPointPhoto", tablename="watch_point_photo")
    return manager
