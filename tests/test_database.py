"""Migrations on an empty database, the pooled SQLite engine, write transactions, health."""

import asyncio

import pytest

from portal import db
from portal.accounts.tables import User
from portal.audit.tables import AuditEntry
from portal.settings import load_settings


async def test_migrations_create_every_table_and_rerun_as_a_no_op(database):
    for table in db.all_tables():
        assert await table.count().run() == 0
    await db.migrate()  # already applied: nothing to do, no error
    assert await User.count().run() == 0


async def test_sqlite_reuses_a_few_connections_in_wal_mode(database, engine_name):
    if engine_name != "sqlite":
        pytest.skip("SQLite engine behaviour")
    engine = db.engine()
    await asyncio.gather(*(User.count().run() for _ in range(200)))
    opened = engine._pool().connections
    assert 1 <= len(opened) <= engine.pool_size
    rows = await engine.run_ddl("PRAGMA journal_mode")
    assert rows[0]["journal_mode"] == "wal"
    rows = await engine.run_ddl("PRAGMA foreign_keys")
    assert rows[0]["foreign_keys"] == 1


async def test_sqlite_write_transactions_serialise_read_modify_write(database, engine_name):
    """BEGIN IMMEDIATE: 30 concurrent read-then-write transactions lose no increment."""
    if engine_name != "sqlite":
        pytest.skip("SQLite takes the write lock at BEGIN; PostgreSQL rules lock rows instead")
    await AuditEntry.insert(AuditEntry(action="counter", object_type="test", object_id="0")).run()

    async def increment():
        async with db.write_transaction():
            row = await AuditEntry.select(AuditEntry.id, AuditEntry.object_id).where(AuditEntry.action == "counter").first().run()
            await asyncio.sleep(0)
            await AuditEntry.update({AuditEntry.object_id: str(int(row["object_id"]) + 1)}).where(AuditEntry.id == row["id"]).run()

    await asyncio.gather(*(increment() for _ in range(30)))
    row = await AuditEntry.select(AuditEntry.object_id).where(AuditEntry.action == "counter").first().run()
    assert row["object_id"] == "30"


async def test_many_concurrent_writers_all_commit(database):
    """64 concurrent write transactions: no 'database is locked', every row stored."""

    async def write(n: int):
        async with db.write_transaction():
            await AuditEntry.insert(AuditEntry(action="write", object_type="test", object_id=str(n))).run()
            await AuditEntry.insert(AuditEntry(action="write.second", object_type="test", object_id=str(n))).run()

    await asyncio.gather(*(write(n) for n in range(64)))
    assert await AuditEntry.count().where(AuditEntry.action == "write").run() == 64
    assert await AuditEntry.count().where(AuditEntry.action == "write.second").run() == 64


async def test_a_failed_transaction_leaves_nothing_behind(database):
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await AuditEntry.insert(AuditEntry(action="half", object_type="test")).run()
            raise RuntimeError("interrupted")
    assert await AuditEntry.count().where(AuditEntry.action == "half").run() == 0


async def test_health_reports_the_database(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_reports_an_unreachable_database(tmp_path):
    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    path = tmp_path / "portal.sqlite3"
    app = create_app(load_settings({}, database_url=f"sqlite:///{path}"))
    path.mkdir()  # a directory where the database file should be: SQLite cannot open it
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "unavailable"}


async def test_migrations_create_the_composite_indexes_queries_rely_on(database, engine_name):
    if engine_name == "sqlite":
        rows = await db.engine().run_ddl("SELECT name FROM sqlite_master WHERE type = 'index'")
        names = {r["name"] for r in rows}
    else:
        rows = await db.engine().run_ddl("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        names = {r["indexname"] for r in rows}
    assert {"login_failure_username_at", "login_failure_ip_at", "role_grant_user_role", "audit_entry_object", "audit_entry_action_at"} <= names
    # The review queue's keyset order, carrying what the weekly bulletin sums, replaced the bare order.
    assert "field_log_community_status_occurred_counted" in names and "field_log_community_status_occurred" not in names


async def test_hand_written_statements_read_and_write_like_piccolo(database):
    """``db.insert_row`` and ``db.fetch`` (the hot path's statements) store and read the
    same values as Piccolo: the table's defaults, JSON, times, the transaction's
    connection, and a duplicate key inserting nothing."""
    user = (await User.insert(User(username="fast", password_hash="x", real_name="Fast")).returning(User.id).run())[0]["id"]
    inserted = await db.insert_row(AuditEntry, {"actor": user, "action": "fast.path", "object_type": "test", "after": {"名字": "值", "n": [1, 2]}})
    row = await AuditEntry.select().where(AuditEntry.id == inserted[0]["id"]).first().run()
    assert row["actor"] == user and row["actor_label"] == "" and row["ip"] == "" and row["before"] is None
    assert row["at"].tzinfo is not None and abs((row["at"] - (await db.fetch("SELECT at FROM audit_entry WHERE id = {}", row["id"]))[0]["at"]).total_seconds()) < 1
    assert __import__("json").loads(row["after"]) == {"名字": "值", "n": [1, 2]}
    found = await db.fetch("SELECT action, object_type FROM audit_entry WHERE actor = {} AND action = {}", user, "fast.path")
    assert found == [{"action": "fast.path", "object_type": "test"}]

    with pytest.raises(KeyError):
        await db.insert_row(AuditEntry, {"action": "x", "object_type": "test", "no_such_column": 1})

    first = await db.insert_row(User, {"username": "twice", "password_hash": "x"}, on_conflict_do_nothing="username")
    again = await db.insert_row(User, {"username": "twice", "password_hash": "y"}, on_conflict_do_nothing="username")
    assert len(first) == 1 and again == []
    assert await User.count().where(User.username == "twice").run() == 1

    # Inside a transaction the statements use its connection: a rollback takes them back.
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await db.insert_row(AuditEntry, {"action": "rolled.back", "object_type": "test"}, returning=None)
            assert len(await db.fetch("SELECT id FROM audit_entry WHERE action = {}", "rolled.back")) == 1
            raise RuntimeError("undo")
    assert await db.fetch("SELECT id FROM audit_entry WHERE action = {}", "rolled.back") == []


async def test_sqlite_has_planner_statistics_after_migrations_ran(database, engine_name):
    """Migrations that changed the schema are followed by ANALYZE on SQLite, so the
    planner weighs a new index against the others with figures, not guesses."""
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum analyses by itself")
    rows = await db.engine().run_ddl("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
    assert rows == [{"name": "sqlite_stat1"}]


async def test_short_reads_on_sqlite_run_on_the_loop_and_cannot_write(database, engine_name):
    """``fetch(..., short_read=True)`` and compiled statements read on the event loop's own
    connection on SQLite: they see what was committed (inside a transaction, the
    transaction's own connection reads) and that connection cannot write."""
    if engine_name != "sqlite":
        pytest.skip("SQLite's loop-thread reads")
    import sqlite3

    await User.insert(User(username="reader", password_hash="x", real_name="Reader")).run()
    assert await db.fetch("SELECT username FROM portal_user WHERE username = {}", "reader", short_read=True) == [{"username": "reader"}]
    async with db.write_transaction():
        await User.update({User.real_name: "Changed"}).where(User.username == "reader").run()
        assert (await db.fetch("SELECT real_name FROM portal_user WHERE username = {}", "reader", short_read=True))[0]["real_name"] == "Changed"
        assert db.engine().read_here("SELECT real_name FROM portal_user WHERE username = 'reader'", []) == [{"real_name": "Reader"}]
    assert (await db.fetch("SELECT real_name FROM portal_user WHERE username = {}", "reader", short_read=True))[0]["real_name"] == "Changed"

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.engine().read_here("UPDATE portal_user SET real_name = 'x'", [])
    assert (await User.select(User.real_name).where(User.username == "reader").first().run())["real_name"] == "Changed"


async def test_short_write_transactions_on_sqlite_run_on_the_loop(database, engine_name, monkeypatch):
    """``write_transaction(short=True)`` on SQLite writes on the loop's own connection: one
    at a time (no increment lost), all or nothing, and every so many commits a pooled
    connection checkpoints the WAL that connection does not checkpoint itself."""
    if engine_name != "sqlite":
        pytest.skip("SQLite's loop-thread writes")
    engine = db.engine()
    here = engine.write_here().connection
    await AuditEntry.insert(AuditEntry(action="counter", object_type="test", object_id="0")).run()
    changes = here.total_changes

    async def increment():
        async with db.write_transaction(short=True):
            row = await AuditEntry.select(AuditEntry.id, AuditEntry.object_id).where(AuditEntry.action == "counter").first().run()
            await asyncio.sleep(0)
            await AuditEntry.update({AuditEntry.object_id: str(int(row["object_id"]) + 1)}).where(AuditEntry.id == row["id"]).run()

    await asyncio.gather(*(increment() for _ in range(30)))
    assert (await AuditEntry.select(AuditEntry.object_id).where(AuditEntry.action == "counter").first().run())["object_id"] == "30"
    assert here.total_changes == changes + 30  # every update went through the loop's connection

    with pytest.raises(RuntimeError):
        async with db.write_transaction(short=True):
            await AuditEntry.insert(AuditEntry(action="half", object_type="test")).run()
            raise RuntimeError("interrupted")
    assert await AuditEntry.count().where(AuditEntry.action == "half").run() == 0
    assert not here.in_transaction

    checkpoints = []
    pooled = engine._run_in_new_connection

    async def recording(query, args=None, *more, **named):
        checkpoints.append(query)
        return await pooled(query, args, *more, **named)

    monkeypatch.setattr(db, "HERE_CHECKPOINT_EVERY", 2)
    monkeypatch.setattr(engine, "_run_in_new_connection", recording)
    engine._pool().written_here = 0
    for n in range(4):
        async with db.write_transaction(short=True):
            await AuditEntry.insert(AuditEntry(action="each", object_type="test", object_id=str(n))).run()
    await asyncio.gather(*engine._pool().checkpoints)
    assert checkpoints.count("PRAGMA wal_checkpoint(PASSIVE)") == 2
    assert await AuditEntry.count().where(AuditEntry.action == "each").run() == 4


async def test_a_short_write_waits_on_a_pooled_connection_while_another_process_writes(database, engine_name):
    """Another connection (another worker) holds SQLite's write lock: the short transaction
    does not fail nor block the loop; it takes a pooled connection, which waits its turn."""
    if engine_name != "sqlite":
        pytest.skip("SQLite's loop-thread writes")
    import sqlite3

    engine = db.engine()
    here = engine.write_here().connection
    changes = here.total_changes
    other = sqlite3.connect(engine.connection_kwargs["database"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO audit_entry (at, action, object_type, object_id, actor_label, ip) VALUES ('2026-01-01', 'other', 'test', '1', '', '')")

    async def write():
        async with db.write_transaction(short=True):
            await AuditEntry.insert(AuditEntry(action="mine", object_type="test", object_id="1")).run()

    task = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not task.done()  # waiting, and the loop ran this test meanwhile
    other.execute("COMMIT")
    other.close()
    await task
    assert await AuditEntry.count().where(AuditEntry.action.is_in(["other", "mine"])).run() == 2
    assert here.total_changes == changes


async def test_a_statement_that_may_read_much_runs_off_the_loop(database, engine_name, monkeypatch):
    """``Statement(..., short=False)``: read on a pooled connection, not the loop's."""
    if engine_name != "sqlite":
        pytest.skip("SQLite's loop-thread reads")
    await User.insert(User(username="long", password_hash="x", real_name="Long")).run()
    engine = db.engine()
    here = []
    reading = engine.read_here

    def recording(query, args):
        here.append(query)
        return reading(query, args)

    monkeypatch.setattr(engine, "read_here", recording)
    short = db.Statement(lambda p: User.select(User.real_name).where(User.username == p.name).first())
    long = db.Statement(lambda p: User.select(User.real_name).where(User.username == p.name).first(), short=False)
    assert await long.run(name="long") == {"real_name": "Long"} and here == []
    assert await short.run(name="long") == {"real_name": "Long"} and len(here) == 1


async def test_sqlite_reads_integers_and_instants_as_piccolo_does(database, engine_name):
    """The faster converters give Piccolo's values: an INTEGER column holding 2.5 gives 2,
    a large one exact, an instant an aware UTC datetime (the same object when read again)."""
    if engine_name != "sqlite":
        pytest.skip("SQLite's converters")
    import datetime as dt

    await db.engine().run_ddl("CREATE TABLE converted (n INTEGER, m INTEGER, at TIMESTAMPTZ)")
    await db.engine().run_ddl("INSERT INTO converted VALUES (2.5, 9223372036854775807, '2026-12-07 10:00:00+00:00')")
    rows = await db.fetch("SELECT n, m, at FROM converted")
    again = await db.fetch("SELECT at FROM converted", short_read=True)
    assert rows == [{"n": 2, "m": 9223372036854775807, "at": dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.timezone.utc)}]
    assert type(rows[0]["n"]) is int and again[0]["at"] == rows[0]["at"]
    await db.engine().run_ddl("DROP TABLE converted")
