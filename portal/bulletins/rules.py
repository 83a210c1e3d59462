"""Bulletins: compiling weeks (by hand or on schedule), review and publication, the tip
library, subscriptions with double opt-in, and the e-mails to subscribers.

``compile_week("2026-W47")`` compiles every community of a week and the roll-ups of each
station, district and city; it is what the scheduled job, ``portal bulletins compile`` and the benchmark call.
The first version of each (community or station, week) is inserted with ON CONFLICT DO
NOTHING on a unique index, so however many processes compile, one wins. Bulletins are
written SAVE_BATCH to a transaction, each with its audit row in the same transaction, so a
failure leaves no half bulletin (one transaction per bulletin cost ~2.5 s of a 550-bulletin
week on SQLite).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import secrets
import smtplib
from dataclasses import dataclass, field
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from portal.audit.rules import record, record_many
from portal.bulletins import compile as C
from portal.bulletins.tables import TIP_CATEGORIES, Bulletin, Delivery, Subscriber, Tip
from portal.db import write_transaction
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{1,2})$")
COMPILE_HOUR = dt.time(6, 0)  # Monday, in each community's zone
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
CONFIRM_RESEND_AFTER = dt.timedelta(minutes=10)  # per address
SUBSCRIBE_PER_CLIENT = (5, dt.timedelta(minutes=15))  # valid subscriptions per client address, as the other public forms
MAIL_MAX_AGE = dt.timedelta(days=7)  # a published bulletin is mailed within a week or never
SAVE_BATCH = 100  # bulletins per write transaction while compiling


class BulletinError(Exception):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- weeks ---


def parse_week(text: str) -> tuple[str, dt.date]:
    """"2026-W47" → ("2026-W47", its Monday). A week that does not exist is refused."""
    match = WEEK_PATTERN.match((text or "").strip())
    if not match:
        raise BulletinError(_("Write the week as year-W-number, e.g. 2026-W47."), "week")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        monday = dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise BulletinError(_("There is no week %(week)s: the year %(year)s has weeks 1 to %(last)s.", week=text.strip(), year=year, last=dt.date(year, 12, 28).isocalendar()[1]), "week") from None
    return week_of(monday), monday


def week_of(day: dt.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def last_due_monday(now: dt.datetime, zone: str) -> dt.date:
    """The Monday of the latest week whose bulletin is due: the week before the most
    recent Monday 06:00 in ``zone`` that is not after ``now``."""
    local = now.astimezone(ZoneInfo(zone))
    monday = local.date() - dt.timedelta(days=local.weekday())
    if local.time() < COMPILE_HOUR and local.weekday() == 0:
        monday -= dt.timedelta(days=7)
    return monday - dt.timedelta(days=7)


def week_over(monday: dt.date, zone: str, now: dt.datetime) -> bool:
    return C.local_midnight(monday + dt.timedelta(days=7), ZoneInfo(zone)) <= now


# --- compiling ---


@dataclass
class CompileResult:
    week: str
    created: list[int] = field(default_factory=list)
    refreshed: list[int] = field(default_factory=list)
    existing: int = 0
    communities: int = 0


def community_key(community_id: int) -> str:
    return f"c{community_id}"


def station_key(station_id: int) -> str:
    return f"s{station_id}"


def unit_key(level: str, unit_id: int) -> str:
    """The scope key of a district's or a city's roll-up."""
    return {"district": "d", "city": "city"}[level] + str(unit_id)


# The roll-ups above a station: the column of ``C.communities`` rows naming the unit.
UPPER_LEVELS = ("district", "city")


async def _latest(scope_key: str, week: str) -> dict | None:
    return await Bulletin.select(Bulletin.id, Bulletin.version, Bulletin.status).where((Bulletin.scope_key == scope_key) & (Bulletin.week == week)).order_by(Bulletin.version, ascending=False).first().run()


@dataclass
class _Draft:
    """A bulletin about to be saved."""

    scope: str
    key: str
    station_id: int | None
    community_id: int | None
    figures: dict
    district_id: int | None = None
    city_id: int | None = None


async def _save(drafts: list[_Draft], week: str, monday: dt.date, refresh: bool, result: CompileResult, now: dt.datetime) -> None:
    """Insert the week's first version of each draft, or (with ``refresh``) refresh an
    existing draft: one transaction for the batch, one INSERT for the new bulletins and one
    for their audit rows; those that already exist are looked at one by one."""
    async with write_transaction():
        inserted = await Bulletin.insert(*[
            Bulletin(scope=d.scope, scope_key=d.key, station=d.station_id, community=d.community_id, district=d.district_id, city=d.city_id, week=week, starts_on=monday, version=1, status="draft",
                     figures=json.dumps(d.figures, ensure_ascii=False), compiled_at=now, updated_at=now)
            for d in drafts
        ]).on_conflict(target=(Bulletin.scope_key, Bulletin.week, Bulletin.version), action="DO NOTHING").returning(Bulletin.id, Bulletin.scope_key).run()
        new = {row["scope_key"]: row["id"] for row in inserted}
        await record_many([("bulletin.compiled", "bulletin", new[d.key], {"scope": d.key, "week": week, "version": 1}) for d in drafts if d.key in new])
        for d in drafts:
            if d.key in new:
                result.created.append(new[d.key])
                continue
            latest = await _latest(d.key, week)
            if refresh and latest and latest["status"] == "draft":
                await Bulletin.update({Bulletin.figures: json.dumps(d.figures, ensure_ascii=False), Bulletin.compiled_at: now, Bulletin.updated_at: now}).where(
                    (Bulletin.id == latest["id"]) & (Bulletin.status == "draft")
                ).run()
                await record("bulletin.recompiled", "bulletin", latest["id"], after={"scope": d.key, "week": week, "version": latest["version"]})
                result.refreshed.append(latest["id"])
            else:
                result.existing += 1


async def _save_all(drafts: list[_Draft], week: str, monday: dt.date, refresh: bool, result: CompileResult, now: dt.datetime, progress: Callable[[int], None] | None) -> None:
    # Communities' bulletins first, then the roll-ups level by level, never in one batch:
    # a station that fails leaves its communities' bulletins saved.
    for scope in ("community", "station", "district", "city"):
        of_scope = [d for d in drafts if d.scope == scope]
        for start in range(0, len(of_scope), SAVE_BATCH):
            batch = of_scope[start:start + SAVE_BATCH]
            await _save(batch, week, monday, refresh, result, now)
            if progress and scope == "community":
                progress(len(batch))


async def compile_figures(week: str, monday: dt.date, community_rows: list[dict], zone: str | None = None) -> list[C.Compiled]:
    """Figures of every community in ``community_rows``: one query per section and zone.
    Each community's week is its own zone's, or ``zone``'s when given (a station's)."""
    by_zone: dict[str, list[dict]] = {}
    for row in community_rows:
        by_zone.setdefault(zone or row["timezone"] or "Asia/Shanghai", []).append(row)
    compiled: list[C.Compiled] = []
    for each, rows in by_zone.items():
        compiled += await C.compile_window(C.Window.of(week, monday, each), rows)
    return compiled


async def station_figures(week: str, monday: dt.date, members: list[dict], reuse: dict[int, C.Compiled] | None = None) -> dict:
    """A station's roll-up: its communities compiled for the week in the station's zone
    (``C.station_zone``), so every figure of it counts the same window. Communities already
    compiled in that zone (``reuse``) are not compiled again; the others (those in another
    zone) are."""
    return C.roll_up({}, await _ready_parts(week, monday, members, reuse or {}))


async def _ready_parts(week: str, monday: dt.date, members: list[dict], reuse: dict[int, C.Compiled]) -> list[C.Compiled]:
    """Every member community compiled in the members' common zone, reusing what is."""
    zone = C.station_zone(members)
    ready = {m["id"]: reuse[m["id"]] for m in members if m["id"] in reuse and reuse[m["id"]].figures["timezone"] == zone}
    again = [m for m in members if m["id"] not in ready]
    for part in await compile_figures(week, monday, again, zone) if again else []:
        ready[part.community_id] = part
    return [ready[m["id"]] for m in sorted(members, key=lambda m: m["id"])]


async def unit_figures(level: str, unit_id: int, week: str, monday: dt.date, members: list[dict], reuse: dict[int, C.Compiled] | None = None) -> dict:
    """A district's or a city's roll-up: all its communities compiled for the week in one
    zone (the one most of them use, as a station's), summed; its table of places is by
    station (district) or by district (city)."""
    from portal.stations.tables import City, District, Station

    below, table = {"district": ("station", Station), "city": ("district", District)}[level]
    ids = sorted({m[below] for m in members if m[below] is not None})
    names = {r["id"]: r for r in await table.select(table.id, table.code, table.name_zh, table.name_en).where(table.id.is_in(ids or [0])).run()}
    unit_table = {"district": District, "city": City}[level]
    unit = await unit_table.select(unit_table.id, unit_table.code, unit_table.name_zh, unit_table.name_en).where(unit_table.id == unit_id).first().run()
    parts = await _ready_parts(week, monday, members, reuse or {})
    return C.unit_roll_up(level, unit, parts, {m["id"]: names[m[below]] for m in members})


async def compile_week(
    week: str,
    community_ids: Iterable[int] | None = None,
    *,
    station_ids: Iterable[int] | None = None,
    upper_ids: dict[str, list[int]] | None = None,
    now: dt.datetime | None = None,
    refresh_drafts: bool = False,
    progress: Callable[[int], None] | None = None,
) -> CompileResult:
    """Compile the bulletins of ``week`` for the communities (default: all) and the
    roll-ups of ``station_ids`` (default: every station whose communities are all included),
    and of the districts and cities in ``upper_ids`` ({"district": [ids], "city": [ids]};
    default: every one whose communities are all included).

    A community's week is its own zone's; a station's roll-up is compiled for the week in
    the station's zone (``C.station_zone``) over all its communities. Existing versions are
    kept; with ``refresh_drafts`` a draft's figures are compiled again (a published
    bulletin never changes: a correction is a new version). ``progress(n)`` is called as
    bulletins are written.
    """
    now = now or utcnow()
    week, monday = parse_week(week)
    rows = await C.communities(None if community_ids is None else list(community_ids))
    if community_ids is not None and len(rows) < len(set(community_ids)):
        raise BulletinError(_("There is no such community."), "community")
    if station_ids is None:
        candidates = sorted({row["station"] for row in rows})
    else:
        candidates = sorted(set(station_ids))
    members: dict[int, list[dict]] = {}
    for row in await C.communities(None, candidates) if candidates else []:
        members.setdefault(row["station"], []).append(row)
    included = {row["id"] for row in rows}
    if station_ids is None:
        members = {s: m for s, m in members.items() if all(c["id"] in included for c in m)}
    upper = {level: await _upper_members(level, rows, upper_ids.get(level) if upper_ids else None) for level in UPPER_LEVELS}
    zones = {row["timezone"] or "Asia/Shanghai" for row in rows} | {C.station_zone(m) for m in members.values()}
    zones |= {C.station_zone(m) for units in upper.values() for m in units.values()}
    if zones and not all(week_over(monday, zone, now) for zone in zones):
        raise BulletinError(_("The week %(week)s is not over yet.", week=week), "week")
    result = CompileResult(week=week, communities=len(rows))
    compiled = await compile_figures(week, monday, rows)
    drafts = [_Draft("community", community_key(part.community_id), part.station_id, part.community_id, part.figures) for part in compiled]
    own = {part.community_id: part for part in compiled}
    for station, its in sorted(members.items()):
        drafts.append(_Draft("station", station_key(station), station, None, await station_figures(week, monday, its, own)))
    for level in UPPER_LEVELS:
        for unit, its in sorted(upper[level].items()):
            drafts.append(_Draft(level, unit_key(level, unit), None, None, await unit_figures(level, unit, week, monday, its, own), **{f"{level}_id": unit}))
    await _save_all(drafts, week, monday, refresh_drafts, result, now, progress)
    return result


async def _upper_members(level: str, rows: list[dict], wanted: list[int] | None) -> dict[int, list[dict]]:
    """{unit id: its communities} of the districts (or cities) to roll up: those in
    ``wanted``, or by default those whose every community is among ``rows``."""
    if wanted is not None and not wanted:
        return {}
    candidates = sorted(set(wanted)) if wanted is not None else sorted({r[level] for r in rows if r[level] is not None})
    if not candidates:
        return {}
    members: dict[int, list[dict]] = {}
    for row in await C.communities(None):
        if row[level] in candidates:
            members.setdefault(row[level], []).append(row)
    if wanted is None:
        included = {r["id"] for r in rows}
        members = {u: m for u, m in members.items() if all(c["id"] in included for c in m)}
    return members


async def compile_due(now: dt.datetime, catch_up_weeks: int) -> int:
    """The scheduled job: every week whose Monday 06:00 has passed, back to
    ``catch_up_weeks`` weeks, that has no bulletin yet: a community's in its own zone, a
    station's roll-up in the station's zone (``C.station_zone``). Returns bulletins made."""
    rows = await C.communities(None)
    wanted: dict[str, tuple[dt.date, list[int], list[int], dict[str, list[int]]]] = {}

    def due_weeks(zone: str, created) -> Iterable[dt.date]:
        latest = last_due_monday(now, zone)
        for back in range(max(1, catch_up_weeks)):
            monday = latest - dt.timedelta(weeks=back)
            # A week that ended before the community (station) existed has nothing to say.
            if created and C.local_midnight(monday + dt.timedelta(days=7), ZoneInfo(zone)) <= _aware(created):
                break
            yield monday

    def week_entry(monday: dt.date):
        return wanted.setdefault(week_of(monday), (monday, [], [], {level: [] for level in UPPER_LEVELS}))

    groups: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        groups.setdefault(("station", row["station"]), []).append(row)
        for level in UPPER_LEVELS:
            if row[level] is not None:
                groups.setdefault((level, row[level]), []).append(row)
        for monday in due_weeks(row["timezone"] or "Asia/Shanghai", row["created_at"]):
            week_entry(monday)[1].append(row["id"])
    for (level, unit), members in groups.items():
        created = [_aware(m["created_at"]) for m in members if m["created_at"]]
        for monday in due_weeks(C.station_zone(members), min(created) if len(created) == len(members) else None):
            entry = week_entry(monday)
            (entry[2] if level == "station" else entry[3][level]).append(unit)
    made = 0
    for week, (monday, ids, station_ids, upper) in sorted(wanted.items()):
        existing = await Bulletin.select(Bulletin.scope_key).where((Bulletin.week == week) & (Bulletin.version == 1)).run()
        have = {r["scope_key"] for r in existing}
        ids = [i for i in ids if community_key(i) not in have]
        station_ids = [s for s in station_ids if station_key(s) not in have]
        upper = {level: [u for u in units if unit_key(level, u) not in have] for level, units in upper.items()}
        if not ids and not station_ids and not any(upper.values()):
            continue
        result = await compile_week(week, ids, station_ids=station_ids, upper_ids=upper, now=now)
        made += len(result.created)
        await tell_officers(result.created)
    return made


async def tell_officers(bulletin_ids: list[int]) -> None:
    """Each new community draft: one inbox message to each officer of the community."""
    from portal.notifications.rules import notify
    from portal.web.i18n import N_

    if not bulletin_ids:
        return
    rows = await Bulletin.raw(
        'SELECT b.id, b.week, rg."user" AS officer FROM bulletin b JOIN role_grant rg ON rg.community = b.community AND rg.role = \'officer\' '
        f"WHERE b.scope = 'community' AND b.id IN ({C._ids(bulletin_ids)})"
    ).run()
    for row in rows:
        await notify(row["officer"], "bulletin.draft", N_("The bulletin of %(week)s is ready to check and publish"), link=f"/bulletins/{row['id']}",
                     dedupe_key=f"bulletin.draft:{row['id']}:{row['officer']}", week=row["week"])


def _aware(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# --- reading ---


def figures_of(row: dict) -> dict:
    value = row.get("figures")
    return json.loads(value) if isinstance(value, str) else (value or {})


COLUMNS = (
    Bulletin.id, Bulletin.scope, Bulletin.scope_key, Bulletin.station, Bulletin.community, Bulletin.district, Bulletin.city, Bulletin.week, Bulletin.starts_on, Bulletin.version,
    Bulletin.status, Bulletin.figures, Bulletin.headline_zh, Bulletin.headline_en, Bulletin.note_zh, Bulletin.note_en, Bulletin.compiled_at,
    Bulletin.published_at, Bulletin.updated_at,
)


async def get(bulletin_id: int) -> dict | None:
    row = await Bulletin.select(*COLUMNS).where(Bulletin.id == bulletin_id).first().run()
    if row:
        row["figures"] = figures_of(row)
    return row


async def published(scope_key: str, week: str) -> dict | None:
    """The newest published version of a week (a correction replaces the earlier one)."""
    row = await Bulletin.select(*COLUMNS).where((Bulletin.scope_key == scope_key) & (Bulletin.week == week) & (Bulletin.status == "published")).order_by(
        Bulletin.version, ascending=False
    ).first().run()
    if row:
        row["figures"] = figures_of(row)
    return row


async def published_list(scope_key: str, limit: int = 20) -> list[dict]:
    rows = await Bulletin.select(*COLUMNS).where((Bulletin.scope_key == scope_key) & (Bulletin.status == "published")).order_by(Bulletin.published_at, ascending=False).limit(limit).run()
    for row in rows:
        row["figures"] = figures_of(row)
    return rows


async def versions(scope_key: str, week: str) -> list[dict]:
    return await Bulletin.select(Bulletin.id, Bulletin.version, Bulletin.status, Bulletin.published_at).where((Bulletin.scope_key == scope_key) & (Bulletin.week == week)).order_by(Bulletin.version).run()


async def _member_ids(bulletin: dict) -> list[int]:
    """The communities a bulletin speaks for."""
    if bulletin["scope"] == "community":
        return [bulletin["community"]]
    if bulletin["scope"] == "station":
        return [row["id"] for row in await C.communities(None, [bulletin["station"]])]
    unit = bulletin[bulletin["scope"]]
    return [row["id"] for row in (await _upper_members(bulletin["scope"], [], [unit])).get(unit, [])]


async def waiting_review(bulletin: dict) -> int:
    """Logs of the bulletin's communities that happened in its week and still wait for an
    officer's review: the figures count only accepted logs, so these are missing from them."""
    from portal.logs.tables import FieldLog

    ids = await _member_ids(bulletin)
    if not ids:
        return 0
    f = bulletin["figures"]
    _week, monday = parse_week(bulletin["week"])
    zone = ZoneInfo(f.get("timezone") or "Asia/Shanghai")
    start, end = C.local_midnight(monday, zone), C.local_midnight(monday + dt.timedelta(days=7), zone)
    return await FieldLog.count().where(
        FieldLog.community.is_in(ids) & (FieldLog.status == "submitted") & (FieldLog.occurred_at >= start) & (FieldLog.occurred_at < end)
    ).run()


def may_manage(actor, bulletin: dict) -> bool:
    """Who checks, edits and publishes: the community's officers (and its station's head);
    a roll-up, the head of that station, district or city."""
    if actor is None:
        return False
    if "admin" in actor.roles:
        return True
    if bulletin["scope"] == "community":
        return actor.reaches(bulletin["community"], "officer")
    column = {"station": "station_id", "district": "district_id", "city": "city_id"}[bulletin["scope"]]
    role = {"station": "head", "district": "district_head", "city": "city_head"}[bulletin["scope"]]
    return any(g.role == role and getattr(g, column) == bulletin[bulletin["scope"]] for g in actor.grants)


def _visible(actor):
    """The bulletins the actor reads, as a condition in SQL (None: all): their
    communities' and the roll-ups of every station, district and city they head or
    that lies below a unit they head."""
    from portal.stations.tables import Community, District

    scope = actor.communities("officer", "head")
    if scope is None:
        return None
    condition = Bulletin.community.is_in(list(scope) or [0])
    headed = list(actor.communities("head") or [])
    if headed:
        condition |= (Bulletin.scope == "station") & Bulletin.station.is_in(Community.select(Community.station).where(Community.id.is_in(headed)))
    districts = [g.district_id for g in actor.grants if g.role == "district_head"]
    cities = [g.city_id for g in actor.grants if g.role == "city_head"]
    if districts or cities:
        below = District.select(District.id).where(District.city.is_in(cities or [0]))
        condition |= (Bulletin.scope == "district") & (Bulletin.district.is_in(districts or [0]) | Bulletin.district.is_in(below))
    if cities:
        condition |= (Bulletin.scope == "city") & Bulletin.city.is_in(cities)
    return condition


async def may_read(actor, bulletin_id: int) -> bool:
    if actor is None:
        return False
    condition = _visible(actor)
    query = Bulletin.exists().where(Bulletin.id == bulletin_id)
    return await (query.where(condition) if condition is not None else query).run()


async def managed_page(actor, after: int | None = None):
    """Bulletins the actor may read (and those they may review), newest first, filtered by scope in SQL."""
    from portal.web.pagination import keyset_page

    query = Bulletin.select(Bulletin.id, Bulletin.scope, Bulletin.week, Bulletin.version, Bulletin.status, Bulletin.community.name_zh, Bulletin.community.name_en,
                            Bulletin.station.name_zh, Bulletin.station.name_en, Bulletin.district.name_zh, Bulletin.district.name_en,
                            Bulletin.city.name_zh, Bulletin.city.name_en, Bulletin.compiled_at, Bulletin.published_at)
    condition = _visible(actor)
    if condition is not None:
        query = query.where(condition)
    return await keyset_page(query, Bulletin.id, after, descending=True)


# --- review and publication ---


async def edit(actor, bulletin_id: int, headline_zh: str, headline_en: str, note_zh: str, note_en: str) -> None:
    async with write_transaction():
        row = await Bulletin.select(Bulletin.id, Bulletin.status, Bulletin.headline_zh, Bulletin.headline_en, Bulletin.note_zh, Bulletin.note_en).where(Bulletin.id == bulletin_id).first().run()
        if not row or row["status"] != "draft":
            raise BulletinError(_("A published bulletin cannot be changed; start a correction instead."))
        after = {"headline_zh": headline_zh.strip(), "headline_en": headline_en.strip(), "note_zh": note_zh.strip(), "note_en": note_en.strip()}
        await Bulletin.update({getattr(Bulletin, k): v for k, v in after.items()} | {Bulletin.updated_at: utcnow()}).where((Bulletin.id == bulletin_id) & (Bulletin.status == "draft")).run()
        await record("bulletin.edited", "bulletin", bulletin_id, actor=actor, before={k: row[k] for k in after}, after=after)


async def publish(actor, bulletin_id: int, now: dt.datetime | None = None, *, confirm_waiting: bool = True) -> None:
    """Draft → published. Earlier published versions of the week become superseded.

    While logs of the week still wait for review the figures are incomplete: the page
    then passes the officer's answer to "publish anyway?" as ``confirm_waiting`` and a
    False refuses (the demo and scripts publish as they are). The count is kept in the
    figures (``waiting_review``), so the published headline never calls the week quiet."""
    now = now or utcnow()
    bulletin = await get(bulletin_id)
    if not bulletin or bulletin["status"] != "draft":
        raise BulletinError(_("This bulletin is already published."))
    waiting = await waiting_review(bulletin)
    if waiting and not confirm_waiting:
        raise BulletinError(ngettext(
            "%(num)s log of this week still waits for review. Review it first, or confirm that you publish without it.",
            "%(num)s logs of this week still wait for review. Review them first, or confirm that you publish without them.", waiting,
        ), "confirm_waiting")
    async with write_transaction():
        row = await Bulletin.select(Bulletin.id, Bulletin.status, Bulletin.scope_key, Bulletin.week, Bulletin.version, Bulletin.figures).where(Bulletin.id == bulletin_id).first().run()
        if not row or row["status"] != "draft":
            raise BulletinError(_("This bulletin is already published."))
        figures = figures_of(row)
        if waiting:
            figures["waiting_review"] = waiting
        else:
            figures.pop("waiting_review", None)
        done = await Bulletin.update({
            Bulletin.status: "published", Bulletin.published_at: now, Bulletin.published_by: getattr(actor, "id", None), Bulletin.updated_at: now,
            Bulletin.figures: json.dumps(figures, ensure_ascii=False),
        }).where(
            (Bulletin.id == bulletin_id) & (Bulletin.status == "draft")
        ).returning(Bulletin.id).run()
        if not done:
            raise BulletinError(_("This bulletin is already published."))
        await Bulletin.update({Bulletin.status: "superseded", Bulletin.updated_at: now}).where(
            (Bulletin.scope_key == row["scope_key"]) & (Bulletin.week == row["week"]) & (Bulletin.status == "published") & (Bulletin.id != bulletin_id)
        ).run()
        await record("bulletin.published", "bulletin", bulletin_id, actor=actor, before={"status": "draft"}, after={"status": "published", "version": row["version"], "waiting_review": waiting})


async def start_correction(actor, bulletin_id: int, now: dt.datetime | None = None) -> int:
    """A new draft version of a published week, compiled again; the published one stays
    until the correction is published. Returns the draft's id."""
    now = now or utcnow()
    row = await get(bulletin_id)
    if not row or row["status"] == "draft":
        raise BulletinError(_("Only a published bulletin is corrected."))
    newest = (await versions(row["scope_key"], row["week"]))[-1]
    if newest["status"] == "draft":
        return newest["id"]
    week, monday = parse_week(row["week"])
    if row["scope"] == "community":
        parts = await compile_figures(week, monday, await C.communities([row["community"]]))
        figures = parts[0].figures
    elif row["scope"] == "station":
        figures = await station_figures(week, monday, await C.communities(None, [row["station"]]))
    else:
        unit = row[row["scope"]]
        figures = await unit_figures(row["scope"], unit, week, monday, (await _upper_members(row["scope"], [], [unit]))[unit])
    async with write_transaction():
        inserted = await Bulletin.insert(
            Bulletin(scope=row["scope"], scope_key=row["scope_key"], station=row["station"], community=row["community"], district=row["district"], city=row["city"],
                     week=week, starts_on=monday, version=newest["version"] + 1,
                     status="draft", figures=json.dumps(figures, ensure_ascii=False), headline_zh=row["headline_zh"], headline_en=row["headline_en"],
                     note_zh=row["note_zh"], note_en=row["note_en"], compiled_at=now, updated_at=now)
        ).on_conflict(target=(Bulletin.scope_key, Bulletin.week, Bulletin.version), action="DO NOTHING").returning(Bulletin.id).run()
        if not inserted:  # someone else started it at the same moment
            return (await versions(row["scope_key"], row["week"]))[-1]["id"]
        await record("bulletin.correction_started", "bulletin", inserted[0]["id"], actor=actor, before={"version": newest["version"]}, after={"version": newest["version"] + 1, "corrects": bulletin_id})
    return inserted[0]["id"]


# --- tip library ---


async def tip_list() -> list[dict]:
    return await Tip.select().order_by(Tip.category).order_by(Tip.id).run()


async def save_tip(actor, tip_id: int | None, category: str, text_zh: str, text_en: str, always: bool, active: bool) -> int:
    if category not in TIP_CATEGORIES:
        raise BulletinError(_("Choose a category."), "category")
    values = {"category": category, "text_zh": text_zh.strip(), "text_en": text_en.strip(), "always": always, "active": active}
    async with write_transaction():
        if tip_id is None:
            row = await Tip.insert(Tip(**values, created_at=utcnow(), updated_at=utcnow())).returning(Tip.id).run()
            tip_id = row[0]["id"]
            await record("bulletin_tip.created", "bulletin_tip", tip_id, actor=actor, after=values)
        else:
            before = await Tip.select(Tip.category, Tip.text_zh, Tip.text_en, Tip.always, Tip.active).where(Tip.id == tip_id).first().run()
            if not before:
                raise BulletinError(_("There is no such tip."))
            await Tip.update({getattr(Tip, k): v for k, v in values.items()} | {Tip.updated_at: utcnow()}).where(Tip.id == tip_id).run()
            await record("bulletin_tip.updated", "bulletin_tip", tip_id, actor=actor, before=before, after=values)
    return tip_id


# --- subscribers ---


def valid_email(address: str) -> bool:
    return len(address) <= 254 and bool(EMAIL_PATTERN.match(address))


async def subscribe(email: str, community_id: int, language: str, now: dt.datetime | None = None) -> tuple[dict, bool]:
    """A pending subscription (or the existing one). Returns (row, send the confirmation)."""
    now = now or utcnow()
    email = email.strip()
    if not valid_email(email):
        raise BulletinError(_("Enter a valid e-mail address, like name@example.org."), "email")
    email = email.lower()
    async with write_transaction():
        row = await Subscriber.select().where((Subscriber.email == email) & (Subscriber.community == community_id)).first().run()
        if row and row["confirmed_at"] and not row["unsubscribed_at"]:
            return row, False  # already subscribed: nothing to confirm, and nothing said about it
        if row:
            fresh = row["unsubscribed_at"] is not None or _aware(row["created_at"]) < now - CONFIRM_RESEND_AFTER
            if not fresh:
                return row, False  # a confirmation went out minutes ago
            token = secrets.token_urlsafe(24)
            await Subscriber.update({Subscriber.confirm_token: token, Subscriber.created_at: now, Subscriber.unsubscribed_at: None, Subscriber.confirmed_at: None, Subscriber.language: language}).where(Subscriber.id == row["id"]).run()
            row = {**row, "confirm_token": token, "created_at": now, "unsubscribed_at": None, "confirmed_at": None}
        else:
            values = dict(email=email, community=community_id, language=language, confirm_token=secrets.token_urlsafe(24), unsubscribe_token=secrets.token_urlsafe(24), created_at=now)
            inserted = await Subscriber.insert(Subscriber(**values)).returning(Subscriber.id).run()
            row = {**values, "id": inserted[0]["id"], "confirmed_at": None, "unsubscribed_at": None}
        await record("bulletin_subscriber.requested", "bulletin_subscriber", row["id"], after={"community": community_id})
    return row, True


async def confirm(token: str, now: dt.datetime | None = None) -> dict | None:
    row = await Subscriber.select().where(Subscriber.confirm_token == token).first().run() if token else None
    if not row:
        return None
    if not row["confirmed_at"] or row["unsubscribed_at"]:
        async with write_transaction():
            await Subscriber.update({Subscriber.confirmed_at: now or utcnow(), Subscriber.unsubscribed_at: None}).where(Subscriber.id == row["id"]).run()
            await record("bulletin_subscriber.confirmed", "bulletin_subscriber", row["id"], after={"community": row["community"]})
    return row


async def subscriber_by_unsubscribe_token(token: str) -> dict | None:
    return await Subscriber.select().where(Subscriber.unsubscribe_token == token).first().run() if token else None


async def unsubscribe(token: str, now: dt.datetime | None = None) -> dict | None:
    row = await subscriber_by_unsubscribe_token(token)
    if not row:
        return None
    if not row["unsubscribed_at"]:
        async with write_transaction():
            await Subscriber.update({Subscriber.unsubscribed_at: now or utcnow()}).where(Subscriber.id == row["id"]).run()
            await record("bulletin_subscriber.unsubscribed", "bulletin_subscriber", row["id"], after={"community": row["community"]})
    return row


async def send_confirmation(settings, subscriber: dict, community: dict) -> bool:
    """The double opt-in mail; False when e-mail is not configured or the server failed."""
    from portal.bulletins.render import confirmation_mail
    from portal.notifications.mail import _send, smtp_target

    target = smtp_target(settings.smtp_url)
    if target is None:
        return False
    try:
        await asyncio.to_thread(_send, target, confirmation_mail(settings, subscriber, community))
    except (OSError, smtplib.SMTPException):
        return False
    return True


async def mail_published(settings, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Mail each recently published community bulletin once to each confirmed subscriber.

    A ``bulletin_delivery`` row (unique per bulletin and subscriber) claims the mail, so
    two processes never send it twice; a failed send gives the claim back."""
    from portal.bulletins.render import bulletin_mail
    from portal.notifications.mail import _send, smtp_target

    target = smtp_target(settings.smtp_url)
    if target is None:
        return 0
    now = now or utcnow()
    pending = await Bulletin.raw(
        "SELECT b.id AS bulletin, s.id AS subscriber FROM bulletin b JOIN bulletin_subscriber s ON s.community = b.community "
        "WHERE b.scope = 'community' AND b.status = 'published' AND b.published_at >= {} AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM bulletin_delivery d WHERE d.bulletin = b.id AND d.subscriber = s.id) "
        f"ORDER BY b.id, s.id LIMIT {int(batch)}",
        now - MAIL_MAX_AGE,
    ).run()
    sent = 0
    cache: dict[int, dict] = {}
    for pair in pending:
        claimed = await Delivery.insert(Delivery(bulletin=pair["bulletin"], subscriber=pair["subscriber"], claimed_at=now)).on_conflict(
            target=(Delivery.bulletin, Delivery.subscriber), action="DO NOTHING"
        ).returning(Delivery.id).run()
        if not claimed:
            continue
        if pair["bulletin"] not in cache:
            cache[pair["bulletin"]] = await get(pair["bulletin"])
        subscriber = await Subscriber.select().where(Subscriber.id == pair["subscriber"]).first().run()
        try:
            await asyncio.to_thread(_send, target, bulletin_mail(settings, cache[pair["bulletin"]], subscriber))
        except (OSError, smtplib.SMTPException):
            await Delivery.delete().where(Delivery.id == claimed[0]["id"]).run()
            break  # the server is unwell: the rest waits for the next run
        await Delivery.update({Delivery.sent_at: utcnow()}).where(Delivery.id == claimed[0]["id"]).run()
        sent += 1
    return sent

