"""Each officer's own saved views of the ledger list: the filters and order of the list
kept under a name (at most ``MAX_VIEWS`` per person), shown as links beside the preset
views and removed by their owner; saving and removing are audited. A view is only a
link: the list checks its parameters and the person's scope again when it is opened.

The filters' patterns are the list's own (its route declares its parameters with them).
"""

from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import parse_qsl, urlencode

from piccolo.engine.postgres import PostgresEngine

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import Statement, write_transaction
from portal.ledger import labels
from portal.ledger.rules import LedgerError, _clean
from portal.ledger.tables import LEDGERS, SOURCES, STAGES, LedgerSavedView
from portal.web.i18n import N_

MAX_VIEWS = 20
NAME_MAX = 60
QUERY_MAX = 200  # the list's own limit of the words searched

STAGE_FILTER = "^(open|closed|overdue|" + "|".join(STAGES) + ")$"
LEDGER_FILTER = "^(" + "|".join(LEDGERS) + ")$"
CATEGORY_FILTER = "^(" + "|".join(labels.CATEGORIES) + ")$"
SOURCE_FILTER = "^(" + "|".join(SOURCES) + ")$"
OWNER_FILTER = r"^(none|\d{1,9})$"
# Each filter of the list as a pattern of its whole value.
FILTERS = {
    "ledger": LEDGER_FILTER, "category": CATEGORY_FILTER, "stage": STAGE_FILTER, "community": r"^[1-9]\d{0,8}$",
    "owner": OWNER_FILTER, "source": SOURCE_FILTER, "due_within": r"^([1-9]\d?|[12]\d\d|3[0-5]\d|36[0-6])$",
    "sort": "^(new|due)$", "mine": "^true$",
}


def clean_filters(raw: Mapping[str, str | None]) -> dict[str, str] | None:
    """The list's filters from ``raw`` (empty ones left out), or None when one is not a
    value the list accepts."""
    filters: dict[str, str] = {}
    words = (raw.get("q") or "").strip()
    if len(words) > QUERY_MAX:
        return None
    if words:
        filters["q"] = words
    for name, pattern in FILTERS.items():
        value = (raw.get(name) or "").strip()
        if not value:
            continue
        if not re.fullmatch(pattern, value):
            return None
        filters[name] = value
    return filters


def query_of(filters: Mapping[str, str]) -> str:
    return urlencode(sorted(filters.items()))


_VIEWS_OF = Statement(lambda p: LedgerSavedView.select(LedgerSavedView.id, LedgerSavedView.name, LedgerSavedView.query).where(
    LedgerSavedView.owner == p.owner
).order_by(LedgerSavedView.name).limit(MAX_VIEWS + 5))  # every view of the list asks


async def views_of(user_id: int) -> list[dict]:
    """The person's own views, by name, each with its filters (``params``)."""
    rows = await _VIEWS_OF.run(owner=user_id)
    for row in rows:
        row["params"] = dict(parse_qsl(row["query"]))
    return rows


async def save_view(actor: Actor, name: str, filters: Mapping[str, str]) -> int:
    """Keep the list's ``filters`` under ``name`` for the actor (audited). The same name
    with the same filters again (a double submit) is the view already kept."""
    name = _clean(name)
    if not name:
        raise LedgerError(N_("Give the view a name."), "name")
    if len(name) > NAME_MAX:
        raise LedgerError(N_("Use at most %(max)d characters."), "name", max=NAME_MAX)
    if actor.read_only:
        raise LedgerError(N_("You may not change this item."))
    query = query_of(filters)
    async with write_transaction():
        if isinstance(LedgerSavedView._meta.db, PostgresEngine):
            # One person's saves one after another, so two at once cannot pass the limit.
            await LedgerSavedView.raw("SELECT id FROM portal_user WHERE id = {} FOR UPDATE", actor.id).run()
        mine = await LedgerSavedView.select(LedgerSavedView.id, LedgerSavedView.name, LedgerSavedView.query).where(LedgerSavedView.owner == actor.id).run()
        same = next((row for row in mine if row["name"].casefold() == name.casefold()), None)
        if same and same["query"] == query and same["name"] == name:
            return same["id"]
        if same:
            raise LedgerError(N_("You already have a view with this name."), "name")
        if len(mine) >= MAX_VIEWS:
            raise LedgerError(N_("You have %(max)d saved views, the most there can be: remove one first."), "name", max=MAX_VIEWS)
        rows = await LedgerSavedView.insert(LedgerSavedView(owner=actor.id, name=name, query=query, created_at=now())).returning(LedgerSavedView.id).run()
        await record("ledger.view_saved", "ledger_saved_view", rows[0]["id"], actor=actor, after={"name": name, "query": query})
    return rows[0]["id"]


async def remove_view(actor: Actor, view_id: int) -> bool:
    """Remove one of the actor's own views (audited); False for anyone else's."""
    async with write_transaction():
        before = await LedgerSavedView.select(LedgerSavedView.name, LedgerSavedView.query).where(
            (LedgerSavedView.id == view_id) & (LedgerSavedView.owner == actor.id)
        ).first().run()
        if not before or actor.read_only:
            return False
        await LedgerSavedView.delete().where(LedgerSavedView.id == view_id).run()
        await record("ledger.view_removed", "ledger_saved_view", view_id, actor=actor, before=before)
    return True
