"""Rectification notices (责令整改通知书): issuing one for a hazard whose rectification
was requested (numbered per station and year, the station's legal wording copied in,
the deadline and the party from the hazard), withdrawing it, each station's wording,
the lists, and the party's report of the fix from the notice's QR page.

A party's report moves the hazard to ``fixed`` as an officer's "Mark as fixed" would;
the re-inspection that follows is the hazard's own (``portal.logs.rules.transition``),
by someone other than the reporter. Audit rows: ``rectification.*`` on the notice
(object type ``rectification_notice``), the stage change on the log (``log.hazard_stage``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor
from portal.audit.rules import record
from portal.db import is_unique_violation, write_transaction
from portal.followups.reminders import NOT_FIXED, officers_of
from portal.followups.tables import NoticeCounter, NoticeWording, RectificationNotice, RectificationReport
from portal.logs.tables import FieldLog, LogPhoto
from portal.notifications.rules import notify
from portal.stations.tables import Community
from portal.uploads import ProcessedImage, Storage, new_key
from portal.web.i18n import N_
from portal.web.i18n import gettext as _
from portal.web.pagination import Page, keyset_time_page

PARTY_MAX = 200
WORDING_MAX = 4000
NOTE_MAX = 1000
# The stages in which the party may still report the fix (the notice asks for it).
PARTY_MAY_REPORT = NOT_FIXED
# The party's reports: at most this many a day per notice, besides the per-address limit
# of every public form.
REPORTS_PER_NOTICE = (5, dt.timedelta(days=1))
DEFAULT_WORDING = N_(
    "During a safety inspection, the hazard described below was found at premises under your responsibility. "
    "Under the Fire Protection Law of the People's Republic of China and the regulations on fire safety inspections, "
    "you are ordered to rectify it by the deadline below and to report the rectification. "
    "A hazard not rectified by the deadline will be dealt with according to law."
)


class NoticeError(Exception):
    """A rule refused the input; ``field`` names the form field the message belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.timezone.utc) if value is not None and value.tzinfo is None else value


def end_of_day(day: dt.date, zone: str) -> dt.datetime:
    """The instant ``day`` ends in ``zone`` (UTC): from then on the deadline has passed."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


# --- The station's wording ---------------------------------------------------------------


def may_edit_wording(actor: Actor, station_id: int) -> bool:
    """The station's head and administrators keep the legal wording."""
    if actor.has("admin"):
        return True
    return not actor.read_only and any(g.role == "head" and g.station_id == station_id for g in actor.grants)


async def station_of(actor: Actor, station_id: int) -> dict | None:
    """The station if the actor reaches one of its communities as officer or head (or
    keeps its wording); None otherwise."""
    rows = await Community.select(Community.id, Community.station.name_zh, Community.station.name_en).where(Community.station == station_id).run()
    if not rows:
        return None
    if not (may_edit_wording(actor, station_id) or any(actor.reaches(r["id"], "officer") for r in rows)):
        return None
    return {"id": station_id, "name_zh": rows[0]["station.name_zh"], "name_en": rows[0]["station.name_en"]}


async def wording_of(station_id: int) -> dict:
    """The station's wording (``text``, ``updated_at``, ``custom``), the default when it
    has none (in the reader's language)."""
    row = await NoticeWording.select(NoticeWording.text, NoticeWording.updated_at, NoticeWording.updated_by.real_name).where(NoticeWording.station == station_id).first().run()
    if row:
        return {**row, "custom": True}
    return {"text": _(DEFAULT_WORDING), "updated_at": None, "updated_by.real_name": None, "custom": False}


async def save_wording(actor: Actor, station_id: int, text: str, moment: dt.datetime | None = None) -> bool:
    """Keep the station's wording; notices issued before keep theirs. False: not allowed."""
    if not may_edit_wording(actor, station_id):
        return False
    text = (text or "").strip().replace("\r\n", "\n")
    if not text:
        raise NoticeError("text", _("Write the wording of the notice."))
    if len(text) > WORDING_MAX:
        raise NoticeError("text", _("Use at most %(max)d characters.", max=WORDING_MAX))
    moment = moment or utcnow()
    async with write_transaction():
        before = await NoticeWording.select(NoticeWording.id, NoticeWording.text).where(NoticeWording.station == station_id).first().run()
        if before:
            if before["text"] == text:
                return True
            await NoticeWording.update({NoticeWording.text: text, NoticeWording.updated_by: actor.id, NoticeWording.updated_at: moment}).where(NoticeWording.id == before["id"]).run()
        else:
            await NoticeWording.raw(
                "INSERT INTO rectification_wording (station, text, updated_by, updated_at) VALUES ({}, {}, {}, {}) ON CONFLICT (station) DO UPDATE SET text = excluded.text, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at", station_id, text, actor.id, moment,
            ).run()
        await record("rectification.wording", "station", station_id, actor=actor, before={"text": before["text"]} if before else None, after={"text": text})
    return True


# --- Issuing ---------------------------------------------------------------------------------

HAZARD_COLUMNS = (
    FieldLog.id, FieldLog.kind, FieldLog.community, FieldLog.author, FieldLog.hazard_stage, FieldLog.rectification_by, FieldLog.rectification_due,
    FieldLog.category, FieldLog.description, FieldLog.occurred_at, FieldLog.address, FieldLog.community.station, FieldLog.community.timezone,
)


def may_issue(actor: Actor, log: dict) -> bool:
    """Officers and the station head of the hazard's community, once rectification was
    requested (from whom, by when)."""
    return (
        log["kind"] == "hazard" and actor.reaches(log["community"], "officer") and not actor.read_only
        and log["hazard_stage"] == "rectification_requested" and log["rectification_due"] is not None
    )


async def hazard_for_notice(actor: Actor, log_id: int) -> dict | None:
    """The hazard if the actor may issue its notice now, else None."""
    log = await FieldLog.select(*HAZARD_COLUMNS).where(FieldLog.id == log_id).first().run()
    return log if log and may_issue(actor, log) else None


@dataclass(frozen=True)
class Issued:
    notice_id: int
    new: bool  # False: the same form was sent before; nothing was written this time


async def _next_number(station_id: int, year: int) -> int:
    """The station's next number of the year: the counter row is created once and
    incremented by one UPDATE inside the caller's write transaction (SQLite holds the
    write lock, PostgreSQL the row lock, until commit)."""
    await NoticeCounter.raw("INSERT INTO rectification_counter (station, year, last) VALUES ({}, {}, 0) ON CONFLICT (station, year) DO NOTHING", station_id, year).run()
    rows = await NoticeCounter.update({NoticeCounter.last: NoticeCounter.last + 1}).where((NoticeCounter.station == station_id) & (NoticeCounter.year == year)).returning(NoticeCounter.last).run()
    return rows[0]["last"]


async def issue(actor: Actor, log_id: int, party: str, party_address: str, idempotency_key: str, moment: dt.datetime | None = None) -> Issued | None:
    """Issue the hazard's notice to ``party``, by the hazard's rectification deadline, with
    the station's wording; a notice of the same hazard still in force is withdrawn (the new
    one replaces it). None when the actor may not."""
    moment = moment or utcnow()
    party, party_address = (party or "").strip(), (party_address or "").strip()
    if not party:
        raise NoticeError("party", _("Say to whom the notice is addressed."))
    if len(party) > PARTY_MAX:
        raise NoticeError("party", _("Use at most %(max)d characters.", max=PARTY_MAX))
    if len(party_address) > PARTY_MAX:
        raise NoticeError("party_address", _("Use at most %(max)d characters.", max=PARTY_MAX))
    try:
        async with write_transaction():
            again = await RectificationNotice.select(RectificationNotice.id, RectificationNotice.log).where(RectificationNotice.idempotency_key == idempotency_key).first().run()
            if again:
                if again["log"] != log_id:
                    raise NoticeError("party", _("This form was already used for another notice; open the form again."))
                return Issued(again["id"], False)
            log = await FieldLog.select(*HAZARD_COLUMNS).where(FieldLog.id == log_id).first().run()
            if not log or not actor.reaches(log["community"], "officer") or actor.read_only or log["kind"] != "hazard":
                return None
            if not may_issue(actor, log):
                raise NoticeError("party", _("A notice needs the hazard's rectification requested first: who must fix it, and by when."))
            zone, station = log["community.timezone"], log["community.station"]
            year = moment.astimezone(ZoneInfo(zone)).year
            seq = await _next_number(station, year)
            wording = (await wording_of(station))["text"]
            replaced = await RectificationNotice.update({RectificationNotice.withdrawn_at: moment, RectificationNotice.withdrawn_by: actor.id}).where(
                (RectificationNotice.log == log_id) & RectificationNotice.withdrawn_at.is_null()
            ).returning(RectificationNotice.id, RectificationNotice.number).run()
            for old in replaced:
                await record("rectification.withdrawn", "rectification_notice", old["id"], actor=actor, before={"withdrawn_at": None}, after={"withdrawn_at": moment, "replaced": True})
            values = {
                "log": log_id, "community": log["community"], "station": station, "year": year, "seq": seq, "number": f"{year}-{seq:04d}",
                "party": party, "party_address": party_address, "wording": wording, "due_on": log["rectification_due"],
                "due_at": end_of_day(log["rectification_due"], zone), "token": secrets.token_urlsafe(24), "issued_by": actor.id, "issued_at": moment,
                "idempotency_key": idempotency_key,
            }
            row = await RectificationNotice.insert(RectificationNotice(**values)).returning(RectificationNotice.id).run()
            notice_id = row[0]["id"]
            await record("rectification.issued", "rectification_notice", notice_id, actor=actor, after={k: v for k, v in values.items() if k not in ("token", "idempotency_key")})
        return Issued(notice_id, True)
    except Exception as error:
        if is_unique_violation(error):  # the same form twice at once: the other one won
            again = await RectificationNotice.select(RectificationNotice.id).where(RectificationNotice.idempotency_key == idempotency_key).first().run()
            if again:
                return Issued(again["id"], False)
        raise


async def withdraw(actor: Actor, notice_id: int, moment: dt.datetime | None = None) -> bool:
    """Take a notice out of force (issued by mistake); False when it is not the actor's to
    withdraw. Withdrawing one already withdrawn changes nothing."""
    moment = moment or utcnow()
    async with write_transaction():
        row = await RectificationNotice.select(RectificationNotice.id, RectificationNotice.community, RectificationNotice.withdrawn_at).where(RectificationNotice.id == notice_id).first().run()
        if not row or not actor.reaches(row["community"], "officer") or actor.read_only:
            return False
        if row["withdrawn_at"] is None:
            await RectificationNotice.update({RectificationNotice.withdrawn_at: moment, RectificationNotice.withdrawn_by: actor.id}).where(RectificationNotice.id == notice_id).run()
            await record("rectification.withdrawn", "rectification_notice", notice_id, actor=actor, before={"withdrawn_at": None}, after={"withdrawn_at": moment})
    return True


# --- Reading -------------------------------------------------------------------------------

NOTICE_COLUMNS = (
    RectificationNotice.id, RectificationNotice.log, RectificationNotice.community, RectificationNotice.station, RectificationNotice.number,
    RectificationNotice.party, RectificationNotice.party_address, RectificationNotice.wording, RectificationNotice.due_on, RectificationNotice.due_at,
    RectificationNotice.token, RectificationNotice.issued_at, RectificationNotice.withdrawn_at, RectificationNotice.issued_by.real_name,
    RectificationNotice.community.name_zh, RectificationNotice.community.name_en, RectificationNotice.community.timezone,
    RectificationNotice.station.name_zh, RectificationNotice.station.name_en, RectificationNotice.station.phone,
    RectificationNotice.log.hazard_stage, RectificationNotice.log.category, RectificationNotice.log.description, RectificationNotice.log.address,
    RectificationNotice.log.occurred_at, RectificationNotice.log.fixed_at, RectificationNotice.log.landmark.name_zh, RectificationNotice.log.landmark.name_en,
    RectificationNotice.log.watch_point.name_zh, RectificationNotice.log.watch_point.name_en,
)


def state_of(notice: dict, now: dt.datetime) -> str:
    """open · overdue · reported · verified · withdrawn (labels.STATE_LABELS)."""
    stage = notice["log.hazard_stage"]
    if notice["withdrawn_at"] is not None:
        return "withdrawn"
    if stage == "verified":
        return "verified"
    if stage == "fixed":
        return "reported"
    return "overdue" if _aware(notice["due_at"]) <= now else "open"


def _scope(actor: Actor):
    scope = actor.communities("officer")
    if scope is None:
        return None
    return RectificationNotice.community.is_in(sorted(scope)) if scope else RectificationNotice.id == -1


async def notice_for(actor: Actor, notice_id: int, now: dt.datetime | None = None) -> dict | None:
    """The notice if the actor reaches its community as officer or head, with its state,
    the hazard's photos and the party's reports; None otherwise."""
    now = now or utcnow()
    query = RectificationNotice.select(*NOTICE_COLUMNS).where(RectificationNotice.id == notice_id)
    if (scope := _scope(actor)) is not None:
        query = query.where(scope)
    notice = await query.first().run()
    if not notice:
        return None
    notice["state"] = state_of(notice, now)
    # A legal document names its days with their year: the community's local days.
    zone = ZoneInfo(notice["community.timezone"])
    notice["found_on"] = _aware(notice["log.occurred_at"]).astimezone(zone).date()
    notice["issued_on"] = _aware(notice["issued_at"]).astimezone(zone).date()
    notice["may_withdraw"] = notice["withdrawn_at"] is None and not actor.read_only
    notice["photos"] = await LogPhoto.select(LogPhoto.id, LogPhoto.width, LogPhoto.height).where(LogPhoto.log == notice["log"]).order_by(LogPhoto.ordinal).limit(3).run()
    notice["reports"] = await RectificationReport.select(RectificationReport.id, RectificationReport.note, RectificationReport.created_at).where(
        RectificationReport.notice == notice_id
    ).order_by(RectificationReport.id).limit(20).run()
    return notice


async def notices_of_log(log_id: int, now: dt.datetime | None = None) -> list[dict]:
    """The hazard's notices, newest first, with their states (the log's page)."""
    now = now or utcnow()
    rows = await RectificationNotice.select(*NOTICE_COLUMNS).where(RectificationNotice.log == log_id).order_by(RectificationNotice.id, ascending=False).limit(20).run()
    for row in rows:
        row["state"] = state_of(row, now)
    return rows


def _filter(show: str, now: dt.datetime):
    in_force = RectificationNotice.withdrawn_at.is_null()
    return {
        "open": in_force & (RectificationNotice.log.hazard_stage != "verified"),
        "overdue": in_force & RectificationNotice.log.hazard_stage.is_in(list(NOT_FIXED)) & (RectificationNotice.due_at <= now),
        "reported": in_force & (RectificationNotice.log.hazard_stage == "fixed"),
    }.get(show)


async def notices_page(actor: Actor, show: str, after: str | None = None, now: dt.datetime | None = None) -> Page:
    """The notices of the actor's communities: in force, overdue or reported fixed by
    deadline (the soonest first); all of them, the latest deadline first."""
    now = now or utcnow()
    query = RectificationNotice.select(*NOTICE_COLUMNS)
    if (scope := _scope(actor)) is not None:
        query = query.where(scope)
    if (wanted := _filter(show, now)) is not None:
        query = query.where(wanted)
    page = await keyset_time_page(query, RectificationNotice.due_at, RectificationNotice.id, after, descending=show == "all")
    for row in page.rows:
        row["state"] = state_of(row, now)
    return page


async def overdue_count(actor: Actor, now: dt.datetime | None = None) -> int:
    query = RectificationNotice.count().where(_filter("overdue", now or utcnow()))
    if (scope := _scope(actor)) is not None:
        query = query.where(scope)
    return await query.run()


async def report_photo_key(actor: Actor, notice_id: int, report_id: int, thumb: bool) -> str | None:
    if not await notice_for(actor, notice_id):
        return None
    row = await RectificationReport.select(RectificationReport.photo_key, RectificationReport.thumb_key).where(
        (RectificationReport.id == report_id) & (RectificationReport.notice == notice_id)
    ).first().run()
    return (row["thumb_key"] if thumb else row["photo_key"]) if row else None


# --- The party's report ----------------------------------------------------------------------

PUBLIC_COLUMNS = (
    RectificationNotice.id, RectificationNotice.log, RectificationNotice.community, RectificationNotice.number, RectificationNotice.due_on,
    RectificationNotice.due_at, RectificationNotice.withdrawn_at, RectificationNotice.issued_by, RectificationNotice.community.timezone,
    RectificationNotice.community.name_zh, RectificationNotice.community.name_en, RectificationNotice.station.name_zh, RectificationNotice.station.name_en,
    RectificationNotice.station.phone, RectificationNotice.log.hazard_stage, RectificationNotice.log.category, RectificationNotice.log.description,
)


async def notice_by_token(token: str) -> dict | None:
    """What the party's page shows (no names, no photos: the paper notice has them)."""
    if not token or len(token) > 43:
        return None
    notice = await RectificationNotice.select(*PUBLIC_COLUMNS).where(RectificationNotice.token == token).first().run()
    if notice:
        notice["may_report"] = notice["withdrawn_at"] is None and notice["log.hazard_stage"] in PARTY_MAY_REPORT
        notice["reported"] = await RectificationReport.exists().where(RectificationReport.notice == notice["id"]).run()
    return notice


async def reported_with(notice_id: int, idempotency_key: str) -> bool:
    """Whether this form (its key) already brought the notice's report."""
    return await RectificationReport.exists().where((RectificationReport.notice == notice_id) & (RectificationReport.idempotency_key == idempotency_key[:36])).run()


@dataclass(frozen=True)
class Reported:
    report_id: int
    new: bool


async def report_fixed(token: str, note: str, photo: ProcessedImage, storage: Storage, idempotency_key: str, moment: dt.datetime | None = None) -> Reported | None:
    """The party says the hazard is fixed, with a photo: the report is kept, the hazard
    moves to ``fixed`` and the officers are asked to re-inspect. None for an unknown
    token; ``NoticeError`` when the notice takes no report now. The same form sent again
    answers as the first did."""
    moment = moment or utcnow()
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise NoticeError("note", _("Use at most %(max)d characters.", max=NOTE_MAX))
    again = await RectificationReport.select(RectificationReport.id).where(RectificationReport.idempotency_key == idempotency_key).first().run()
    if again:
        return Reported(again["id"], False)
    # Files first, rows second: a row never points at a missing file.
    full_key, thumb_key = new_key("rectification"), new_key("rectification")
    await storage.put(full_key, photo.content)
    await storage.put(thumb_key, photo.thumb)
    try:
        async with write_transaction():
            notice = await RectificationNotice.select(*PUBLIC_COLUMNS, RectificationNotice.log.author).where(RectificationNotice.token == token).first().run()
            if not notice:
                raise _Unknown()
            stage = notice["log.hazard_stage"]
            if notice["withdrawn_at"] is not None:
                raise NoticeError("photo", _("This notice is no longer in force; please call the police station."))
            if stage not in PARTY_MAY_REPORT:
                raise NoticeError("photo", _("The fix of this hazard has already been reported."))
            row = await RectificationReport.insert(RectificationReport(
                notice=notice["id"], note=note, photo_key=full_key, thumb_key=thumb_key, width=photo.width, height=photo.height, idempotency_key=idempotency_key, created_at=moment,
            )).returning(RectificationReport.id).run()
            report_id = row[0]["id"]
            moved = await FieldLog.update({FieldLog.hazard_stage: "fixed", FieldLog.fixed_at: moment, FieldLog.updated_at: moment}).where(
                (FieldLog.id == notice["log"]) & (FieldLog.hazard_stage == stage)
            ).returning(FieldLog.id).run()
            if not moved:
                raise NoticeError("photo", _("The fix of this hazard has already been reported."))
            await record("rectification.reported", "rectification_notice", notice["id"], after={"report": report_id, "note": note})
            await record("log.hazard_stage", "field_log", notice["log"], before={"hazard_stage": stage}, after={"hazard_stage": "fixed", "fixed_at": moment, "reported_by": "party", "notice": notice["number"]})
    except BaseException as error:
        await storage.delete(full_key)
        await storage.delete(thumb_key)
        if isinstance(error, _Unknown):
            return None
        if is_unique_violation(error):
            again = await RectificationReport.select(RectificationReport.id).where(RectificationReport.idempotency_key == idempotency_key).first().run()
            if again:
                return Reported(again["id"], False)
        raise
    people = set(await officers_of(notice["community"])) | ({notice["issued_by"]} if notice["issued_by"] else set())
    for person in sorted(people):
        await notify(
            person, "rectification.reported", N_("Reported fixed: notice %(number)s"),
            N_("The party reports the hazard of notice %(number)s fixed, with a photo. Re-inspect it: someone other than the hazard's reporter confirms the fix on its page."),
            f"/logs/{notice['log']}", dedupe_key=f"rectification-reported:{report_id}:{person}", number=notice["number"],
        )
    return Reported(report_id, True)


class _Unknown(Exception):
    pass
