"""The phrasebook of a station: service scripts for foreign visitors, Chinese and English
side by side, grouped by situation. Officers of the station (any of its communities) and
its head add and edit entries; district and city heads read. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.rules import Actor, now
from portal.audit.rules import record
from portal.db import write_transaction
from portal.reception.tables import Phrase
from portal.stations.tables import Community, Station
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

SITUATIONS = ("greeting", "directions", "lost_passport", "lost_property", "medical", "theft", "registration", "taxi", "embassy", "other")
MAX_PHRASES = 300  # per station: a book, not a corpus


class PhraseError(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class PhraseData:
    situation: str
    text_zh: str
    text_en: str
    position: int = 0

    def columns(self) -> dict:
        return {"situation": self.situation, "text_zh": self.text_zh.strip(), "text_en": self.text_en.strip(), "position": self.position}


async def stations_of(actor: Actor, *roles: str) -> list[dict]:
    """The stations whose communities the actor reaches with ``roles`` (every station for
    an administrator), by name."""
    scope = actor.communities(*roles)
    query = Station.select(Station.id, Station.name_zh, Station.name_en).order_by(Station.id)
    if scope is not None:
        if not scope:
            return []
        ids = {r["station"] for r in await Community.select(Community.station).where(Community.id.is_in(sorted(scope))).run()}
        if not ids:
            return []
        query = query.where(Station.id.is_in(sorted(ids)))
    return await query.limit(500).run()


async def may_read(actor: Actor, station_id: int) -> bool:
    return any(s["id"] == station_id for s in await stations_of(actor, "officer", "head"))


async def may_edit(actor: Actor, station_id: int) -> bool:
    return any(s["id"] == station_id for s in await stations_of(actor, "officer"))


async def station(station_id: int) -> dict | None:
    return await Station.select(Station.id, Station.name_zh, Station.name_en).where(Station.id == station_id).first().run()


async def phrases_of(station_id: int) -> list[dict]:
    """The station's entries in the order of the situations, then position, then id."""
    rows = await Phrase.select(Phrase.id, Phrase.situation, Phrase.text_zh, Phrase.text_en, Phrase.position, Phrase.updated_at).where(
        Phrase.station == station_id
    ).order_by(Phrase.position).order_by(Phrase.id).limit(MAX_PHRASES).run()
    order = {s: i for i, s in enumerate(SITUATIONS)}
    return sorted(rows, key=lambda r: (order.get(r["situation"], len(order)), r["position"], r["id"]))


async def get_phrase(phrase_id: int) -> dict | None:
    return await Phrase.select().where(Phrase.id == phrase_id).first().run()


def _check(data: PhraseData) -> None:
    if data.situation not in SITUATIONS:
        raise PhraseError("situation", _("Choose a situation from the list."))


async def create(actor: Actor, station_id: int, data: PhraseData) -> int:
    if not await may_edit(actor, station_id):
        raise PermissionError(station_id)
    _check(data)
    columns = data.columns()
    async with write_transaction():
        if await Phrase.count().where(Phrase.station == station_id).run() >= MAX_PHRASES:
            raise PhraseError("text_zh", ngettext("A phrasebook holds at most %(count)d entry: remove old ones first.", "A phrasebook holds at most %(count)d entries: remove old ones first.", MAX_PHRASES, count=MAX_PHRASES))
        moment = now()
        created = await Phrase.insert(Phrase(station=station_id, created_at=moment, updated_at=moment, **columns)).returning(Phrase.id).run()
        phrase_id = created[0]["id"]
        await record("reception_phrase.created", "reception_phrase", phrase_id, actor=actor, after={"station": station_id, **columns})
    return phrase_id


async def update(actor: Actor, phrase_id: int, data: PhraseData) -> int:
    """Change an entry; returns its station."""
    phrase = await get_phrase(phrase_id)
    if not phrase or not await may_edit(actor, phrase["station"]):
        raise PermissionError(phrase_id)
    _check(data)
    columns = data.columns()
    async with write_transaction():
        await Phrase.update({**{getattr(Phrase, k): v for k, v in columns.items()}, Phrase.updated_at: now()}).where(Phrase.id == phrase_id).run()
        await record("reception_phrase.updated", "reception_phrase", phrase_id, actor=actor, before={k: phrase[k] for k in columns}, after=columns)
    return phrase["station"]


async def remove(actor: Actor, phrase_id: int) -> int:
    phrase = await get_phrase(phrase_id)
    if not phrase or not await may_edit(actor, phrase["station"]):
        raise PermissionError(phrase_id)
    async with write_transaction():
        await Phrase.delete().where(Phrase.id == phrase_id).run()
        await record("reception_phrase.removed", "reception_phrase", phrase_id, actor=actor, before={k: phrase[k] for k in ("station", "situation", "text_zh", "text_en", "position")})
    return phrase["station"]


async def version(station_id: int) -> str:
    """Changes whenever an entry is added, changed or removed: links to the book carry it,
    so the browser's day-long copy is replaced as soon as the book changes."""
    from portal.db import fetch

    rows = await fetch("SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM reception_phrase WHERE station = {}", int(station_id))
    row = rows[0] if rows else {}
    last = row.get("last")
    stamp = last.strftime("%Y%m%d%H%M%S%f") if hasattr(last, "strftime") else "".join(ch for ch in str(last or "0") if ch.isdigit())
    return f"{row.get('n') or 0}-{stamp}"


async def station_of_community(community_id: int) -> int | None:
    row = await Community.select(Community.station).where(Community.id == community_id).first().run()
    return row["station"] if row else None
