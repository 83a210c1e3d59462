"""Database engines: SQLite (embedded default) or PostgreSQL, chosen by URL.

Piccolo's SQLiteEngine opens a new connection for every query; ``PooledSQLiteEngine``
reuses a few connections instead (WAL, busy timeout, foreign keys set once per
connection), and writes go through ``write_transaction()``, which on SQLite takes the
write lock up front (BEGIN IMMEDIATE) so two writers queue instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import weakref
from dataclasses import dataclass, field
from typing import AsyncIterator
from urllib.parse import urlsplit, unquote

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, convert_int_out, convert_timestamptz_out, dict_factory

from portal.settings import Settings


# Piccolo reads every SQLite INTEGER through Decimal (so that 2.5 reads 2) and parses every
# TIMESTAMPTZ anew: on "Shifts I can take" that was half of its statements' CPU. The same
# values, sooner: int() first; an instant parsed once (a page shows the same few shifts'
# times to every volunteer; datetimes cannot be changed, so one object serves all; the
# cache holds a few MB at most).
def _integer_out(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        return convert_int_out(value)


_timestamptz_out = functools.lru_cache(maxsize=16384)(convert_timestamptz_out)
sqlite3.register_converter("INTEGER", _integer_out)
sqlite3.register_converter("TIMESTAMPTZ", _timestamptz_out)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
)


@dataclass
class _Pool:
    idle: asyncio.Queue = field(default_factory=asyncio.Queue)
    connections: list = field(default_factory=list)
    size: int = 0
    # Write transactions of this process queue here, not inside SQLite: a connection that
    # waits for SQLite's write lock sleeps in its busy handler (1, 2, 5 … 100 ms) and is
    # kept from the reads meanwhile.
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Short write transactions committed on the loop's own connection since its last
    # checkpoint (see PooledSQLiteEngine.write_here).
    written_here: int = 0
    checkpoints: set = field(default_factory=set)


class _PooledTransaction(SQLiteTransaction):
    async def get_connection(self):
        return await self.engine.acquire()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            await self._release()
            self.engine.current_transaction.reset(self.context)
        return exception is None

    async def _release(self) -> None:
        await self.engine.release(self.connection)


# Commits of the loop's own write connection between two checkpoints of the WAL: about the
# 1,000 pages SQLite's own automatic checkpoint waits for, at a few pages a commit.
HERE_CHECKPOINT_EVERY = 250


class _HereConnection:
    """The face of an aiosqlite connection that Piccolo's transaction and ``_run_prepared``
    use, over a sqlite3 connection called on the loop's thread."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    async def execute(self, sql: str, parameters=()):
        return self.connection.execute(sql, parameters or ())

    async def execute_fetchall(self, sql: str, parameters=()):
        return self.connection.execute(sql, parameters or ()).fetchall()

    async def executemany(self, sql: str, rows):
        return self.connection.executemany(sql, rows)

    async def rollback(self) -> None:
        self.connection.rollback()


class _HereTransaction(_PooledTransaction):
    """A write transaction on the loop's own connection (``PooledSQLiteEngine.write_here``)."""

    async def get_connection(self):
        return self.engine.write_here()

    async def begin(self):
        await self.connection.execute("BEGIN IMMEDIATE")
        # Holding the write lock now; nothing later should find the file busy, but if it
        # ever does, wait as a pooled connection would rather than fail.
        await self.connection.execute("PRAGMA busy_timeout = 10000")

    async def commit(self):
        await super().commit()
        self.engine.committed_here()

    async def _release(self) -> None:
        if self.connection.in_transaction:  # a COMMIT that failed: as the pool's release does
            await self.connection.rollback()
        await self.connection.execute("PRAGMA busy_timeout = 0")


class PooledSQLiteEngine(SQLiteEngine):
    """SQLite with a small pool of reused connections per event loop."""

    def __init__(self, path: str, pool_size: int = 4, **kwargs):
        super().__init__(path=path, timeout=10.0, **kwargs)
        self.pool_size = pool_size
        self._pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._readers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def read_here(self, query: str, args) -> list[dict]:
        """A short read on the event loop's own thread, on a read-only connection of its own.

        Each trip to an aiosqlite connection's thread and back wakes the loop; on a page of
        ten small statements the trips cost more CPU than the statements. In WAL mode a
        read neither waits for a writer nor holds one up, so a read by key or a page of an
        index blocks the loop for less than the trip would take. A busy file (a crash's
        recovery, a checkpoint) raises at once instead of waiting: the caller takes the
        thread then."""
        loop = asyncio.get_running_loop()
        reader = self._readers.get(loop)
        if reader is None:
            reader = self._readers[loop] = self._loop_connection("PRAGMA query_only = ON")
        return reader.execute(query, args).fetchall()

    def write_here(self) -> "_HereConnection":
        """The loop's own connection for short write transactions (``write_transaction(short=True)``).

        Like ``read_here``: a BEGIN IMMEDIATE, two inserts and a COMMIT are four trips to a
        connection's thread and back, which cost more CPU than the statements. Only one
        write transaction of this process runs at a time (``_Pool.writing``), so the
        connection is never shared; another process's write makes BEGIN fail at once
        (busy timeout 0) and the caller takes a pooled connection instead. It does not
        checkpoint on commit (that copies the WAL into the file on the loop's thread): a
        pooled connection checkpoints every ``HERE_CHECKPOINT_EVERY`` commits."""
        loop = asyncio.get_running_loop()
        writer = self._writers.get(loop)
        if writer is None:
            writer = self._writers[loop] = _HereConnection(self._loop_connection("PRAGMA wal_autocheckpoint = 0"))
        return writer

    def _loop_connection(self, *pragmas: str) -> sqlite3.Connection:
        """A connection called on the loop's thread: the pool's settings, but a busy file
        raises at once instead of blocking the loop."""
        connection = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
        connection.row_factory = dict_factory
        for pragma in (*SQLITE_PRAGMAS, "PRAGMA busy_timeout = 0", *pragmas):
            connection.execute(pragma)
        return connection

    def committed_here(self) -> None:
        """Counts a commit of ``write_here``'s connection; every so many, a pooled
        connection checkpoints the WAL (PASSIVE: it never waits for a reader or writer)."""
        pool = self._pool()
        pool.written_here += 1
        if pool.written_here >= HERE_CHECKPOINT_EVERY:
            pool.written_here = 0
            task = asyncio.get_running_loop().create_task(self._run_in_new_connection("PRAGMA wal_checkpoint(PASSIVE)"))
            pool.checkpoints.add(task)
            task.add_done_callback(pool.checkpoints.discard)

    async def _connect(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # A pool whose loop ended without close_pool() (a test's loop, a crashed task) must
        # not keep the process from exiting: aiosqlite's worker thread is not a daemon.
        getattr(pending, "_thread", pending).daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in SQLITE_PRAGMAS:
            await connection.execute(pragma)
        return connection

    def _pool(self) -> "_Pool":
        # Connections are tied to the loop that awaits them (tests run several loops).
        loop = asyncio.get_running_loop()
        if loop not in self._pools:
            self._pools[loop] = _Pool()
        return self._pools[loop]

    async def acquire(self) -> aiosqlite.Connection:
        pool = self._pool()
        if pool.idle.empty() and pool.size < self.pool_size:
            pool.size += 1  # counted before the await, so concurrent callers do not overshoot
            try:
                connection = await self._connect()
            except BaseException:
                pool.size -= 1
                raise
            pool.connections.append(connection)
            return connection
        return await pool.idle.get()

    async def release(self, connection: aiosqlite.Connection) -> None:
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await connection.rollback()
        self._pool().idle.put_nowait(connection)

    async def close_pool(self) -> None:
        reader = self._readers.pop(asyncio.get_running_loop(), None)
        if reader is not None:
            reader.close()
        writer = self._writers.pop(asyncio.get_running_loop(), None)
        if writer is not None:
            writer.connection.close()
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool:
            for connection in pool.connections:
                with contextlib.suppress(Exception):
                    await connection.close()

    async def get_connection(self):  # used by Piccolo's batch(); a private connection
        return await self._connect()

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        connection = await self.acquire()
        try:
            return await connection.execute_fetchall(query, args or [])
        finally:
            await self.release(connection)

    async def _run_in_existing_connection(self, connection, query, args=None, query_type="generic", table=None):
        # One trip to the connection's thread (execute and fetch together) instead of three.
        return await connection.execute_fetchall(query, args or [])

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True):
        return _PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)


class PostgresPoolEngine(PostgresEngine):
    """PostgreSQL whose pool is used only from the event loop that opened it.

    An asyncpg pool belongs to one loop; code running in another loop (a test beside
    the served app, a CLI helper) gets its own connection instead of a broken one.
    """

    @property
    def pool(self):
        pool = self.__dict__.get("_pool")
        if pool is None:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return pool if pool._loop is loop else None

    @pool.setter
    def pool(self, value) -> None:
        self.__dict__["_pool"] = value


def engine_from_url(url: str, settings: Settings | None = None) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return PooledSQLiteEngine(path=path, pool_size=settings.sqlite_pool_size if settings else 4)
    parts = urlsplit(url)
    config = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "database": parts.path.lstrip("/") or "postgres",
    }
    return PostgresPoolEngine(config={k: v for k, v in config.items() if v is not None})


def engine() -> Engine:
    from portal import piccolo_conf

    return piccolo_conf.DB


def all_tables() -> list:
    from portal import piccolo_conf

    return [table for app in piccolo_conf.APP_REGISTRY.app_configs.values() for table in app.table_classes]


def use_engine(new_engine: Engine) -> None:
    """Point every table (and Piccolo's migration runner) at ``new_engine``."""
    from piccolo.apps.migrations.tables import Migration

    from portal import piccolo_conf

    piccolo_conf.DB = new_engine
    for table in all_tables() + [Migration]:
        table._meta.db = new_engine


def configure(settings: Settings) -> Engine:
    """Create the engine for ``settings`` (creating the SQLite folder) and bind tables to it."""
    if settings.sqlite_path:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    new_engine = engine_from_url(settings.database_url, settings)
    use_engine(new_engine)
    return new_engine


async def _keep_session(connection) -> None:
    """Nothing to undo when a connection goes back to the pool: the portal sets no session
    state (no SET, LISTEN, advisory locks or open cursors), and asyncpg still rolls back a
    transaction left open. asyncpg's default reset is one more round trip per query."""


async def open_pool(settings: Settings) -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and not db.pool:  # this loop's pool, opened once
        await db.start_connection_pool(min_size=1, max_size=settings.pg_pool_size, reset=_keep_session)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        if db.pool:  # this loop's pool; Piccolo warns when asked to close none
            await db.close_connection_pool()
    elif isinstance(db, PooledSQLiteEngine):
        await db.close_pool()


def icontains(column, text: str):
    """Case-insensitive substring match: ILIKE on PostgreSQL, LIKE (already
    case-insensitive for ASCII) on SQLite, which has no ILIKE."""
    pattern = f"%{text}%"  # % and _ typed by the user act as wildcards: harmless in a search box
    return column.like(pattern) if isinstance(engine(), SQLiteEngine) else column.ilike(pattern)


# --- Hand-written statements on the hot path ------------------------------------------
# Piccolo builds every query's SQL anew: 0.1 ms for a small SELECT and 0.7 ms for a
# field_log INSERT (a Table instance of 35 columns), measured on the benchmark machine,
# which is most of what a request costs. The few statements every request or every
# submission runs are written out here instead and their SQL is prepared once.


@functools.lru_cache(maxsize=256)
def _prepared(sql: str, postgres: bool) -> str:
    """``{}`` placeholders (as in ``Table.raw``) as ``$1, $2`` (asyncpg) or ``?`` (SQLite)."""
    if not postgres:
        return sql.replace("{}", "?")
    parts = sql.split("{}")
    return "".join(part + (f"${n}" if n < len(parts) else "") for n, part in enumerate(parts, start=1))


async def fetch(sql: str, *args, short_read: bool = False) -> list[dict]:
    """Run one statement with ``{}`` placeholders, in the current transaction if any, and
    return its rows as dicts (the same values Piccolo's ``raw`` gives). A ``short_read``
    (a SELECT by key or of one page of an index) outside a transaction runs on the event
    loop's thread on SQLite (``PooledSQLiteEngine.read_here``)."""
    db = engine()
    return await _run_prepared(db, _prepared(sql, isinstance(db, PostgresEngine)), args, short_read)


async def _run_prepared(db, query: str, args, short_read: bool = False) -> list[dict]:
    transaction = db.current_transaction.get()
    if not isinstance(db, PostgresEngine):
        if transaction:
            return await transaction.connection.execute_fetchall(query, args)
        if short_read and isinstance(db, PooledSQLiteEngine):
            try:
                return db.read_here(query, args)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
        return await db._run_in_new_connection(query, args)
    if transaction:
        rows = await transaction.connection.fetch(query, *args)
    elif db.pool:
        async with db.pool.acquire() as connection:
            rows = await connection.fetch(query, *args)
    else:
        rows = await db._run_in_new_connection(query, list(args))
    return [dict(row.items()) for row in rows]


class _Slot:
    """A parameter's place in a statement being compiled: Piccolo carries it to the SQL's
    arguments like any value, and ``Statement`` puts the call's value there."""

    __slots__ = ("name", "index")

    def __init__(self, name: str, index: int | None = None):
        self.name = name
        self.index = index

    def __repr__(self) -> str:
        return f"<{self.name}>" if self.index is None else f"<{self.name}[{self.index}]>"


class _Slots:
    """What a statement's ``build`` is given: ``p.name`` is the parameter ``name``; None
    when the call gives None (the builder leaves that condition out, a shape of its own);
    a list of parameters, one per item, when the call gives a list; the value itself for
    the statement's ``literal`` names (LIMIT sizes)."""

    def __init__(self, values: dict, literal: frozenset):
        self._values = values
        self._literal = literal

    def __getattr__(self, name: str):
        try:
            value = self._values[name]
        except KeyError:
            raise AttributeError(name) from None
        if value is None or name in self._literal:
            return value
        if isinstance(value, list):
            return [_Slot(name, index) for index in range(len(value))]
        return _Slot(name)


class Statement:
    """A query on the hot path, written in Piccolo and compiled once per shape.

    ``build(p)`` returns the Piccolo query (a select, ``.first()``, ``.count()``) with the
    parameters ``p.name`` in place of values. The first call of each shape - the engine,
    which parameters are None, the length of each list, the ``literal`` values - builds it
    and keeps its SQL; every call binds its values to that SQL and runs it as Piccolo
    would (same connection or transaction, Piccolo's own handling of the rows), so the
    rows are the query's own, on both engines. Piccolo builds a query's SQL anew on each
    run: 1-2 ms for a select with a few foreign-key hops, measured on the benchmark machine.
    Outside a transaction a statement is a short read (``fetch``) unless ``short`` is
    False: a statement whose filters may make it read much of a table (a list's page
    under a search or an unindexed filter) runs on a pooled connection's thread, so the
    loop serves other requests meanwhile.
    """

    def __init__(self, build, literal: tuple[str, ...] = (), short: bool = True):
        self.build = build
        self.literal = frozenset(literal)
        self.short = short
        self._shapes: dict = {}

    def _shape(self, db, values: dict) -> tuple:
        key = [db.engine_type]
        for name, value in values.items():
            if value is None:
                key.append((name, None))
            elif name in self.literal:
                key.append((name, "=", value))
            elif isinstance(value, list):
                key.append((name, len(value)))
            else:
                key.append(name)
        key = tuple(key)
        compiled = self._shapes.get(key)
        if compiled is None:
            query = self.build(_Slots(values, self.literal))
            first = type(query).__name__ == "First"
            if first:
                query = query.query
            (querystring,) = query.querystrings
            sql, args = querystring.compile_string(engine_type=db.engine_type)
            if len(self._shapes) >= 256:  # lists of many lengths: keep the memory bounded
                self._shapes.clear()
            compiled = self._shapes[key] = (sql, tuple(args), query, first)
        return compiled

    def sql(self, **values) -> str:
        """The statement's SQL for these values' shape (for tests and EXPLAIN)."""
        return self._shape(engine(), self._normal(values))[0]

    @staticmethod
    def _normal(values: dict) -> dict:
        return {name: list(value) if isinstance(value, (tuple, set, frozenset)) else value for name, value in values.items()}

    async def run(self, **values):
        """The query's result for these values: its rows, its first row or None, a count."""
        db = engine()
        values = self._normal(values)
        sql, args, query, first = self._shape(db, values)
        bound = [
            (values[arg.name] if arg.index is None else values[arg.name][arg.index]) if isinstance(arg, _Slot) else arg
            for arg in args
        ]
        result = await query._process_results(await _run_prepared(db, sql, bound, short_read=self.short))
        if first:
            return result[0] if result else None
        return result


def json_value(value) -> str | None:
    """A JSON column's value as Piccolo would send it."""
    from piccolo.utils.encoding import dump_json

    return None if value is None else dump_json(value)


_FRESH = object()  # a column default that must be made anew for each row


@functools.lru_cache(maxsize=64)
def _insert_columns(table) -> tuple:
    """(name, column, is JSON, default) of each column but the key; the default is the
    value itself where it never changes (Piccolo's ForeignKey makes asking for it again
    per row cost ~5 % of a log submission), else ``_FRESH``."""
    from piccolo.columns import JSON, JSONB
    from piccolo.columns.defaults.base import Default

    out = []
    for c in table._meta.columns:
        if c._meta.primary_key:
            continue
        default = getattr(c, "default", None)
        value = c.get_default_value()
        fresh = callable(default) or isinstance(value, (Default, list, dict, set, bytearray))
        out.append((c._meta.db_column_name, c, isinstance(c, (JSON, JSONB)), _FRESH if fresh else value))
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _insert_sql(table, conflict: str | None, returning: str | None, postgres: bool) -> str:
    names = [name for name, *_rest in _insert_columns(table)]
    sql = f"INSERT INTO {table._meta.tablename} ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}) VALUES ({', '.join('{}' for _ in names)})"
    if conflict:
        sql += f' ON CONFLICT ("{conflict}") DO NOTHING'
    if returning:
        sql += f' RETURNING "{returning}"'
    return _prepared(sql, postgres)


async def insert_row(table, values: dict, *, returning: str | None = "id", on_conflict_do_nothing: str | None = None) -> list[dict]:
    """One row of ``table`` written out: ``values`` by column name, the columns' defaults
    for the rest (as ``Table.insert`` would). With ``on_conflict_do_nothing`` (a column
    with a unique index) a duplicate inserts nothing and returns no row."""
    from piccolo.columns.defaults.base import Default

    row = []
    unknown = set(values)
    for name, column, is_json, default in _insert_columns(table):
        if name in values:
            value = values[name]
            unknown.discard(name)
        elif default is not _FRESH:
            value = default
        else:
            value = column.get_default_value()
            if isinstance(value, Default):
                value = value.python()
        if is_json and value is not None and not isinstance(value, str):
            value = json_value(value)
        row.append(value)
    if unknown:
        raise KeyError(f"{table._meta.tablename} has no column {', '.join(sorted(unknown))}")
    db = engine()
    sql = _insert_sql(table, on_conflict_do_nothing, returning, isinstance(db, PostgresEngine))
    return await _run_prepared(db, sql, row)


async def next_ids(table, count: int) -> range:
    """``count`` ids after the largest of ``table``, for rows a bulk load numbers itself
    (so that it can point other rows at them before writing)."""
    rows = await fetch(f"SELECT COALESCE(MAX(id), 0) AS last FROM {table._meta.tablename}")
    first = int(rows[0]["last"]) + 1
    return range(first, first + count)


async def insert_many(table, rows: list[dict]) -> None:
    """Many rows of ``table`` at once, inside the caller's write transaction: a bulk load
    such as the demo's history, where building each INSERT in Piccolo would cost most of
    the time. ``values`` by column name (``id`` included when the caller numbered the
    rows), the columns' defaults for the rest. SQLite: INSERTs of many rows each;
    PostgreSQL: COPY, then the id sequence moved past the ids given."""
    from piccolo.columns.defaults.base import Default

    if not rows:
        return
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("insert_many runs inside write_transaction()")
    columns = [(name, column.get_default_value(), is_json) for name, column, is_json, _default in _insert_columns(table)]
    defaults = [("id", None, False)] if "id" in rows[0] else []
    defaults += [(name, value.python() if isinstance(value, Default) else value, is_json) for name, value, is_json in columns]
    names = [name for name, _default, _json in defaults]
    known = set(names)
    records = []
    for row in rows:
        if not known.issuperset(row):
            raise KeyError(f"{table._meta.tablename} has no column {', '.join(sorted(set(row) - known))}")
        record = [row[name] if name in row else default for name, default, _json in defaults]
        for index, (_name, _default, is_json) in enumerate(defaults):
            if is_json and record[index] is not None and not isinstance(record[index], str):
                record[index] = json_value(record[index])
        records.append(tuple(record))
    if isinstance(db, PostgresEngine):
        await transaction.connection.copy_records_to_table(table._meta.tablename, records=records, columns=names)
        if "id" in names:
            await transaction.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table._meta.tablename}', 'id'), (SELECT MAX(id) FROM {table._meta.tablename}))"
            )
        return
    # Many rows a statement: a table whose trigger feeds an FTS5 index (ledger_item) flushes
    # the index once per statement, which row by row took ten times as long.
    columns = ", ".join(f'"{name}"' for name in names)
    one = f"({', '.join('?' for _ in names)})"
    size = max(1, 32000 // len(names))  # SQLite's limit of 32,766 parameters a statement
    for start in range(0, len(records), size):
        chunk = records[start:start + size]
        await transaction.connection.execute(
            f"INSERT INTO {table._meta.tablename} ({columns}) VALUES {', '.join([one] * len(chunk))}", [value for record in chunk for value in record]
        )


def is_unique_violation(error: BaseException) -> bool:
    """A unique index refused the row: another request wrote the same key first."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    return type(error).__name__ == "UniqueViolationError"


def true() -> str:
    """The literal for TRUE in hand-written SQL."""
    return "TRUE" if isinstance(engine(), PostgresEngine) else "1"


class _SQLiteWriteTransaction:
    """BEGIN IMMEDIATE, entered by one write transaction of this process at a time (a
    nested one joins its parent's). A ``short`` one runs on the loop's own connection
    unless another process is writing."""

    def __init__(self, db: PooledSQLiteEngine, short: bool = False):
        self.db = db
        self.short = short
        self.lock: asyncio.Lock | None = None
        self.transaction = db.transaction(transaction_type=TransactionType.immediate)

    async def __aenter__(self):
        if self.db.current_transaction.get() is None:
            self.lock = self.db._pool().writing
            await self.lock.acquire()
        try:
            if self.short and self.lock is not None:
                here = _HereTransaction(engine=self.db, transaction_type=TransactionType.immediate)
                try:
                    entered = await here.__aenter__()
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                else:
                    self.transaction = here
                    return entered
            return await self.transaction.__aenter__()
        except BaseException:
            self._release()
            raise

    async def __aexit__(self, exception_type, exception, traceback):
        try:
            return await self.transaction.__aexit__(exception_type, exception, traceback)
        finally:
            self._release()

    def _release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def write_transaction(short: bool = False):
    """A transaction for writes: on SQLite it takes the write lock at BEGIN. ``short``: a
    few statements by key, nothing awaited but the database (a log, a sign-up); on SQLite
    it runs on the event loop's thread (``PooledSQLiteEngine.write_here``)."""
    db = engine()
    if isinstance(db, PooledSQLiteEngine):
        return _SQLiteWriteTransaction(db, short)
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def is_healthy() -> bool:
    try:
        return bool(await engine().run_ddl("SELECT 1 AS ok"))
    except Exception:  # noqa: BLE001 - any failure means "down" for the health check
        return False


async def migrate() -> None:
    """Apply every Piccolo migration of every app, in order."""
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    db = engine()
    applied = await Migration.count().run() if await Migration.table_exists().run() else 0
    with contextlib.redirect_stdout(None):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(result.message)
    if isinstance(db, PooledSQLiteEngine) and await Migration.count().run() != applied:
        # SQLite plans by the statistics ANALYZE leaves; an index a migration added has
        # none, and beside indexes that have some the planner may prefer it wrongly (the
        # bulletins' week took 5 s instead of 2.4 s at 1 M logs). A sample
        # (analysis_limit) misled it worse (22 s), so the whole tables are read: 3 s at
        # 1 M logs, once per upgrade.
        await db.run_ddl("ANALYZE")


async def wipe() -> None:
    """Delete every row of every table and restart the id sequences (the tests, before each
    one). On PostgreSQL one script of DELETEs, children before parents, costs ~2 ms where
    TRUNCATE of every table costs ~400 ms."""
    db = engine()
    if isinstance(db, PostgresEngine):
        try:
            await _run_script(db, await _postgres_wipe_script(db))
        except Exception as error:  # a table dropped since the script was made: make it again
            if type(error).__name__ != "UndefinedTableError":
                raise
            _wipe_scripts.clear()
            await _run_script(db, await _postgres_wipe_script(db))
    else:
        # Without AUTOINCREMENT SQLite numbers rows after the largest id left: none. Children
        # go first: deleting a parent row looks for its children, a scan of every unindexed
        # child table while that still holds rows (3.5 s for the demo's year, 0.15 s so).
        tables = await _sqlite_wipe_order(db)
        async with write_transaction():
            await db.run_ddl("PRAGMA defer_foreign_keys = ON")
            for table in tables:
                await db.run_ddl(f'DELETE FROM "{table}"')


_wipe_scripts: dict[str, str] = {}
_sqlite_wipe_orders: dict[str, list[str]] = {}


async def _postgres_wipe_script(db: PostgresEngine) -> str:
    """Every table of the schema (Piccolo's migration log aside), read from the catalogue
    since migrations also add tables and keys in plain SQL; made once per database."""
    key = repr(sorted(db.config.items()))
    if key not in _wipe_scripts:
        tables = [row["name"] for row in await db.run_ddl("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'migration'")]
        keys = await db.run_ddl(
            "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace AND conrelid <> confrelid"
        )
        sequences = await db.run_ddl(
            "SELECT s.relname AS name FROM pg_class s LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
            " LEFT JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace"
            " AND t.relname IS DISTINCT FROM 'migration'"
        )
        links = [(link["child"].strip('"'), link["parent"].strip('"')) for link in keys]
        statements = [f'DELETE FROM "{table}"' for table in _children_first(tables, links)]
        if sequences:  # setval, unlike ALTER SEQUENCE, changes no catalogue: ~0.05 ms each
            statements.append("SELECT " + ", ".join(f"""setval('"{row["name"]}"', 1, false)""" for row in sequences))
        _wipe_scripts[key] = ";\n".join(statements)
    return _wipe_scripts[key]


async def _sqlite_wipe_order(db: Engine) -> list[str]:
    """The portal's tables, children first by the file's own foreign keys (read once per
    file). The search index's tables are left to the triggers that keep them."""
    key = str(db.path)
    if key not in _sqlite_wipe_orders:
        tables = [table._meta.tablename for table in all_tables()]
        links = []
        for table in tables:
            links += [(table, row["table"]) for row in await db.run_ddl(f"SELECT \"table\" FROM pragma_foreign_key_list('{table}')")]
        _sqlite_wipe_orders[key] = _children_first(tables, links)
    return _sqlite_wipe_orders[key]


def _children_first(tables: list[str], links: list[tuple[str, str]]) -> list[str]:
    """``tables`` ordered so that every table comes before the tables it refers to
    (``links``: child, parent); a cycle is broken where it is met."""
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in links:
        if child != parent:
            parents.setdefault(child, set()).add(parent)
    ordered: list[str] = []  # parents first

    def visit(table: str, path: frozenset = frozenset()) -> None:
        if table in ordered or table in path:
            return
        for parent in parents.get(table, ()):
            visit(parent, path | {table})
        ordered.append(table)

    for table in tables:
        visit(table)
    return [table for table in reversed(ordered) if table in tables]


async def _run_script(db: PostgresEngine, script: str) -> None:
    """Several statements in one round trip (asyncpg's simple query protocol)."""
    if db.pool:
        async with db.pool.acquire() as connection:
            await connection.execute(script)
        return
    connection = await db.get_new_connection()
    try:
        await connection.execute(script)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def lifespan_pool(settings: Settings) -> AsyncIterator[None]:
    await open_pool(settings)
    try:
        yield
    finally:
        await close_pool()
