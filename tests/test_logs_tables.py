"""The field log tables: migrated on both engines with the indexes the review queue and
bulletins rely on; the idempotency key and one photo per ordinal enforced by the database."""

import datetime as dt

import pytest

from portal import db
from portal.logs.tables import FieldLog, LogPhoto

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)


async def _index_names(engine_name) -> set[str]:
    if engine_name == "sqlite":
        rows = await db.engine().run_ddl("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {r["name"] for r in rows}
    rows = await db.engine().run_ddl("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    return {r["indexname"] for r in rows}


async def test_review_queue_and_bulletin_indexes_exist(database, engine_name):
    names = await _index_names(engine_name)
    assert {
        "field_log_community_created",
        "field_log_community_status_created",
        "field_log_community_kind_created",
        "field_log_community_severity_created",
        "field_log_author_created",
        "field_log_point_created",
        "log_photo_log_ordinal",
        "log_note_log_id",
    } <= names


def _log(community_id, key, **kw):
    return FieldLog(kind="hazard", community=community_id, occurred_at=NOW, created_at=NOW, updated_at=NOW, idempotency_key=key, **kw)


async def test_idempotency_key_is_unique_and_duplicate_of_points_at_a_log(area):
    first = (await FieldLog.insert(_log(area.community_id, "k1")).returning(FieldLog.id).run())[0]["id"]
    with pytest.raises(Exception):
        await FieldLog.insert(_log(area.community_id, "k1")).run()
    await FieldLog.insert(_log(area.community_id, "k2", duplicate_of=first, status="duplicate")).run()
    row = await FieldLog.select(FieldLog.duplicate_of.kind).where(FieldLog.idempotency_key == "k2").first().run()
    assert row["duplicate_of.kind"] == "hazard"
    await LogPhoto.insert(LogPhoto(log=first, storage_key="a", thumb_key="b", width=1, height=1, ordinal=0, created_at=NOW)).run()
    with pytest.raises(Exception):
        await LogPhoto.insert(LogPhoto(log=first, storage_key="c", thumb_key="d", width=1, height=1, ordinal=0, created_at=NOW)).run()
