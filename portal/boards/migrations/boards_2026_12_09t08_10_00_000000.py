"""The registry sorts by code (its unique index), place, printing and replacement due:
an index for each order within a community, ending on id for the keyset pages. Not under
retired_at: PostgreSQL takes ``retired_at IS NULL`` for no equality, so an index led by
it would not give the order; in use or retired is checked on the rows the walk reads.
For the same reason the boards without a printing or a due date (read apart, in id
order) have partial indexes of their own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from portal.db import engine

ID = "2026-12-09T08:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the board registry's orders"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS contact_board_community_name ON contact_board (community, name_zh, id)",
    "CREATE INDEX IF NOT EXISTS contact_board_community_printed ON contact_board (community, printed_on, id)",
    "CREATE INDEX IF NOT EXISTS contact_board_community_due_id ON contact_board (community, replace_due, id)",
    "CREATE INDEX IF NOT EXISTS contact_board_community_unprinted ON contact_board (community, id) WHERE printed_on IS NULL",
    "CREATE INDEX IF NOT EXISTS contact_board_community_undated ON contact_board (community, id) WHERE replace_due IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="boards", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
