"""Field log rules: who may log where, creating a log of each kind (idempotent, photos
stored before the row commits), who may see a log and its confidential parties, the
hazard lifecycle as a transition table, the author's answer to a question, and the
lists ("My logs", logs at a watch point).

Functions other features call:
    ``may_view(actor, log)``, ``may_see_parties(actor, log)``, ``visible_log(actor, log_id)``,
    ``transition(actor, log_id, to, ...)``, ``answer_question(actor, log_id, text)``,
    ``add_note(log_id, author_id, kind, text)``, ``history(log_id)``, ``photos_of(log_id)``.
Audit rows use object type ``field_log`` and the log's id.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from portal.accounts.rules import Actor
from portal.audit.rules import entries_for, record
from portal.db import Statement, insert_row, is_unique_violation, write_transaction
from portal.logs.labels import CATEGORY_LABELS, KIND_LABELS, OUTCOME_LABELS, REVIEW_ACTION_LABELS, SEVERITY_LABELS, STAGE_LABELS, STATUS_LABELS  # noqa: F401 - re-exported for pages
from portal.logs.places import generalise, near
from portal.logs.tables import CATEGORIES, HAZARD_STAGES, KINDS, MAX_PHOTOS, OUTCOMES, SEVERITIES, FieldLog, Landmark, LogNote, LogPhoto, MediationParty
from portal.notifications.rules import notify
from portal.shifts.tables import Signup
from portal.stations.tables import Community
from portal.uploads import ProcessedImage, Storage, new_key
from portal.volunteers.facts import volunteer_facts
from portal.watchpoints.tables import WatchPoint
from portal.web.i18n import N_, NC_
from portal.web.i18n import gettext as _
from portal.web.i18n import ngettext
from portal.web.pagination import Page, keyset_page

OBJECT = "field_log"
FUTURE_SLACK = dt.timedelta(minutes=10)  # phone clocks run a little ahead
OLDEST = dt.timedelta(days=60)
MAX_PATROL = dt.timedelta(hours=16)
MAX_PARTIES = 6

# Labels of the audit actions on a log's page; other features add theirs to this dict.
ACTION_LABELS = {"log.created": N_("Logged"), "log.answered": N_("The author answered"), "log.hazard_stage": N_("Hazard stage changed"), **REVIEW_ACTION_LABELS}
NOTE_LABELS = {"comment": N_("Comment"), "question": N_("Question"), "answer": NC_("note kind", "Answer"), "decision": N_("Decision")}

# The hazard lifecycle: stage -> stages it may go to. "verified" and "reopened" are the
# outcomes of a re-inspection, which the reporter may not make.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "reported": ("confirmed",),
    "confirmed": ("rectification_requested", "fixed"),
    "rectification_requested": ("fixed",),
    "fixed": ("verified", "reopened"),
    "reopened": ("rectification_requested", "fixed"),
    "verified": (),
}
RE_INSPECTION = ("verified", "reopened")
TRANSITION_LABELS = {
    "confirmed": N_("Confirm the hazard"), "rectification_requested": N_("Request rectification"), "fixed": N_("Mark as fixed"),
    "verified": N_("Re-inspected: fixed"), "reopened": N_("Re-inspected: not fixed, reopen"),
}
assert set(TRANSITIONS) == set(HAZARD_STAGES)


class LogError(Exception):
    """A rule refused the input; ``field`` names the form field the message belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def local_to_utc(value: dt.datetime, tz: str) -> dt.datetime:
    """A naive local time typed on the form (the community's zone) as UTC."""
    return value.replace(tzinfo=ZoneInfo(tz)).astimezone(dt.timezone.utc)


def utc_to_local(value: dt.datetime, tz: str) -> dt.datetime:
    return _aware(value).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


# --- Who may log, see and act --------------------------------------------------------------


def logging_communities(actor: Actor) -> frozenset[int] | None:
    """Communities the actor logs in: as a volunteer, a host or an officer or head on a
    walk of their own (None: all, admin)."""
    return actor.communities("volunteer", "host", "officer")


async def may_log(actor: Actor) -> bool:
    """Hosts and admins log; a volunteer whose application is pending, rejected or
    suspended does not (users without a volunteer profile were made by an admin)."""
    if actor.has("admin", "host", "officer", "head"):
        return True
    if not actor.has("volunteer"):
        return False
    return (await volunteer_facts(actor.id)).status in ("verified", "none")


def may_view(actor: Actor, log: dict) -> bool:
    """The author, the officers and heads of the log's community, and admins."""
    return log["author"] == actor.id or actor.reaches(log["community"], "officer")


def may_see_parties(actor: Actor, log: dict) -> bool:
    """Names and contacts of mediation parties: officers and the station head of that
    community and admins only — not the author, who typed them, nor the heads above."""
    return actor.sees_personal_data(log["community"])


def may_act_on_hazard(actor: Actor, log: dict) -> bool:
    return log["kind"] == "hazard" and actor.reaches(log["community"], "officer")


def next_stages(actor: Actor, log: dict) -> list[str]:
    """The transitions the page offers this actor (the reporter gets no re-inspection)."""
    if not may_act_on_hazard(actor, log):
        return []
    stages = TRANSITIONS.get(log["hazard_stage"] or "", ())
    return [s for s in stages if not (s in RE_INSPECTION and log["author"] == actor.id)]


# --- Choices for the forms ---------------------------------------------------------------


# The log form's lists and a submission's checks, compiled once per shape (a form is
# opened and sent many times an evening; Piccolo took 1-2 ms to build each query).
def _communities_query(p):
    query = Community.select(Community.id, Community.name_zh, Community.name_en, Community.timezone)
    if p.ids is not None:  # None: every community (an admin)
        query = query.where(Community.id.is_in(p.ids))
    return query.order_by(Community.id).limit(200)


_COMMUNITIES = Statement(_communities_query)
_POINTS = Statement(lambda p: WatchPoint.select(WatchPoint.id, WatchPoint.name_zh, WatchPoint.name_en, WatchPoint.host).where(
    (WatchPoint.community == p.community) & (((WatchPoint.status == "verified") | (WatchPoint.host == p.user)) if p.wide else (WatchPoint.host == p.user))
).order_by(WatchPoint.id).limit(300), literal=("wide",))
_LANDMARKS = Statement(lambda p: Landmark.select(Landmark.id, Landmark.name_zh, Landmark.name_en).where(
    (Landmark.community == p.community) & (Landmark.active == True)  # noqa: E712
).order_by(Landmark.id).limit(300))
_SHIFTS_AROUND = Statement(lambda p: Signup.select(
    Signup.shift, Signup.shift.starts_at, Signup.shift.ends_at, Signup.shift.community, Signup.shift.kind.name, Signup.shift.kind.name_en, Signup.shift.kind.place,
).where(
    (Signup.user == p.user) & Signup.status.is_in(["active", "standin"]) & (Signup.shift.starts_at >= p.since) & (Signup.shift.starts_at <= p.until) & (Signup.shift.status == "open")
).order_by(Signup.shift.starts_at, ascending=False).limit(5))


async def communities_for(actor: Actor) -> list[dict]:
    """The communities the actor logs in (id, names, time zone)."""
    scope = logging_communities(actor)
    if scope is not None and not scope:
        return []
    return await _COMMUNITIES.run(ids=None if scope is None else sorted(scope))


async def points_for(actor: Actor, community_id: int) -> list[dict]:
    """Watch points the actor may log at in the community: a host's own points; for a
    volunteer, an officer or an admin, also the community's verified points."""
    return await _POINTS.run(community=community_id, user=actor.id, wide=actor.reaches(community_id, "volunteer", "officer"))


async def own_points(actor: Actor) -> list[dict]:
    return await WatchPoint.select(WatchPoint.id, WatchPoint.community, WatchPoint.name_zh, WatchPoint.name_en).where(WatchPoint.host == actor.id).order_by(WatchPoint.id).limit(20).run()


async def landmarks_of(community_id: int) -> list[dict]:
    return await _LANDMARKS.run(community=community_id)


async def shifts_around(user_id: int, moment: dt.datetime, hours: int = 18) -> list[dict]:
    """The actor's shifts that started in the last ``hours`` or start within the hour, the
    latest first: what a patrol log belongs to."""
    return await _SHIFTS_AROUND.run(user=user_id, since=moment - dt.timedelta(hours=hours), until=moment + dt.timedelta(hours=1))


# --- Creating ----------------------------------------------------------------------------


@dataclass
class LogData:
    """What a form gives the rules; times are UTC."""

    kind: str
    community_id: int
    occurred_at: dt.datetime
    ended_at: dt.datetime | None = None
    shift_id: int | None = None
    watch_point_id: int | None = None
    landmark_id: int | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    route: str = ""
    points_passed: list[int] = field(default_factory=list)
    category: str = ""
    severity: str | None = None
    description: str = ""
    agreement: str = ""
    people_count: int | None = None
    outcome: str = ""
    handed_over_to: str = ""
    follow_up_on: dt.date | None = None
    nothing_to_report: bool = False
    parties: list[tuple[str, str]] = field(default_factory=list)

    def columns(self) -> dict:
        minutes = None
        if self.kind == "patrol" and self.ended_at:
            minutes = int((self.ended_at - self.occurred_at).total_seconds() // 60)
        return {
            "kind": self.kind, "community": self.community_id, "occurred_at": self.occurred_at, "ended_at": self.ended_at, "minutes": minutes,
            "shift": self.shift_id, "watch_point": self.watch_point_id, "landmark": self.landmark_id, "address": self.address,
            "place": generalise(self.address) or near(self.latitude, self.longitude),
            "latitude": self.latitude, "longitude": self.longitude, "route": self.route, "points_passed": ",".join(str(p) for p in self.points_passed),
            "category": self.category, "severity": self.severity if self.kind == "hazard" else None, "description": self.description,
            "agreement": self.agreement, "people_count": self.people_count, "outcome": self.outcome, "handed_over_to": self.handed_over_to,
            "follow_up_on": self.follow_up_on, "nothing_to_report": self.nothing_to_report,
            "hazard_stage": "reported" if self.kind == "hazard" else None,
        }


async def check(actor: Actor, data: LogData, moment: dt.datetime, photo_count: int = 0) -> None:
    """Every rule the form cannot know: scope, places that must belong to the community,
    times, per-kind requirements. Raises ``LogError`` naming the field."""
    if data.kind not in KINDS:
        raise LogError("kind", _("Choose what you are logging."))
    scope = logging_communities(actor)
    if scope is not None and data.community_id not in scope:
        raise LogError("community", _("You do not log in this community."))
    if data.category and data.category not in CATEGORIES[data.kind]:
        raise LogError("category", _("Choose one of the options."))
    if data.occurred_at > moment + FUTURE_SLACK:
        raise LogError("occurred_at", _("This time is in the future."))
    if data.occurred_at < moment - OLDEST:
        raise LogError("occurred_at", ngettext("This is more than %(days)d day ago; tell your officer instead.", "This is more than %(days)d days ago; tell your officer instead.", OLDEST.days, days=OLDEST.days))
    if data.ended_at:
        if data.ended_at > moment + FUTURE_SLACK:
            raise LogError("ended_at", _("This time is in the future."))
        if data.ended_at <= data.occurred_at:
            raise LogError("ended_at", _("The end must be after the start."))
        if data.ended_at - data.occurred_at > MAX_PATROL:
            raise LogError("ended_at", ngettext("A patrol lasts at most %(hours)d hour.", "A patrol lasts at most %(hours)d hours.", int(MAX_PATROL.total_seconds() // 3600), hours=int(MAX_PATROL.total_seconds() // 3600)))
    if (data.latitude is None) != (data.longitude is None):
        raise LogError("longitude", _("Give both latitude and longitude, or neither."))
    if data.watch_point_id is not None:
        allowed = {p["id"] for p in await points_for(actor, data.community_id)}
        if data.watch_point_id not in allowed:
            raise LogError("watch_point", _("You can only log at your own watch point or a verified one of your community."))
    for point_id in data.points_passed:
        found = await WatchPoint.exists().where((WatchPoint.id == point_id) & (WatchPoint.community == data.community_id)).run()
        if not found:
            raise LogError("points_passed", _("Choose one of the options."))
    if data.landmark_id is not None:
        found = await Landmark.exists().where((Landmark.id == data.landmark_id) & (Landmark.community == data.community_id) & (Landmark.active == True)).run()  # noqa: E712
        if not found:
            raise LogError("landmark", _("Choose one of the options."))
    if data.shift_id is not None:
        mine = {r["shift"] for r in await shifts_around(actor.id, moment, hours=72)}
        if data.shift_id not in mine:
            raise LogError("shift", _("Choose one of your shifts."))
    if data.kind == "hazard":
        if not (data.watch_point_id or data.landmark_id or data.address or data.latitude is not None):
            raise LogError("address", _("Say where: a watch point, a landmark, an address or your position."))
        if data.severity not in SEVERITIES:
            raise LogError("severity", _("Choose one of the options."))
    if data.kind == "help" and not actor.has("volunteer", "officer", "head", "admin") and data.watch_point_id is None:
        raise LogError("watch_point", _("Choose your watch point."))
    if data.kind == "mediation":
        if data.outcome not in OUTCOMES:
            raise LogError("outcome", _("Choose one of the options."))
        if data.follow_up_on and data.follow_up_on < moment.date() - dt.timedelta(days=1):
            raise LogError("follow_up_on", _("The follow-up date cannot be in the past."))
        if len(data.parties) > MAX_PARTIES:
            raise LogError("parties", ngettext("At most %(count)d party.", "At most %(count)d parties.", MAX_PARTIES, count=MAX_PARTIES))
    if data.kind == "publicity" and not (data.watch_point_id or data.landmark_id or data.address):
        raise LogError("address", _("Say where the session was."))
    if photo_count > MAX_PHOTOS or (photo_count and data.kind != "hazard"):
        raise LogError("photos", ngettext("At most %(count)d photo.", "At most %(count)d photos.", MAX_PHOTOS, count=MAX_PHOTOS))


async def log_by_key(idempotency_key: str) -> dict | None:
    return await FieldLog.select(FieldLog.id, FieldLog.author).where(FieldLog.idempotency_key == idempotency_key).first().run()


@dataclass(frozen=True)
class Created:
    log_id: int
    new: bool  # False: the same key was sent before; nothing was written this time


async def create(actor: Actor, data: LogData, idempotency_key: str, photos: list[ProcessedImage] = (), storage: Storage | None = None, moment: dt.datetime | None = None) -> Created:
    """Check and write one log with its parties and photos. The same ``idempotency_key``
    again (double tap, retry, reload) returns the first log and writes nothing."""
    moment = moment or now()
    await check(actor, data, moment, len(photos))
    # Files first, rows second: a row never points at a missing file. If the rows do not
    # commit, the files go again.
    stored: list[tuple[ProcessedImage, str, str]] = []
    if photos:
        assert storage is not None
        for photo in photos:
            full_key, thumb_key = new_key("logs"), new_key("logs")
            await storage.put(full_key, photo.content)
            await storage.put(thumb_key, photo.thumb)
            stored.append((photo, full_key, thumb_key))
    try:
        async with write_transaction(short=True):
            columns = data.columns()
            # One statement guarded by the key's unique index: a resend inserts nothing
            # and only then is the first log looked up.
            row = await insert_row(
                FieldLog,
                {**columns, "author": actor.id, "status": "submitted", "photo_count": len(stored), "idempotency_key": idempotency_key, "created_at": moment, "updated_at": moment},
                on_conflict_do_nothing="idempotency_key",
            )
            if not row:
                again = await log_by_key(idempotency_key)
                if again:
                    raise _Again(again["id"])
                raise RuntimeError("the idempotency key conflicted but its log is gone")
            log_id = row[0]["id"]
            for ordinal, (name, contact) in enumerate(data.parties):
                await MediationParty.insert(MediationParty(log=log_id, name=name, contact=contact, ordinal=ordinal)).run()
            for ordinal, (photo, full_key, thumb_key) in enumerate(stored):
                await LogPhoto.insert(LogPhoto(log=log_id, storage_key=full_key, thumb_key=thumb_key, width=photo.width, height=photo.height, ordinal=ordinal, created_at=moment)).run()
            # The audit names the parties' count, never their names or contacts.
            await record("log.created", OBJECT, log_id, actor=actor, after={**columns, "parties": len(data.parties), "photos": len(stored)})
        return Created(log_id, True)
    except BaseException as error:
        for _photo, full_key, thumb_key in stored:
            await storage.delete(full_key)
            await storage.delete(thumb_key)
        if isinstance(error, _Again):
            return Created(error.log_id, False)
        if is_unique_violation(error):  # another request with the same key won the race
            again = await log_by_key(idempotency_key)
            if again:
                return Created(again["id"], False)
        raise


class _Again(Exception):
    def __init__(self, log_id: int):
        super().__init__(log_id)
        self.log_id = log_id


async def nothing_to_report(actor: Actor, moment: dt.datetime | None = None) -> Created:
    """The one-tap patrol: "nothing to report" for the actor's current or last shift of
    the day, or for now when there is none. Keyed by the shift (or the day), so tapping
    twice logs once."""
    moment = moment or now()
    scope = logging_communities(actor)
    shifts = [s for s in await shifts_around(actor.id, moment) if scope is None or s["shift.community"] in scope]
    if shifts:
        shift = shifts[0]
        start = _aware(shift["shift.starts_at"])
        end = min(_aware(shift["shift.ends_at"]), moment)
        data = LogData(kind="patrol", community_id=shift["shift.community"], occurred_at=min(start, moment), ended_at=end if end > start else None, shift_id=shift["shift"], route=shift["shift.kind.place"] or "", nothing_to_report=True)
        key = f"ntr-{actor.id}-s{shift['shift']}"
    else:
        communities = await communities_for(actor)
        if not communities:
            raise LogError("community", _("You do not log in this community."))
        community = communities[0]
        local_day = utc_to_local(moment, community["timezone"]).date()
        data = LogData(kind="patrol", community_id=community["id"], occurred_at=moment, nothing_to_report=True)
        key = f"ntr-{actor.id}-d{local_day.isoformat()}"
    return await create(actor, data, key, moment=moment)


# --- Reading -----------------------------------------------------------------------------

LOG_COLUMNS = (
    FieldLog.id, FieldLog.kind, FieldLog.community, FieldLog.author, FieldLog.shift, FieldLog.watch_point, FieldLog.landmark, FieldLog.address,
    FieldLog.latitude, FieldLog.longitude, FieldLog.route, FieldLog.points_passed, FieldLog.category, FieldLog.severity, FieldLog.status,
    FieldLog.duplicate_of, FieldLog.reviewed_at, FieldLog.occurred_at, FieldLog.ended_at, FieldLog.minutes, FieldLog.description, FieldLog.agreement,
    FieldLog.people_count, FieldLog.outcome, FieldLog.handed_over_to, FieldLog.follow_up_on, FieldLog.hazard_stage, FieldLog.rectification_by,
    FieldLog.rectification_due, FieldLog.fixed_at, FieldLog.verified_at, FieldLog.verified_by, FieldLog.nothing_to_report, FieldLog.photo_count,
    FieldLog.created_at, FieldLog.updated_at,
    FieldLog.community.name_zh, FieldLog.community.name_en, FieldLog.community.timezone, FieldLog.author.real_name, FieldLog.author.username,
    FieldLog.watch_point.name_zh, FieldLog.watch_point.name_en, FieldLog.landmark.name_zh, FieldLog.landmark.name_en,
    FieldLog.shift.starts_at, FieldLog.verified_by.real_name,
)


async def get_log(log_id: int) -> dict | None:
    return await FieldLog.select(*LOG_COLUMNS).where(FieldLog.id == log_id).first().run()


async def visible_log(actor: Actor, log_id: int) -> dict | None:
    """The log if the actor may see it, else None (the page answers 404 either way)."""
    log = await get_log(log_id)
    return log if log and may_view(actor, log) else None


async def parties_of(log_id: int) -> list[dict]:
    return await MediationParty.select(MediationParty.name, MediationParty.contact).where(MediationParty.log == log_id).order_by(MediationParty.ordinal).run()


async def photos_of(log_id: int) -> list[dict]:
    return await LogPhoto.select(LogPhoto.id, LogPhoto.width, LogPhoto.height, LogPhoto.ordinal).where(LogPhoto.log == log_id).order_by(LogPhoto.ordinal).run()


async def photo_key(log_id: int, photo_id: int, thumb: bool) -> str | None:
    row = await LogPhoto.select(LogPhoto.storage_key, LogPhoto.thumb_key).where((LogPhoto.id == photo_id) & (LogPhoto.log == log_id)).first().run()
    if not row:
        return None
    return row["thumb_key"] if thumb else row["storage_key"]


async def notes_of(log_id: int) -> list[dict]:
    return await LogNote.select(LogNote.id, LogNote.kind, LogNote.text, LogNote.created_at, LogNote.author, LogNote.author.real_name).where(LogNote.log == log_id).order_by(LogNote.id).limit(200).run()


async def history(log_id: int) -> list[dict]:
    """The log's audit trail, oldest first, with ``before``/``after`` as dicts."""
    rows = await entries_for(OBJECT, log_id, limit=100)
    for row in rows:
        for key in ("before", "after"):
            value = row.get(key)
            if isinstance(value, str):
                try:
                    row[key] = json.loads(value)
                except ValueError:
                    row[key] = None
    return list(reversed(rows))


async def points_passed(log: dict) -> list[dict]:
    ids = [int(p) for p in (log["points_passed"] or "").split(",") if p.strip().isdigit()]
    if not ids:
        return []
    return await WatchPoint.select(WatchPoint.id, WatchPoint.name_zh, WatchPoint.name_en).where(WatchPoint.id.is_in(ids)).run()


async def my_logs(actor: Actor, after: int | None = None) -> Page:
    """The author's logs, newest first, with the latest officer note of each."""
    query = FieldLog.select(
        FieldLog.id, FieldLog.kind, FieldLog.category, FieldLog.status, FieldLog.hazard_stage, FieldLog.occurred_at, FieldLog.created_at,
        FieldLog.nothing_to_report, FieldLog.community.timezone, FieldLog.watch_point.name_zh, FieldLog.watch_point.name_en,
    ).where(FieldLog.author == actor.id)
    page = await keyset_page(query, FieldLog.id, after, size=30, descending=True)
    ids = [r["id"] for r in page.rows]
    latest: dict[int, dict] = {}
    if ids:
        notes = await LogNote.select(LogNote.log, LogNote.kind, LogNote.text).where(LogNote.log.is_in(ids) & LogNote.kind.is_in(["comment", "question", "decision"])).order_by(LogNote.id).run()
        for note in notes:
            latest[note["log"]] = note
    for row in page.rows:
        row["note"] = latest.get(row["id"])
    return page


async def open_questions(user_id: int, limit: int = 5) -> list[dict]:
    """The author's logs an officer asked about and that wait for their answer, oldest
    question first, each with the latest question under ``question``."""
    rows = await FieldLog.select(FieldLog.id, FieldLog.kind, FieldLog.occurred_at, FieldLog.community.timezone).where(
        (FieldLog.author == user_id) & (FieldLog.status == "needs_info")
    ).order_by(FieldLog.id).limit(limit).run()
    ids = [r["id"] for r in rows]
    questions: dict[int, dict] = {}
    if ids:
        for note in await LogNote.select(LogNote.log, LogNote.text, LogNote.created_at).where(LogNote.log.is_in(ids) & (LogNote.kind == "question")).order_by(LogNote.id).run():
            questions[note["log"]] = note
    for row in rows:
        row["question"] = questions.get(row["id"])
    return rows


async def logs_at_point(point_id: int, limit: int = 20) -> list[dict]:
    """Help and hazards logged at a watch point, newest first (no confidential fields)."""
    return await FieldLog.select(
        FieldLog.id, FieldLog.kind, FieldLog.category, FieldLog.people_count, FieldLog.hazard_stage, FieldLog.status, FieldLog.occurred_at,
        FieldLog.author, FieldLog.community.timezone,
    ).where((FieldLog.watch_point == point_id) & FieldLog.kind.is_in(["help", "hazard"])).order_by(FieldLog.created_at, ascending=False).order_by(FieldLog.id, ascending=False).limit(limit).run()


# --- Landmarks ------------------------------------------------------------------------------


async def landmarks_for_officer(community_id: int) -> list[dict]:
    return await Landmark.select(Landmark.id, Landmark.name_zh, Landmark.name_en, Landmark.active).where(Landmark.community == community_id).order_by(Landmark.active, ascending=False).order_by(Landmark.id).limit(500).run()


async def add_landmark(actor: Actor, community_id: int, name_zh: str, name_en: str = "") -> int:
    """A named place of the community; the same Chinese name twice is the same landmark
    (a double tap adds one), brought back into use if it was retired."""
    name_zh, name_en = name_zh.strip(), name_en.strip()
    if not actor.reaches(community_id, "officer"):
        raise LogError("name_zh", _("You cannot change this community's landmarks."))
    async with write_transaction():
        same = await Landmark.select(Landmark.id, Landmark.active).where((Landmark.community == community_id) & (Landmark.name_zh == name_zh)).first().run()
        if same:
            if not same["active"]:
                await Landmark.update({Landmark.active: True}).where(Landmark.id == same["id"]).run()
                await record("landmark.reactivated", "landmark", same["id"], actor=actor, before={"active": False}, after={"active": True})
            return same["id"]
        row = await Landmark.insert(Landmark(community=community_id, name_zh=name_zh, name_en=name_en, created_at=now())).returning(Landmark.id).run()
        await record("landmark.added", "landmark", row[0]["id"], actor=actor, after={"community": community_id, "name_zh": name_zh, "name_en": name_en})
        return row[0]["id"]


async def set_landmark_active(actor: Actor, community_id: int, landmark_id: int, active: bool) -> bool:
    """Retire a landmark (old logs keep it) or bring it back; False when it is not the
    community's."""
    if not actor.reaches(community_id, "officer"):
        return False
    async with write_transaction():
        done = await Landmark.update({Landmark.active: active}).where((Landmark.id == landmark_id) & (Landmark.community == community_id)).returning(Landmark.id).run()
        if done:
            await record("landmark.active" if active else "landmark.retired", "landmark", landmark_id, actor=actor, after={"active": active})
    return bool(done)


# --- Notes and the hazard lifecycle --------------------------------------------------------


async def add_note(log_id: int, author_id: int | None, kind: str, text: str, moment: dt.datetime | None = None) -> int:
    """One note row (call inside the caller's transaction, which also audits)."""
    row = await LogNote.insert(LogNote(log=log_id, author=author_id, kind=kind, text=text, created_at=moment or now())).returning(LogNote.id).run()
    return row[0]["id"]


async def answer_question(actor: Actor, log_id: int, text: str, moment: dt.datetime | None = None) -> None:
    """The author answers an officer's "needs more information": the answer is a note, the
    log goes back to the queue as ``submitted`` and the officer who asked is told."""
    moment = moment or now()
    text = (text or "").strip()
    if not text:
        raise LogError("text", _("Write your answer."))
    if len(text) > 2000:
        raise LogError("text", _("Use at most %(max)d characters.", max=2000))
    async with write_transaction():
        log = await FieldLog.select(FieldLog.id, FieldLog.author, FieldLog.status, FieldLog.community).where(FieldLog.id == log_id).first().run()
        if not log or log["author"] != actor.id:
            raise LogError("text", _("This log is not yours."))
        if log["status"] != "needs_info":
            raise LogError("text", _("Nobody is waiting for an answer on this log."))
        await add_note(log_id, actor.id, "answer", text, moment)
        await FieldLog.update({FieldLog.status: "submitted", FieldLog.updated_at: moment}).where(FieldLog.id == log_id).run()
        await record("log.answered", OBJECT, log_id, actor=actor, before={"status": "needs_info"}, after={"status": "submitted", "answer": text})
        asker = await LogNote.select(LogNote.author).where((LogNote.log == log_id) & (LogNote.kind == "question")).order_by(LogNote.id, ascending=False).first().run()
    if asker and asker["author"]:
        await notify(asker["author"], "log.answered", N_("Your question on log #%(id)s was answered"), N_("Open the log to read the answer."), f"/logs/{log_id}", id=log_id)


async def transition(actor: Actor, log_id: int, to: str, *, note: str = "", rectification_by: str = "", rectification_due: dt.date | None = None, moment: dt.datetime | None = None) -> dict:
    """Move a hazard to ``to`` if the table allows it and the actor may: officers and heads
    of the community; a re-inspection (verified / reopened) never by the reporter. Writes,
    audits and tells the reporter. Returns the new stage fields."""
    moment = moment or now()
    note = (note or "").strip()
    if len(note) > 2000:
        raise LogError("note", _("Use at most %(max)d characters.", max=2000))
    async with write_transaction():
        log = await FieldLog.select(FieldLog.id, FieldLog.kind, FieldLog.community, FieldLog.author, FieldLog.hazard_stage, FieldLog.rectification_by, FieldLog.rectification_due).where(FieldLog.id == log_id).first().run()
        if not log or not may_act_on_hazard(actor, log):
            raise LogError("to", _("You cannot change this hazard."))
        stage = log["hazard_stage"]
        if to not in TRANSITIONS.get(stage or "", ()):
            raise LogError("to", _("The hazard has moved on meanwhile; reload the page."))
        if to in RE_INSPECTION and log["author"] == actor.id:
            raise LogError("to", _("Someone other than the reporter must re-inspect the hazard."))
        changes: dict[Any, Any] = {FieldLog.hazard_stage: to, FieldLog.updated_at: moment}
        after: dict[str, Any] = {"hazard_stage": to}
        if to == "rectification_requested":
            rectification_by = (rectification_by or "").strip()
            if not rectification_by:
                raise LogError("rectification_by", _("Say who must fix it."))
            if len(rectification_by) > 200:
                raise LogError("rectification_by", _("Use at most %(max)d characters.", max=200))
            if rectification_due is None:
                raise LogError("rectification_due", _("Give the date it must be fixed by."))
            if rectification_due < moment.date() - dt.timedelta(days=1):
                raise LogError("rectification_due", _("The date cannot be in the past."))
            changes.update({FieldLog.rectification_by: rectification_by, FieldLog.rectification_due: rectification_due})
            after.update({"rectification_by": rectification_by, "rectification_due": rectification_due})
        if to == "fixed":
            changes[FieldLog.fixed_at] = moment
            after["fixed_at"] = moment
        if to == "verified":
            changes.update({FieldLog.verified_at: moment, FieldLog.verified_by: actor.id})
            after.update({"verified_at": moment, "verified_by": actor.id})
        if to == "reopened":
            changes.update({FieldLog.fixed_at: None, FieldLog.verified_at: None, FieldLog.verified_by: None})
        # The stage in the WHERE makes two officers acting at once one transition.
        done = await FieldLog.update(changes).where((FieldLog.id == log_id) & (FieldLog.hazard_stage == stage)).returning(FieldLog.id).run()
        if not done:
            raise LogError("to", _("The hazard has moved on meanwhile; reload the page."))
        if note:
            await add_note(log_id, actor.id, "comment", note, moment)
            after["note"] = note
        await record("log.hazard_stage", OBJECT, log_id, actor=actor, before={"hazard_stage": stage}, after=after)
    if log["author"] and log["author"] != actor.id:
        await notify(log["author"], "log.hazard_stage", N_("The hazard you reported (#%(id)s) moved on"), N_("Open the log to see what changed."), f"/logs/{log_id}", id=log_id)
    return after

