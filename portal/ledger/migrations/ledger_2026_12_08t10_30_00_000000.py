"""The ledger's search index, kept in step with the items by the database itself.

SQLite: an FTS5 table ``ledger_item_fts`` (trigram tokenizer: substrings of three or more
characters, so Chinese words without spaces are found too) whose rowid is the item's id,
written by triggers on insert, update and delete of ``ledger_item``.
PostgreSQL: a stored generated column ``search_text`` (lower-cased number, tracking code,
name, phone, summary and details) with a pg_trgm GIN index that answers ``LIKE '%…%'``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from portal.db import engine

ID = "2026-12-08T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger search index (SQLite FTS5 trigram, PostgreSQL pg_trgm)"

_BODY = "{p}number || ' ' || {p}tracking_code || ' ' || {p}raised_by_name || ' ' || {p}raised_by_phone || ' ' || {p}summary || ' ' || {p}details"

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS ledger_item_fts USING fts5(body, tokenize = 'trigram')",
    "CREATE TRIGGER IF NOT EXISTS ledger_item_fts_insert AFTER INSERT ON ledger_item BEGIN "
    f"INSERT INTO ledger_item_fts (rowid, body) VALUES (new.id, {_BODY.format(p='new.')}); END",
    "CREATE TRIGGER IF NOT EXISTS ledger_item_fts_update AFTER UPDATE OF number, tracking_code, raised_by_name, raised_by_phone, summary, details ON ledger_item BEGIN "
    f"UPDATE ledger_item_fts SET body = {_BODY.format(p='new.')} WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS ledger_item_fts_delete AFTER DELETE ON ledger_item BEGIN "
    "DELETE FROM ledger_item_fts WHERE rowid = old.id; END",
    "DELETE FROM ledger_item_fts",
    f"INSERT INTO ledger_item_fts (rowid, body) SELECT id, {_BODY.format(p='')} FROM ledger_item",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE ledger_item ADD COLUMN IF NOT EXISTS search_text TEXT GENERATED ALWAYS AS (lower("
    "coalesce(number, '') || ' ' || coalesce(tracking_code, '') || ' ' || coalesce(raised_by_name, '') || ' ' || "
    "coalesce(raised_by_phone, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(details, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS ledger_item_search_trgm ON ledger_item USING gin (search_text gin_trgm_ops)",
    # The list sorted by deadline follows (stage_due_at, id).
    "CREATE INDEX IF NOT EXISTS ledger_item_community_due ON ledger_item (community, stage_due_at, id)",
]

SQLITE_ONLY_INDEX = ["CREATE INDEX IF NOT EXISTS ledger_item_community_due ON ledger_item (community, stage_due_at, id)"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        db = engine()
        for statement in POSTGRES if isinstance(db, PostgresEngine) else SQLITE + SQLITE_ONLY_INDEX:
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
