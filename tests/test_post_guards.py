"""Every POST that creates or changes data, sent with a VALID, complete form by each
actor who must be refused: the refusal's answer, and nothing changed.

``tests/test_route_guards.py`` posts empty forms, which form validation refuses anyway:
a guard that only the GET handler has goes unnoticed there. Here each case posts the
form its allowed actor gets accepted — and the test proves it: after the refused posts
the allowed actor sends the same form, which must answer as a success and change the
database (so a body that no longer validates fails the test instead of passing it).

Before and after each refused post: the row count of every table, the whole content of
the tables the case names in ``watch`` (the rows the route would change), and the files
in the upload storage. Actors (created when a case names them):

- ``anonymous``; ``volunteer`` and ``volunteer_b``: verified volunteers of the first
  community; ``volunteer_pending`` / ``_rejected`` / ``_suspended``: volunteers of the
  first community whose profile has that status; ``volunteer_other``: a verified
  volunteer of the other station's community;
- ``host`` and ``host_b``: hosts of the first community, each with a verified watch
  point of their own (``point_host``, ``point_host_b``); ``host_unverified``: a host
  whose only point still waits for the officer's visit;
- ``officer`` and ``officer_b``: officers of the first community; ``officer_other``: an
  officer of the second community of the same station; ``head``: the station's head;
  ``head_other``: the other station's head; ``admin``; ``head_district`` and
  ``head_city``: the heads of the first station's district and of the city, who read
  everything below them and change nothing;
- Open311 clients, without a session: ``api_client`` (a valid key), ``no_key``,
  ``unknown_key``, ``revoked_key``, ``other_client`` (a valid key of another application).

Not here, reachable by everyone by design: ``/login``, ``/language``, ``/logout``, the
public intake form ``/c/{code}/ask/{kind}``, ``/c/{code}/subscribe``, the bulletin
confirm/unsubscribe tokens and ``/track/{code}/answer`` (the secret in the URL is the
guard; unknown codes are 404 in test_route_guards), and ``/satisfaction/{token}`` (the
answer e-mail's signed link: the same, its tests are in test_ledger_closing), and the party's
report of a fix ``/rectify/{token}`` behind a rectification notice's QR code (its tests are in
test_followups). Not here either, because they have
no form at all (the empty post of test_route_guards is the complete request) and act only
on the actor's own data: ``/inbox/read-all``. Everything else that writes is a case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import uuid
from typing import Any, Awaitable, Callable

import pytest
from PIL import Image

from portal import db
from portal.accounts.rules import load_actor
from portal.accounts.tables import RoleGrant, User, UserSession
from portal.boards.tables import Board
from portal.bulletins.tables import Bulletin, Tip
from portal.care.tables import CareAssignment, CarePerson, CareVisit
from portal.councils.tables import CouncilRepresentative, CouncilResolution, CouncilSession
from portal.pairings.tables import Pairing, PairingContact, PairingOpinion
from portal.ledger.tables import Holiday, LedgerAnswerTemplate, LedgerCallback, LedgerDeadlineRule, LedgerItem, LedgerReferral, LedgerSavedView, LedgerStation
from portal.logs import review
from portal.logs import rules as log_rules
from portal.followups.tables import MediationFollowUp, NoticeWording, RectificationNotice
from portal.logs.tables import FieldLog, Landmark, LogNote
from portal.notices.tables import Notice
from portal.notifications.tables import Notification
from portal.open311.tables import ApiKey
from portal.public.tables import Intake
from portal.reception.tables import Phrase, Room
from portal.reception.tables import Visit
from portal.imports import rules as import_rules
from portal.imports.tables import ImportBatch
from portal.shifts import rules as shift_rules
from portal.stations.tables import Community
from portal.shifts.tables import CalendarToken, RosterTemplate, Shift, ShiftKind, ShiftStanding, Signup
from portal.volunteers.tables import VolunteerProfile, VolunteerSkill
from portal.watchpoints.tables import DutySlot, OfficerPhoto, WatchPoint
from tests.conftest import PASSWORD, ensure_csrf, http_client, log_in, post_form
from tests.imports_helpers import VOLUNTEER_HEADER, XLSX, xlsx
from tests.test_admin_routes import new_user_form
from tests.test_logs_routes import make_point, valid
from tests.test_route_guards import _bulletin_objects, _ledger_objects, _log_objects, _notice_objects, _shift_objects
from tests.test_shifts_routes import KIND, a_shift
from tests.test_watchpoints_routes import application

LOGIN = "login"  # 303 to /login?next=…
HOME = "home"  # 303 to / (a logged-in person posting the public application)
FUTURE = (dt.date.today() + dt.timedelta(days=200)).isoformat()
BOARD_FORM = {"code": "", "place_kind": "market", "name_zh": "西关菜市场", "name_en": "Xiguan market", "address": "", "shows": ["officers", "qr"]}


def jpeg(width: int = 60, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


# --- Actors --------------------------------------------------------------------------------


class Ctx:
    """One test's world: the area, the ids of the objects the case set up (``ids``, used to
    fill the path), and the actors, made and logged in when first asked for."""

    def __init__(self, app, area, make_user, make_volunteer):
        self.app, self.area = app, area
        self._make_user, self._make_volunteer = make_user, make_volunteer
        self.users: dict[str, int] = {}
        self.clients: dict[str, Any] = {}
        self.actor_name = ""  # the actor whose body is being built
        self.ids: dict[str, Any] = {
            "community": area.community_id, "other_community": area.other_community_id, "station": area.station_id,
            "other_station": area.other_station_id, "other_station_community": area.other_station_community_id,
        }

    async def user(self, name: str) -> int | None:
        if name in self.users:
            return self.users[name]
        area, username = self.area, f"as-{name}".replace("_", "-")
        if name in OPEN311_CLIENTS or name == "anonymous":
            return None
        if name in ("volunteer", "volunteer_b"):
            user_id = await self._make_volunteer(username=username)
        elif name.startswith("volunteer_") and name != "volunteer_other":
            user_id = await self._make_volunteer(username=username, verified=False, status=name.removeprefix("volunteer_"))
        elif name == "volunteer_other":
            user_id = await self._make_volunteer(username=username, community_id=area.other_station_community_id)
        elif name in ("host", "host_b", "host_unverified"):
            user_id = await self._make_user("host", username=username)
            status = "pending" if name == "host_unverified" else "verified"
            self.ids[f"point_{name}"] = await make_point(area.community_id, user_id, status=status)
        elif name in ("officer", "officer_b"):
            user_id = await self._make_user("officer", username=username)
        elif name == "officer_other":
            user_id = await self._make_user("officer", username=username, community_id=area.other_community_id)
        elif name == "head":
            user_id = await self._make_user("head", username=username)
        elif name == "head_other":
            user_id = await self._make_user("head", username=username, station_id=area.other_station_id)
        elif name == "head_district":
            user_id = await self._make_user("district_head", username=username)
        elif name == "head_city":
            user_id = await self._make_user("city_head", username=username)
        elif name == "admin":
            user_id = await self._make_user("admin", username=username)
        else:
            raise KeyError(name)
        self.users[name] = user_id
        self.ids[name] = user_id
        return user_id

    async def actor(self, name: str):
        return await load_actor(await self.user(name))

    async def client(self, name: str):
        if name not in self.clients:
            user_id = await self.user(name)
            client = http_client(self.app)
            await client.__aenter__()
            self.clients[name] = client
            if user_id is not None:
                await log_in(client, (await User.select(User.username).where(User.id == user_id).first().run())["username"])
            await ensure_csrf(client)
        return self.clients[name]

    async def close(self) -> None:
        for client in self.clients.values():
            await client.__aexit__(None, None, None)


OPEN311_CLIENTS = ("api_client", "no_key", "unknown_key", "revoked_key", "other_client")

# Refused-actor sets that many cases share.
OVERSEERS = {"head_district": 403, "head_city": 403}  # they read, never write
OFFICERS_ONLY = {"volunteer": 403, "host": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN, **OVERSEERS}  # community in the path
OFFICERS_OF_THE_OBJECT = {"volunteer": 403, "host": 403, "officer_other": 404, "head_other": 404, "anonymous": LOGIN, **OVERSEERS}
ADMIN_ONLY = {"volunteer": 403, "host": 403, "officer": 403, "head": 403, "anonymous": LOGIN, **OVERSEERS}
NOT_ALLOWED_TO_LOG = {"volunteer_pending": 403, "volunteer_rejected": 403, "volunteer_suspended": 403, "volunteer_other": 422, "anonymous": LOGIN}
# Heads above a station publish their own roll-ups, so they pass the bulletins' guard and
# find no community bulletin they may change.
COMMUNITY_BULLETIN = OFFICERS_OF_THE_OBJECT | {"head_district": 404, "head_city": 404}
# A visit at the first community's desk: only its officers and the station head see it.
RECEPTION_VISIT = {"volunteer": 404, "host": 404, "officer_other": 404, "head_other": 404, "anonymous": LOGIN, **OVERSEERS}
OWN_SHIFT = {"volunteer_b": 409, "officer": 403, "volunteer_other": 404, "anonymous": LOGIN}  # volunteer_b is not signed up


@dataclasses.dataclass
class Case:
    id: str
    path: str  # ``{name}`` filled from ``ctx.ids``
    body: Callable[[Ctx], dict]
    allowed: str
    refused: dict[str, Any]  # actor -> 403, 404, 409, 422, 200, LOGIN or HOME
    watch: tuple  # the tables the route writes: their whole content must not change, and the allowed post must change it
    setup: Callable[[Ctx], Awaitable[None]] | None = None
    files: Callable[[Ctx], dict] | None = None  # multipart upload
    ok: tuple[int, ...] = (303,)  # the allowed actor's answer
    raw: bool = False  # a plain post without the CSRF field (the Open311 API)
    ignore: tuple[str, ...] = ()  # tables whose count a refused post may change
    marks: tuple = ()  # e.g. pytest.mark.xfail(strict=True, reason=…) for a route found unguarded


def case(*args, **kwargs):
    made = Case(*args, **kwargs)
    return pytest.param(made, id=made.id, marks=made.marks)


# --- Set-ups -------------------------------------------------------------------------------


async def with_hazard(c: Ctx) -> None:
    """The volunteer's hazard (with a photo, submitted, stage "reported") and a landmark."""
    c.ids.update(await _log_objects(c.app, c.area.community_id, await c.user("volunteer")))
    row = await FieldLog.select(FieldLog.updated_at).where(FieldLog.id == c.ids["log"]).first().run()
    c.ids["version"] = review.version_of(row)


async def a_log(c: Ctx, author: str = "volunteer_b", key: str = "second") -> int:
    data = log_rules.LogData(kind="publicity", community_id=c.area.community_id, occurred_at=log_rules.now() - dt.timedelta(hours=2), category="anti_fraud", people_count=30, address="Hall")
    return (await log_rules.create(await c.actor(author), data, f"post-guards-{key}")).log_id


async def with_reception_visit(c: Ctx) -> None:
    """A verified reception room of the first community and a consultation its second
    officer logged at the desk."""
    from portal.reception.tables import Room
    from portal.reception.visits import VisitData, log_visit

    now = dt.datetime.now(dt.timezone.utc)
    c.ids["room"] = (await Room.insert(Room(community=c.area.community_id, slug="guard-room", name_zh="会客厅", status="verified", idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now)).returning(Room.id).run())[0]["id"]
    c.ids["visit"] = (await log_visit(await c.actor("officer_b"), c.ids["room"], VisitData(category="consultation", note="Where is the clinic?"), str(uuid.uuid4()))).visit_id


async def with_room(c: Ctx, status: str = "pending") -> None:
    """A reception room of the first community (waiting for verification, or as asked)."""
    now = dt.datetime.now(dt.timezone.utc)
    verified_at = now if status != "pending" else None
    c.ids["room"] = (await Room.insert(Room(community=c.area.community_id, slug="post-guard-room", name_zh="会客厅", status=status, verified_at=verified_at, idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now)).returning(Room.id).run())[0]["id"]


async def with_suspended_room(c: Ctx) -> None:
    await with_room(c, "suspended")


async def with_phrase(c: Ctx) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    c.ids["phrase"] = (await Phrase.insert(Phrase(station=c.area.station_id, situation="taxi", text_zh="我帮您叫出租车。", text_en="I will call a taxi.", created_at=now, updated_at=now)).returning(Phrase.id).run())[0]["id"]


def room_form(c: Ctx) -> dict:
    form = {"idempotency_key": str(uuid.uuid4()), "kind": "community", "community": str(c.area.community_id), "name_zh": "西关会客厅", "name_en": "Xiguan room",
            "address": "西关大街 1 号", "services": ["consultation"], "amenities": ["water"], "languages": ["zh", "en"], "closed_dates": ""}
    for day in range(7):
        form[f"mode_{day}"] = "24h"
    return form


PHRASE_FORM = {"situation": "directions", "text_zh": "往前走五百米。", "text_en": "Walk 500 metres ahead.", "position": "1"}
OF_THE_STATION = {"volunteer": 403, "host": 403, "head_other": 404, "anonymous": LOGIN, **OVERSEERS}


async def with_two_logs(c: Ctx) -> None:
    await with_hazard(c)
    c.ids["original"] = await a_log(c)


async def with_question(c: Ctx) -> None:
    """The volunteer's hazard, on which an officer asked for more information."""
    await with_hazard(c)
    await review.ask_for_information(await c.actor("officer"), c.ids["log"], None, "Which floor?")


async def with_landmark(c: Ctx, active: bool = True) -> None:
    row = await Landmark.insert(Landmark(community=c.area.community_id, name_zh="菜市场", active=active, created_at=log_rules.now())).returning(Landmark.id).run()
    c.ids["landmark"] = row[0]["id"]


IMPORT_FILE = xlsx([VOLUNTEER_HEADER, ["张伟", "13800138000", "a", "", "是", ""]])


def import_file(c: Ctx) -> dict:
    return {"file": ("v.xlsx", IMPORT_FILE, XLSX)}


async def with_import_preview(c: Ctx) -> None:
    """The officer's previewed file of one new volunteer."""
    actor = await c.actor("officer")
    c.ids["import_token"] = await import_rules.start(actor, "volunteers", "v.xlsx", IMPORT_FILE, "en")
    await import_rules.preview(actor, c.ids["import_token"])


async def with_import_done(c: Ctx) -> None:
    """The same, imported: its one-time password waits to be erased."""
    await with_import_preview(c)
    actor = await c.actor("officer")
    assert await import_rules.claim(actor, c.ids["import_token"]) == "claimed"
    await import_rules.run_import(actor, c.ids["import_token"])


async def with_retired_landmark(c: Ctx) -> None:
    await with_landmark(c, active=False)


async def with_kind(c: Ctx) -> None:
    c.ids["kind"] = await shift_rules.create_kind(None, c.area.community_id, KIND)


async def with_roster(c: Ctx) -> None:
    c.ids.update(await _shift_objects(c.area.community_id, await c.user("volunteer_b")))


async def with_open_shift(c: Ctx) -> None:
    """A shift in a day of a kind open to volunteers and hosts: nobody on it yet."""
    kind = await shift_rules.create_kind(None, c.area.community_id, {**KIND, "open_to": "both"})
    starts = shift_rules.utcnow() + dt.timedelta(days=1)
    row = await Shift.insert(Shift(community=c.area.community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=3, taken=0, created_at=shift_rules.utcnow())).returning(Shift.id).run()
    c.ids["shift"] = row[0]["id"]


async def with_my_shift(c: Ctx, starts_in: dt.timedelta = dt.timedelta(days=1)) -> None:
    """The volunteer signed up for a shift."""
    c.ids["shift"] = await a_shift(c.area.community_id, starts_in=starts_in)
    await shift_rules.sign_up(await c.user("volunteer"), c.ids["shift"])


async def with_my_shift_soon(c: Ctx) -> None:
    await with_my_shift(c, dt.timedelta(minutes=10))


async def with_my_shift_checked_in(c: Ctx) -> None:
    c.ids["shift"] = await a_shift(c.area.community_id, starts_in=dt.timedelta(minutes=-30))
    now = shift_rules.utcnow()
    await Signup.insert(Signup(shift=c.ids["shift"], user=await c.user("volunteer"), status="active", queued_at=now, checked_in_at=now - dt.timedelta(minutes=30), updated_at=now)).run()


async def with_past_signup(c: Ctx) -> None:
    """volunteer_b on a shift that is over (no-shows and hours)."""
    c.ids["shift"] = await a_shift(c.area.community_id, starts_in=dt.timedelta(hours=-4))
    now = shift_rules.utcnow()
    row = await Signup.insert(Signup(shift=c.ids["shift"], user=await c.user("volunteer_b"), status="active", queued_at=now, updated_at=now)).returning(Signup.id).run()
    c.ids["signup"] = row[0]["id"]


async def with_blocked_volunteer(c: Ctx) -> None:
    """volunteer_b with as many unexcused no-shows as block sign-up."""
    user_id, now = await c.user("volunteer_b"), shift_rules.utcnow()
    for index in range(c.app.state.settings.shift_max_no_shows):
        shift = await a_shift(c.area.community_id, starts_in=dt.timedelta(hours=-5 - 3 * index))
        await Signup.insert(Signup(shift=shift, user=user_id, status="active", no_show="unexcused", no_show_reason="no answer", queued_at=now, updated_at=now)).run()


async def with_kept_shift(c: Ctx) -> None:
    """A daily roster moved to 18:00 after volunteer_b signed up for its last shift: that
    shift is kept, flagged, waiting for the officer's decision."""
    kind = await shift_rules.create_kind(None, c.area.community_id, KIND)
    starts_on = shift_rules.utcnow().date() + dt.timedelta(days=2)
    week = {"weekdays": list(range(7)), "start_time": "19:00", "end_time": "21:00", "min_people": 1, "max_people": 2, "weeks_ahead": 1, "starts_on": starts_on}
    template = await shift_rules.create_template(None, c.area.community_id, kind, week)
    shift = (await Shift.select(Shift.id).where(Shift.template == template).order_by(Shift.starts_at, ascending=False).first().run())["id"]
    await shift_rules.sign_up(await c.user("volunteer_b"), shift)
    await shift_rules.update_template(None, c.area.community_id, template, {**week, "start_time": "18:00", "end_time": "20:00"})
    assert (await Shift.select(Shift.mismatch).where(Shift.id == shift).first().run())["mismatch"]
    c.ids.update(template=template, shift=shift)


async def with_host_point(c: Ctx) -> None:
    await c.user("host")  # the host's verified point: ids["point_host"]


async def with_suspended_point(c: Ctx) -> None:
    await c.user("host")
    await WatchPoint.update({WatchPoint.status: "suspended", WatchPoint.verified_at: shift_rules.utcnow()}).where(WatchPoint.id == c.ids["point_host"]).run()


async def with_duty_slot(c: Ctx) -> None:
    from portal.watchpoints import duty

    slot = duty.Slot(await c.user("officer"), dt.time(8), dt.time(17), weekday=0)
    c.ids["slot"] = await duty.add_slot(await c.actor("officer"), c.area.community_id, slot, "Asia/Shanghai")


async def with_board(c: Ctx, retired: bool = False) -> None:
    """A board of the first community's registry."""
    from portal.boards.tables import Board

    now = shift_rules.utcnow()
    row = await Board.insert(Board(community=c.area.community_id, code="B-0001", name_zh="3号楼楼道", place_kind="stairwell", retired_at=now if retired else None, created_at=now, updated_at=now)).returning(Board.id).run()
    c.ids["board"] = row[0]["id"]


async def with_retired_board(c: Ctx) -> None:
    await with_board(c, retired=True)


async def with_officer_photo(c: Ctx) -> None:
    from portal.uploads import process_image, storage_for
    from portal.watchpoints import photos

    officer = await c.user("officer")
    await photos.set_photo(await c.actor("officer"), officer, process_image(jpeg()), storage_for(c.app.state.settings))


async def with_intake(c: Ctx) -> None:
    from portal.public.rules import create_intake

    await create_intake(kind="help", community_id=c.area.community_id, point_id=None, text="My father is lost", contact_name="", contact_phone="", language="en", idempotency_key=str(uuid.uuid4()))
    c.ids["intake"] = (await Intake.select(Intake.id).first().run())["id"]


async def with_notice(c: Ctx) -> None:
    c.ids["notice"] = await _notice_objects(c.area.community_id)


def notice_form(c: Ctx) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "community": str(c.area.community_id), "kind": "missing_person", "title": "Missing: boy, 8", "body": "Red coat", "lasts": "today"}


async def with_council(c: Ctx) -> None:
    """A representative of the first station, a session of its first community with them
    invited, and a resolution of it owned by ``officer``."""
    from portal.councils import rules as council_rules

    officer = await c.actor("officer")
    c.ids["representative"] = await council_rules.add_representative(officer, c.area.station_id, council_rules.RepresentativeData("王代表", "npc_deputy", phone="13800001111"), str(uuid.uuid4()))
    data = council_rules.SessionData(community_id=c.area.community_id, held_on=dt.date.today(), topic="校园安全", invited=(c.ids["representative"],))
    c.ids["session"] = await council_rules.create_session(officer, c.area.station_id, data, str(uuid.uuid4()))
    matter = council_rules.ResolutionData(matter="学校门口拥堵", decision="派人疏导", owner_id=officer.id, due_on=dt.date.today() + dt.timedelta(days=7))
    c.ids["resolution"] = await council_rules.add_resolution(officer, c.ids["session"], matter, str(uuid.uuid4()))


async def with_pairing(c: Ctx) -> None:
    """A pairing of ``officer`` with a school of the first community, and a visit to it."""
    from portal.pairings import rules as pairing_rules

    officer = await c.actor("officer")
    data = pairing_rules.PairingData(community_id=c.area.community_id, kind="unit", unit_kind="school", name="西关小学", started_on=dt.date.today() - dt.timedelta(days=3))
    c.ids["pairing"] = await pairing_rules.create_pairing(officer, data, str(uuid.uuid4()))
    c.ids["contact"] = await pairing_rules.add_contact(officer, c.ids["pairing"], pairing_rules.ContactData(dt.date.today(), "visit"), str(uuid.uuid4()))


async def with_retired_representative(c: Ctx) -> None:
    """``with_council``, its representative taken off the register."""
    from portal.councils import rules as council_rules

    await with_council(c)
    await council_rules.retire_representative(await c.actor("officer"), c.ids["representative"])


# Only the pairing's own officer writes; its station head and heads above only read it.
PAIRING_WRITERS = {"volunteer": 403, "host": 403, "officer_b": 404, "officer_other": 404, "head": 403, "head_other": 404, "admin": 403, "anonymous": LOGIN, **OVERSEERS}


def council_session_form(c: Ctx) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "community": str(c.area.community_id), "held_on": dt.date.today().isoformat(), "topic": "交通", "other_attendees": "2", "minutes": "纪要", "version": "1"}


async def with_ledger_item(c: Ctx) -> None:
    c.ids["item"] = await _ledger_objects(c.area.community_id)
    c.ids["item_version"] = (await LedgerItem.select(LedgerItem.version).where(LedgerItem.id == c.ids["item"]).first().run())["version"]


async def with_ledger_feedback(c: Ctx) -> None:
    """A complaint answered by officer_b (accountable), waiting for the person."""
    from portal.ledger import rules as ledger_rules

    c.ids["item"] = await _ledger_objects(c.area.community_id)
    owner = await c.actor("officer_b")
    await ledger_rules.transition(c.ids["item"], "assigned", owner, officer_id=owner.id)
    await ledger_rules.transition(c.ids["item"], "in_progress", owner)
    await ledger_rules.transition(c.ids["item"], "handled", owner, "Spoke to the neighbour")
    await ledger_rules.set_public_text(owner, c.ids["item"], "Noise at night", "")
    await ledger_rules.transition(c.ids["item"], "feedback_given", owner, "We spoke to your neighbour")
    c.ids["item_version"] = (await LedgerItem.select(LedgerItem.version).where(LedgerItem.id == c.ids["item"]).first().run())["version"]


async def with_ledger_referral(c: Ctx) -> None:
    """A complaint referred to the street office, waiting for its answer."""
    from portal.ledger import referrals as ledger_referrals

    await with_ledger_item(c)
    c.ids["referral"] = await ledger_referrals.add_referral(await c.actor("officer_b"), c.ids["item"], "street_office", "Xiguan street office", dt.date(2025, 1, 2))
    c.ids["item_version"] += 1


async def with_answer_template(c: Ctx) -> None:
    from portal.ledger import answer_templates as ledger_answer_templates

    c.ids["template"] = await ledger_answer_templates.save_template(await c.actor("officer_b"), c.area.station_id, "noise", "en", "Noise", "We spoke to them.")


async def with_saved_view(c: Ctx) -> None:
    from portal.ledger.saved_views import save_view

    c.ids["view"] = await save_view(await c.actor("officer"), "Noise", {"stage": "open", "category": "noise"})


async def with_log_to_escalate(c: Ctx) -> None:
    c.ids["log"] = await a_log(c)


async def with_holiday(c: Ctx) -> None:
    from portal.ledger.rules import add_holiday

    await add_holiday(await c.actor("admin"), dt.date(2030, 10, 1), "National Day", False)


async def with_target_user(c: Ctx) -> None:
    """volunteer_b is the user the admin acts on."""
    await c.user("volunteer_b")
    c.ids["grant"] = (await RoleGrant.select(RoleGrant.id).where(RoleGrant.user == c.ids["volunteer_b"]).first().run())["id"]


async def with_deactivated_user(c: Ctx) -> None:
    await with_target_user(c)
    await User.update({User.active: False}).where(User.id == c.ids["volunteer_b"]).run()


async def with_api_keys(c: Ctx) -> None:
    from portal.open311 import rules as open311

    admin = await c.actor("admin")
    c.ids["key_id"], c.ids["api_key"] = await open311.issue_key(admin, "Residents' app", None)
    revoked_id, c.ids["revoked_key"] = await open311.issue_key(admin, "Old app", None)
    await open311.revoke_key(admin, revoked_id)
    c.ids["other_key_id"], c.ids["other_key"] = await open311.issue_key(admin, "Another app", None)


async def with_open311_answer_awaited(c: Ctx) -> None:
    """A request POSTed with the api_client's key and answered: waiting for the person."""
    from portal.ledger import rules as ledger_rules
    from portal.open311 import rules as open311

    await with_api_keys(c)
    item = await open311.create_request(await open311.key_for(c.ids["api_key"]), open311_request(c), "en")
    c.ids["open311_number"] = item["number"]
    owner = await c.actor("officer_b")
    for to in ("assigned", "in_progress", "handled"):
        await ledger_rules.transition(item["id"], to, owner, "Spoke to the shop", officer_id=owner.id)
    await ledger_rules.set_public_text(owner, item["id"], "Noise at night", "")
    await ledger_rules.transition(item["id"], "feedback_given", owner, "We spoke to the shop")


async def with_bulletin(c: Ctx) -> None:
    c.ids.update(await _bulletin_objects(c.area))


async def with_published_bulletin(c: Ctx) -> None:
    from portal.bulletins import rules as bulletins

    await with_bulletin(c)
    await bulletins.publish(await c.actor("officer"), c.ids["bulletin"])


async def with_tip(c: Ctx) -> None:
    from portal.bulletins.demo import seed_tips

    await seed_tips()
    c.ids["tip"] = (await Tip.select(Tip.id).first().run())["id"]


def with_profile_of(name: str):
    async def setup(c: Ctx) -> None:
        user_id = await c.user(name)
        c.ids["profile"] = (await VolunteerProfile.select(VolunteerProfile.id).where(VolunteerProfile.user == user_id).first().run())["id"]

    return setup


async def with_notification(c: Ctx) -> None:
    from portal.notifications.rules import notify

    await notify(await c.user("volunteer"), "test", "Your shift moved", "", "/shifts/mine")
    c.ids["notification"] = (await Notification.select(Notification.id).first().run())["id"]


# --- Bodies --------------------------------------------------------------------------------


def log_form(kind: str, **extra):
    return lambda c: {**valid(kind, c.area.community_id), **extra}


def hazard_photo(c: Ctx) -> dict:
    return {"photos": ("hazard.jpg", jpeg(), "image/jpeg")}


def front_photo(c: Ctx) -> dict:
    return {"photo": ("front.jpg", jpeg(), "image/jpeg")}


def hours_form(c: Ctx) -> dict:
    form = {"closed_dates": "2027-02-17"}
    for day in range(7):
        form.update({f"mode_{day}": "open", f"opens_{day}": "09:00", f"closes_{day}": "20:00"})
    return form


def kind_form(c: Ctx) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "kind": "patrol", "name": "Night patrol", "place": "Xiguan Street", "min_people": "1", "max_people": "3", "open_to": "volunteers", "buddy_min": "0", "watch_point": "0", "active": "y"}


def roster_form(c: Ctx) -> dict:
    return {
        "idempotency_key": str(uuid.uuid4()), "kind": str(c.ids["kind"]), "weekdays": ["2", "4"], "start_time": "19:00", "end_time": "21:00",
        "min_people": "1", "max_people": "2", "weeks_ahead": "1", "starts_on": (dt.date.today() + dt.timedelta(days=2)).isoformat(), "active": "y",
    }


def open311_key(c: Ctx) -> str:
    names = {"api_client": c.ids.get("api_key"), "unknown_key": "o311_not-a-key", "revoked_key": c.ids.get("revoked_key"), "other_client": c.ids.get("other_key")}
    return names.get(c.actor_name) or ""


def open311_request(c: Ctx) -> dict:
    return {"api_key": open311_key(c), "service_code": "complaint-noise", "description": "Karaoke until 2am", "address_id": "a"}


def open311_feedback(c: Ctx) -> dict:
    return {"api_key": open311_key(c), "service_request_id": c.ids["open311_number"], "status": "CLOSED", "update_id": "fms-1", "description": "Fixed, thanks"}


def application_form(c: Ctx) -> dict:
    return {
        "real_name": "孙小梅", "phone": "139 0000 0000", "email": "", "community": str(c.area.community_id), "skills": ["first_aid"], "expires_first_aid": FUTURE,
        "availability": "weekday evenings", "consent": "y", "may_be_named": "y", "username": "xiaomei", "password": "a long enough password", "application_key": str(uuid.uuid4()),
    }


def nothing(c: Ctx) -> dict:
    return {}


def care_today() -> dt.date:
    from portal.care.rules import local_today

    return local_today("Asia/Shanghai")


async def with_care_person(c: Ctx) -> None:
    """A person on the first community's care register, registered by ``officer``."""
    from portal.care import rules as care_rules

    data = care_rules.PersonData("Granny Li", "Block 7, Flat 302", "Lives alone", "Li Wei", "139 0000 1111", care_today(), "person", 7, care_today())
    c.ids["care_person"] = await care_rules.register(await c.actor("officer"), c.area.community_id, data, str(uuid.uuid4()))


async def with_care_visitor(c: Ctx) -> None:
    """The person, whom ``volunteer`` is asked to visit."""
    from portal.care import rules as care_rules

    await with_care_person(c)
    await care_rules.assign(await c.actor("officer"), c.ids["care_person"], await c.user("volunteer"))


async def with_care_person_and_volunteer_b(c: Ctx) -> None:
    await with_care_person(c)
    await c.user("volunteer_b")


async def with_care_visit(c: Ctx) -> None:
    """The person and a visit that found help was needed."""
    from portal.care import rules as care_rules

    await with_care_person(c)
    visit = care_rules.VisitData(visited_on=care_today(), outcome="needs_help", note="The stairwell light is broken")
    c.ids["care_visit"] = (await care_rules.record_visit(await c.actor("officer"), c.ids["care_person"], visit, str(uuid.uuid4())))["id"]


async def with_care_ended(c: Ctx) -> None:
    from portal.care import rules as care_rules

    await with_care_person(c)
    await care_rules.end(await c.actor("officer"), c.ids["care_person"], "withdrawn", care_today())


def care_person_form(c: Ctx) -> dict:
    day = care_today().isoformat()
    return {"idempotency_key": str(uuid.uuid4()), "name": "Granny Zhou", "address": "Block 9", "needs": "Bad knees", "contact_name": "", "contact_phone": "",
            "consent_on": day, "consent_from": "person", "every_days": "7", "next_due_on": day}


def care_visit_form(c: Ctx) -> dict:
    return {"idempotency_key": str(uuid.uuid4()), "visited_on": care_today().isoformat(), "outcome": "all_well", "note": ""}


async def with_mediation_due(c: Ctx) -> None:
    """volunteer_b's mediation of the first community, its follow-up due today."""
    data = log_rules.LogData(kind="mediation", community_id=c.area.community_id, occurred_at=log_rules.now() - dt.timedelta(days=3), outcome="resolved", follow_up_on=dt.date.today())
    c.ids["mediation"] = (await log_rules.create(await c.actor("volunteer_b"), data, "post-guards-mediation")).log_id


async def with_requested_hazard(c: Ctx) -> None:
    """The volunteer's hazard, whose rectification officer_b requested."""
    await with_hazard(c)
    officer = await c.actor("officer_b")
    await log_rules.transition(officer, c.ids["log"], "confirmed")
    await log_rules.transition(officer, c.ids["log"], "rectification_requested", rectification_by="Property company", rectification_due=dt.date.today() + dt.timedelta(days=5))


async def with_rectification_notice(c: Ctx) -> None:
    from portal.followups import notices

    await with_requested_hazard(c)
    c.ids["rectification"] = (await notices.issue(await c.actor("officer_b"), c.ids["log"], "Xiguan Property Ltd", "", str(uuid.uuid4()))).notice_id


# --- The cases -----------------------------------------------------------------------------

CASES = [
    # Field logs: the permission check of the POST itself (pending, rejected and suspended
    # volunteers may not log), and the community of another station's volunteer.
    *[
        case(f"logs.new.{kind}", f"/logs/new/{kind}", log_form(kind), "volunteer", NOT_ALLOWED_TO_LOG, watch=(FieldLog,), files=hazard_photo if kind == "hazard" else None)
        for kind in ("hazard", "patrol", "mediation", "help", "publicity")
    ],
    # A host logs help at their own watch point only.
    case("logs.new.help-at-a-point", "/logs/new/help", lambda c: {**valid("help", c.area.community_id), "watch_point": str(c.ids["point_host"])}, "host",
         {"host_b": 422, "host_unverified": 422, "anonymous": LOGIN}, setup=with_host_point, watch=(FieldLog,)),
    case("logs.nothing-to-report", "/logs/nothing-to-report", nothing, "volunteer",
         {"volunteer_pending": 403, "volunteer_rejected": 403, "volunteer_suspended": 403, "anonymous": LOGIN}, watch=(FieldLog,)),
    # The author answers an officer's question; nobody else does.
    case("logs.answer", "/logs/{log}/answer", lambda c: {"text": "The second floor"}, "volunteer",
         {"volunteer_b": 404, "host": 404, "officer": 422, "officer_other": 404, "head_other": 404, "anonymous": LOGIN}, setup=with_question, watch=(FieldLog, LogNote)),
    # The hazard's lifecycle: officers of its community, never its reporter.
    case("logs.hazard", "/logs/{log}/hazard", lambda c: {"to": "confirmed", "note": "Seen on the spot"}, "officer",
         {"volunteer": 403, "volunteer_b": 404, "host": 404, "officer_other": 404, "head_other": 404, "anonymous": LOGIN}, setup=with_hazard, watch=(FieldLog, LogNote)),
    case("logs.landmark.add", "/logs/landmarks/{community}", lambda c: {"name_zh": "东门市场", "name_en": "East Gate Market"}, "officer", OFFICERS_ONLY, watch=(Landmark,)),
    case("logs.landmark.retire", "/logs/landmarks/{community}/{landmark}/retire", nothing, "officer", OFFICERS_ONLY, setup=with_landmark, watch=(Landmark,)),
    case("logs.landmark.restore", "/logs/landmarks/{community}/{landmark}/restore", nothing, "officer", OFFICERS_ONLY, setup=with_retired_landmark, watch=(Landmark,)),
    # Review decisions (officers of the log's community; heads of its station; admins).
    case("review.accept", "/review/{log}/accept", lambda c: {"version": c.ids["version"], "note": ""}, "officer", OFFICERS_OF_THE_OBJECT, setup=with_hazard, watch=(FieldLog, LogNote)),
    case("review.ask", "/review/{log}/ask", lambda c: {"version": c.ids["version"], "note": "Which floor?"}, "officer", OFFICERS_OF_THE_OBJECT, setup=with_hazard, watch=(FieldLog, LogNote)),
    case("review.comment", "/review/{log}/comment", lambda c: {"version": c.ids["version"], "note": "Thanks"}, "officer", OFFICERS_OF_THE_OBJECT, setup=with_hazard, watch=(FieldLog, LogNote)),
    case("review.duplicate", "/review/{log}/duplicate", lambda c: {"version": c.ids["version"], "original": str(c.ids["original"]), "note": ""}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_two_logs, watch=(FieldLog, LogNote)),
    case("review.file", "/review/{log}/file", lambda c: {"version": c.ids["version"], "ledger": "complaint:other"}, "officer", OFFICERS_OF_THE_OBJECT,
         setup=with_hazard, watch=(FieldLog, LedgerItem)),
    # The bulk bar answers an officer of another community with the log listed as out of reach.
    case("review.bulk", "/review/bulk", lambda c: {"action": "accept", "log": [f"{c.ids['log']}:{c.ids['version']}"], "note": ""}, "officer",
         {"volunteer": 403, "host": 403, "officer_other": 200, "head_other": 200, "anonymous": LOGIN}, setup=with_hazard, watch=(FieldLog, LogNote), ok=(200,)),
    # Shifts, the volunteer's side: only verified volunteers (and hosts with a verified point) sign up.
    case("shifts.signup", "/shifts/{shift}/signup", lambda c: {"expect": "free", "next": "/shifts/"}, "volunteer",
         {"volunteer_pending": 409, "volunteer_rejected": 409, "volunteer_suspended": 409, "host_unverified": 409, "officer": 403, "head": 403,
          "volunteer_other": 404, "anonymous": LOGIN}, setup=with_open_shift, watch=(Shift, Signup)),
    case("shifts.signup.host", "/shifts/{shift}/signup", lambda c: {"expect": "free", "next": "/shifts/"}, "host",
         {"host_unverified": 409, "anonymous": LOGIN}, setup=with_open_shift, watch=(Shift, Signup)),
    case("shifts.withdraw", "/shifts/{shift}/withdraw", lambda c: {"next": "/shifts/"}, "volunteer", OWN_SHIFT, setup=with_my_shift, watch=(Shift, Signup)),
    case("shifts.check-in", "/shifts/{shift}/check-in", nothing, "volunteer", OWN_SHIFT, setup=with_my_shift_soon, watch=(Shift, Signup)),
    case("shifts.check-out", "/shifts/{shift}/check-out", nothing, "volunteer", OWN_SHIFT, setup=with_my_shift_checked_in, watch=(Shift, Signup)),
    case("shifts.calendar.reset", "/shifts/calendar/reset", nothing, "volunteer", {"officer": 403, "head": 403, "anonymous": LOGIN}, watch=(CalendarToken,), ok=(200,)),
    # Shifts, the officer's side (the community in the path).
    case("shifts.kind.create", "/shifts/manage/{community}/kinds/new", kind_form, "officer", OFFICERS_ONLY, watch=(ShiftKind,)),
    case("shifts.kind.update", "/shifts/manage/{community}/kinds/{kind}", lambda c: {**kind_form(c), "name": "Evening patrol"}, "officer", OFFICERS_ONLY, setup=with_kind, watch=(ShiftKind,)),
    case("shifts.roster.create", "/shifts/manage/{community}/rosters/new", roster_form, "officer", OFFICERS_ONLY, setup=with_kind, watch=(RosterTemplate, Shift)),
    case("shifts.roster.update", "/shifts/manage/{community}/rosters/{template}", lambda c: {**roster_form(c), "weekdays": ["0", "3"], "start_time": "07:00", "end_time": "09:00"}, "officer",
         OFFICERS_ONLY, setup=with_roster, watch=(RosterTemplate, Shift), ok=(200,)),
    case("shifts.extra.create", "/shifts/manage/{community}/shifts/new",
         lambda c: {"idempotency_key": str(uuid.uuid4()), "kind": str(c.ids["kind"]), "day": (dt.date.today() + dt.timedelta(days=3)).isoformat(), "start_time": "19:00", "end_time": "21:00", "min_people": "1", "max_people": "2"},
         "officer", OFFICERS_ONLY, setup=with_kind, watch=(Shift,)),
    case("shifts.cancel", "/shifts/manage/{community}/shifts/{shift}/cancel", lambda c: {"reason": "Typhoon"}, "officer", OFFICERS_ONLY, setup=with_roster, watch=(Shift, Signup)),
    case("shifts.no-show", "/shifts/manage/{community}/signups/{signup}/no-show", lambda c: {"excused": "unexcused", "reason": "no answer"}, "officer", OFFICERS_ONLY, setup=with_past_signup, watch=(Signup,)),
    case("shifts.hours", "/shifts/manage/{community}/signups/{signup}/hours", lambda c: {"hours": "2.5", "note": "forgot to check in"}, "officer", OFFICERS_ONLY, setup=with_past_signup, watch=(Signup,)),
    case("shifts.unblock", "/shifts/manage/{community}/people/{volunteer_b}/unblock", nothing, "officer", OFFICERS_ONLY, setup=with_blocked_volunteer, watch=(ShiftStanding,)),
    case("shifts.experienced", "/shifts/manage/{community}/people/{volunteer_b}/experienced", lambda c: {"experienced": "1"}, "officer", OFFICERS_ONLY, setup=with_target_user, watch=(ShiftStanding,)),
    case("shifts.kept.move", "/shifts/manage/{community}/rosters/{template}/kept/{shift}/move", nothing, "officer", OFFICERS_ONLY, setup=with_kept_shift, watch=(Shift, Signup)),
    case("shifts.kept.keep", "/shifts/manage/{community}/rosters/{template}/kept/{shift}/keep", nothing, "officer", OFFICERS_ONLY, setup=with_kept_shift, watch=(Shift, Signup)),
    case("shifts.kept.cancel", "/shifts/manage/{community}/rosters/{template}/kept/{shift}/cancel", lambda c: {"reason": "Festival: see the 18:00 shift"}, "officer",
         OFFICERS_ONLY, setup=with_kept_shift, watch=(Shift, Signup)),
    # Watch points: hosts and volunteers apply (with a photo); the host and the officers edit;
    # only officers visit, suspend and reinstate.
    case("watchpoints.apply", "/watchpoints/new", lambda c: application(c.area.community_id), "host",
         {"officer": 403, "head": 403, "volunteer_other": 422, "anonymous": LOGIN}, watch=(WatchPoint,), files=front_photo),
    case("watchpoints.edit", "/watchpoints/{point_host}/edit", lambda c: application(c.area.community_id, name_zh="陈记大药房"), "host",
         {"host_b": 403, "volunteer": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN}, setup=with_host_point, watch=(WatchPoint,)),
    case("watchpoints.hours", "/watchpoints/{point_host}/hours", hours_form, "host",
         {"host_b": 403, "volunteer": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN}, setup=with_host_point, watch=(WatchPoint,)),
    case("watchpoints.closed-today", "/watchpoints/{point_host}/closed-today", lambda c: {"closed": "1", "confirm": "yes"}, "host",
         {"host_b": 403, "volunteer": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN}, setup=with_host_point, watch=(WatchPoint,)),
    case("watchpoints.visit", "/watchpoints/{point_host}/visits", lambda c: {"visited_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(), "note": "All fine", "outcome": "verified"}, "officer",
         {"host": 403, "volunteer": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN}, setup=with_host_point, watch=(WatchPoint,)),
    case("watchpoints.suspend", "/watchpoints/{point_host}/suspend", lambda c: {"note": "Closed down"}, "officer",
         {"host": 403, "volunteer": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN}, setup=with_host_point, watch=(WatchPoint,)),
    case("watchpoints.reinstate", "/watchpoints/{point_host}/reinstate", nothing, "officer",
         {"host": 403, "volunteer": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN}, setup=with_suspended_point, watch=(WatchPoint,)),
    case("duty.add", "/communities/{community}/duty", lambda c: {"officer": str(c.ids["officer"]), "day": "0", "on_date": "", "starts": "08:00", "ends": "17:00"}, "officer",
         OFFICERS_ONLY, setup=lambda c: c.user("officer"), watch=(DutySlot,)),
    case("duty.remove", "/communities/{community}/duty/{slot}/remove", nothing, "officer", OFFICERS_ONLY, setup=with_duty_slot, watch=(DutySlot,)),
    # The contact boards registry of the first community: its officers and station head.
    case("boards.create", "/communities/{community}/board-registry/new", lambda c: BOARD_FORM, "officer", OFFICERS_ONLY, watch=(Board,)),
    case("boards.update", "/communities/{community}/board-registry/{board}", lambda c: {**BOARD_FORM, "code": "B-0001", "name_zh": "3号楼一单元楼道"}, "officer", OFFICERS_ONLY,
         setup=with_board, watch=(Board,)),
    case("boards.replaced", "/communities/{community}/board-registry/{board}/replaced", lambda c: {"replaced_on": "2030-01-01", "next_due": ""}, "officer", OFFICERS_ONLY,
         setup=with_board, watch=(Board,)),
    case("boards.retire", "/communities/{community}/board-registry/{board}/retire", nothing, "officer", OFFICERS_ONLY, setup=with_board, watch=(Board,)),
    case("boards.restore", "/communities/{community}/board-registry/{board}/restore", nothing, "head", OFFICERS_ONLY, setup=with_retired_board, watch=(Board,)),
    case("boards.printed", "/communities/{community}/board-registry/print", lambda c: {"ids": [str(c.ids["board"])], "printed_on": "2030-01-01"}, "officer", OFFICERS_ONLY,
         setup=with_board, watch=(Board,)),
    # An officer's photo: themself, their station's head, an admin; not a colleague.
    case("officer-photo.save", "/officers/{officer}/photo/edit", nothing, "officer",
         {"officer_b": 404, "officer_other": 404, "head_other": 404, "volunteer": 404, "anonymous": LOGIN}, setup=lambda c: c.user("officer"), watch=(OfficerPhoto,), files=front_photo),
    case("officer-photo.remove", "/officers/{officer}/photo/remove", nothing, "officer",
         {"officer_b": 404, "officer_other": 404, "head_other": 404, "volunteer": 404, "anonymous": LOGIN}, setup=with_officer_photo, watch=(OfficerPhoto,)),
    # Urgent notices: the officers and head of the community send and end them.
    case("notices.send", "/notices/new", notice_form, "officer", {"volunteer": 403, "host": 403, "officer_other": 422, "head_other": 422, "anonymous": LOGIN, **OVERSEERS},
         watch=(Notice,), files=front_photo),
    case("notices.end", "/notices/{notice}/end", nothing, "officer", OFFICERS_OF_THE_OBJECT, setup=with_notice, watch=(Notice,)),
    # Follow-ups: the author (volunteer_b) and the community's officers record a mediation's;
    # the officers issue and withdraw rectification notices; the station head keeps the wording.
    case("followups.record", "/followups/{mediation}/record", lambda c: {"result": "held", "followed_up_on": dt.date.today().isoformat(), "note": "All quiet"}, "officer",
         {"volunteer": 404, "host": 404, "officer_other": 404, "head_other": 404, "anonymous": LOGIN, **OVERSEERS}, setup=with_mediation_due, watch=(MediationFollowUp,)),
    case("rectification.issue", "/rectification/new/{log}", lambda c: {"idempotency_key": str(uuid.uuid4()), "party": "Xiguan Property Ltd", "party_address": "1 Xiguan Road"}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_requested_hazard, watch=(RectificationNotice,)),
    case("rectification.withdraw", "/rectification/{rectification}/withdraw", nothing, "officer", OFFICERS_OF_THE_OBJECT, setup=with_rectification_notice, watch=(RectificationNotice,)),
    case("rectification.wording", "/rectification/wording/{station}", lambda c: {"text": "依据《中华人民共和国消防法》，责令你单位限期改正。"}, "head",
         {"volunteer": 403, "host": 403, "officer": 403, "officer_other": 403, "head_other": 404, "anonymous": LOGIN, **OVERSEERS}, watch=(NoticeWording,)),
    # Home visits: the community's officers and station head keep the register; a volunteer
    # records the visits they are asked to make, and nothing else.
    case("care.register", "/communities/{community}/care/new", care_person_form, "officer", OFFICERS_ONLY, watch=(CarePerson,)),
    case("care.edit", "/care/{care_person}/edit", lambda c: {**care_person_form(c), "needs": "Bad knees, diabetic"}, "officer", OFFICERS_OF_THE_OBJECT,
         setup=with_care_person, watch=(CarePerson,)),
    case("care.visit", "/care/{care_person}/visits", care_visit_form, "officer", OFFICERS_OF_THE_OBJECT, setup=with_care_person, watch=(CarePerson, CareVisit)),
    case("care.assign", "/care/{care_person}/assign", lambda c: {"volunteer": str(c.ids["volunteer_b"])}, "officer", OFFICERS_OF_THE_OBJECT,
         setup=with_care_person_and_volunteer_b, watch=(CareAssignment,)),
    case("care.unassign", "/care/{care_person}/unassign", lambda c: {"volunteer": str(c.ids["volunteer"])}, "officer", OFFICERS_OF_THE_OBJECT,
         setup=with_care_visitor, watch=(CareAssignment,)),
    case("care.end", "/care/{care_person}/end", lambda c: {"reason": "withdrawn", "ended_on": care_today().isoformat()}, "officer", OFFICERS_OF_THE_OBJECT,
         setup=with_care_visitor, watch=(CarePerson, CareAssignment)),
    case("care.resume", "/care/{care_person}/resume", nothing, "head", OFFICERS_OF_THE_OBJECT, setup=with_care_ended, watch=(CarePerson,)),
    case("care.file", "/care/visits/{care_visit}/ledger", lambda c: {"ledger": "claim:help", "summary": "Needs a stair lift"}, "officer", OFFICERS_OF_THE_OBJECT,
         setup=with_care_visit, watch=(CareVisit, LedgerItem)),
    case("care.assigned.visit", "/care/assigned/{care_person}", care_visit_form, "volunteer",
         {"volunteer_b": 404, "volunteer_other": 404, "host": 403, "officer": 403, "head": 403, "anonymous": LOGIN}, setup=with_care_visitor, watch=(CarePerson, CareVisit)),
    case("intake.answer", "/intake/{intake}/answer", lambda c: {"text": "We called your family."}, "officer", OFFICERS_OF_THE_OBJECT, setup=with_intake, watch=(Intake,)),
    # The three ledgers.
    case("ledger.create", "/ledger/new",
         lambda c: {"idempotency_key": str(uuid.uuid4()), "ledger": "claim", "category": "documents", "community": str(c.area.community_id), "source": "reception", "summary": "Needs a new ID card", "raised_by_name": "Zhao Liu"},
         "officer", {"volunteer": 403, "host": 403, "officer_other": 422, "head_other": 422, "anonymous": LOGIN}, watch=(LedgerItem,)),
    case("ledger.move", "/ledger/{item}/move", lambda c: {"to": "assigned", "officer": str(c.ids["officer"]), "version": str(c.ids["item_version"])}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_ledger_item, watch=(LedgerItem,)),
    case("ledger.private", "/ledger/{item}/private", lambda c: {"private": "y", "reason": "Names a neighbour", "version": str(c.ids["item_version"])}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_ledger_item, watch=(LedgerItem,)),
    case("ledger.public-text", "/ledger/{item}/public-text", lambda c: {"public_summary": "Late-night noise", "place_public": "Xiguan Road", "version": str(c.ids["item_version"])}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_ledger_item, watch=(LedgerItem,)),
    # A callback by the item's accountable officer (officer_b) is refused by the rule.
    case("ledger.callback", "/ledger/{item}/callback", lambda c: {"channel": "phone", "said": "Satisfied, it is quiet now", "satisfied": "yes", "version": str(c.ids["item_version"])}, "officer",
         OFFICERS_OF_THE_OBJECT | {"officer_b": 422}, setup=with_ledger_feedback, watch=(LedgerItem, LedgerCallback)),
    # Bulk reassignment: another community's officer or station head gets the page back with
    # the item refused and nothing changed.
    case("ledger.bulk-reassign", "/ledger/bulk-reassign", lambda c: {"item": str(c.ids["item"]), "officer": str(c.ids["officer"])}, "officer",
         OFFICERS_OF_THE_OBJECT | {"officer_other": 200, "head_other": 200}, setup=with_ledger_item, watch=(LedgerItem,), ok=(200,)),
    case("ledger.referral", "/ledger/{item}/referrals", lambda c: {"body_kind": "street_office", "body_name": "Xiguan street office", "sent_on": "2025-01-02", "version": str(c.ids["item_version"])}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_ledger_item, watch=(LedgerItem, LedgerReferral)),
    case("ledger.referral-answer", "/ledger/{item}/referral-answer", lambda c: {"referral": str(c.ids["referral"]), "answer": "Fixed", "answered_on": "2025-01-03", "version": str(c.ids["item_version"])}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_ledger_referral, watch=(LedgerItem, LedgerReferral)),
    case("ledger.template-save", "/ledger/templates", lambda c: {"station": str(c.area.station_id), "category": "noise", "language": "en", "title": "Noise", "body": "We spoke to them."}, "officer",
         {"volunteer": 403, "host": 403, "head_other": 422, "anonymous": LOGIN, **OVERSEERS}, watch=(LedgerAnswerTemplate,)),
    case("ledger.template-update", "/ledger/templates/{template}/edit",
         lambda c: {f"t{c.ids['template']}-{k}": v for k, v in {"category": "", "language": "zh_CN", "title": "噪音", "body": "已上门劝导。"}.items()}, "officer",
         OF_THE_STATION, setup=with_answer_template, watch=(LedgerAnswerTemplate,)),
    case("ledger.template-remove", "/ledger/templates/remove", lambda c: {"template": str(c.ids["template"])}, "officer",
         {"volunteer": 403, "host": 403, "head_other": 404, "anonymous": LOGIN, **OVERSEERS}, setup=with_answer_template, watch=(LedgerAnswerTemplate,)),
    # Saved views: each user's own.
    case("ledger.view-save", "/ledger/views", lambda c: {"name": "Noise by deadline", "stage": "open", "category": "noise", "sort": "due"}, "officer",
         {"volunteer": 403, "host": 403, "anonymous": LOGIN, **OVERSEERS}, watch=(LedgerSavedView,)),
    case("ledger.view-remove", "/ledger/views/{view}/remove", nothing, "officer",
         {"officer_b": 404, "head": 404, "admin": 404, "volunteer": 403, "host": 403, "anonymous": LOGIN, **OVERSEERS}, setup=with_saved_view, watch=(LedgerSavedView,)),
    case("ledger.from-intake", "/ledger/from-intake/{intake}", lambda c: {"ledger": "claim", "category": "help"}, "officer", OFFICERS_OF_THE_OBJECT, setup=with_intake, watch=(Intake, LedgerItem)),
    case("ledger.from-log", "/ledger/from-log/{log}", lambda c: {"ledger": "complaint", "category": "public_order"}, "officer",
         OFFICERS_OF_THE_OBJECT, setup=with_log_to_escalate, watch=(FieldLog, LedgerItem)),
    # The reception desk: officers of the room's community and the station head log and
    # correct visits and turn them into ledger items or mediation logs.
    case("reception.desk", "/reception/rooms/{room}/desk", lambda c: {"idempotency_key": str(uuid.uuid4()), "category": "consultation"}, "officer",
         {"volunteer": 403, "host": 403, "officer_other": 403, "head_other": 403, "anonymous": LOGIN, **OVERSEERS}, setup=with_reception_visit, watch=(Visit,)),
    case("reception.visit.correct", "/reception/visits/{visit}", lambda c: {"category": "complaint", "people": "2", "language": "zh", "note": "Noise at night", "outcome": "", "contact_name": "Li", "contact_phone": "139"}, "officer",
         RECEPTION_VISIT, setup=with_reception_visit, watch=(Visit,)),
    case("reception.visit.ledger", "/reception/visits/{visit}/ledger", lambda c: {"ledger": "claim"}, "officer",
         RECEPTION_VISIT, setup=with_reception_visit, watch=(Visit, LedgerItem)),
    case("reception.visit.mediation", "/reception/visits/{visit}/mediation", nothing, "officer",
         RECEPTION_VISIT, setup=with_reception_visit, watch=(Visit, FieldLog)),
    # Reception rooms: officers of the room's community and the station head; the phrasebook:
    # officers and the head of its station.
    case("reception.rooms.create", "/reception/rooms/new", room_form, "officer",
         {"volunteer": 403, "host": 403, "officer_other": 422, "head_other": 422, "anonymous": LOGIN, **OVERSEERS}, watch=(Room,)),
    case("reception.rooms.update", "/reception/rooms/{room}/edit", room_form, "officer", OFFICERS_OF_THE_OBJECT, setup=with_room, watch=(Room,)),
    case("reception.rooms.hours", "/reception/rooms/{room}/hours", hours_form, "officer", OFFICERS_OF_THE_OBJECT, setup=with_room, watch=(Room,)),
    case("reception.rooms.verify", "/reception/rooms/{room}/verify", nothing, "officer", OFFICERS_OF_THE_OBJECT, setup=with_room, watch=(Room,)),
    case("reception.rooms.suspend", "/reception/rooms/{room}/suspend", lambda c: {"note": "Closed for repairs"}, "officer", OFFICERS_OF_THE_OBJECT, setup=with_room, watch=(Room,)),
    case("reception.rooms.reinstate", "/reception/rooms/{room}/reinstate", nothing, "officer", OFFICERS_OF_THE_OBJECT, setup=with_suspended_room, watch=(Room,)),
    case("reception.rooms.retire", "/reception/rooms/{room}/retire", lambda c: {"note": "Moved"}, "officer", OFFICERS_OF_THE_OBJECT, setup=with_room, watch=(Room, ShiftKind)),
    case("reception.phrasebook.create", "/reception/phrasebook/{station}/new", lambda c: PHRASE_FORM, "officer", OF_THE_STATION, watch=(Phrase,)),
    case("reception.phrase.update", "/reception/phrases/{phrase}/edit", lambda c: PHRASE_FORM, "officer", OF_THE_STATION, setup=with_phrase, watch=(Phrase,)),
    case("reception.phrase.remove", "/reception/phrases/{phrase}/remove", nothing, "officer", OF_THE_STATION, setup=with_phrase, watch=(Phrase,)),
    case("ledger.holiday.add", "/ledger/calendar/holidays", lambda c: {"date": "2030-10-01", "name": "National Day"}, "admin", ADMIN_ONLY, watch=(Holiday,)),
    case("ledger.holiday.remove", "/ledger/calendar/holidays/2030-10-01/remove", nothing, "admin", ADMIN_ONLY, setup=with_holiday, watch=(Holiday,)),
    case("ledger.rule", "/ledger/calendar/rules", lambda c: {"ledger": "claim", "category": "documents", "stage": "in_progress", "working_days": "3"}, "admin", ADMIN_ONLY, watch=(LedgerDeadlineRule,)),
    case("ledger.prefix", "/ledger/calendar/prefix", lambda c: {"station": str(c.area.station_id), "prefix": "CZX"}, "admin", ADMIN_ONLY, watch=(LedgerStation,)),
    # Administrators' user management.
    case("admin.users.create", "/admin/users/new", lambda c: new_user_form(c.area), "admin", ADMIN_ONLY, watch=(User, RoleGrant)),
    case("admin.users.grant", "/admin/users/{volunteer_b}/roles", lambda c: {"role": "head", "station": str(c.area.other_station_id), "community": "0"}, "admin",
         ADMIN_ONLY, setup=with_target_user, watch=(RoleGrant,)),
    case("admin.users.revoke", "/admin/users/{volunteer_b}/roles/{grant}/revoke", nothing, "admin", ADMIN_ONLY, setup=with_target_user, watch=(RoleGrant,)),
    case("admin.users.deactivate", "/admin/users/{volunteer_b}/deactivate", nothing, "admin", ADMIN_ONLY, setup=with_target_user, watch=(User,)),
    case("admin.users.activate", "/admin/users/{volunteer_b}/activate", nothing, "admin", ADMIN_ONLY, setup=with_deactivated_user, watch=(User,)),
    # The organisation: administrators only (the area's stations are chengzhong and chengdong).
    # Imports: only the importing officer sees or confirms their batch; volunteers, hosts and the
    # heads above a station import nothing.
    case("imports.upload", "/imports", lambda c: {"kind": "volunteers"}, "officer", {"volunteer": 403, "host": 403, "anonymous": LOGIN, **OVERSEERS},
         watch=(ImportBatch,), files=import_file),
    case("imports.confirm", "/imports/batch/{import_token}/confirm", lambda c: {}, "officer",
         {"officer_b": 404, "head": 404, "admin": 404, "volunteer": 403, "anonymous": LOGIN, **OVERSEERS}, setup=with_import_preview, watch=(VolunteerProfile, ImportBatch)),
    case("imports.passwords_erase", "/imports/batch/{import_token}/passwords/erase", lambda c: {}, "officer",
         {"officer_b": 404, "head": 404, "volunteer": 403, "anonymous": LOGIN, **OVERSEERS}, setup=with_import_done, watch=(ImportBatch,)),
    case("admin.org.create", "/admin/org/new", lambda c: {"level": "community", "code": "newc", "name_zh": "新社区", "name_en": "New", "parent": "chengzhong",
         "timezone": "Asia/Shanghai", "latitude": "36.6", "longitude": "101.7"}, "admin", ADMIN_ONLY, watch=(Community,)),
    case("admin.org.rename", "/admin/org/community/a/rename", lambda c: {"name_zh": "改名社区", "name_en": "Renamed"}, "admin", ADMIN_ONLY, watch=(Community,)),
    case("admin.org.move", "/admin/org/community/a/move", lambda c: {"parent": "chengdong"}, "admin", ADMIN_ONLY, watch=(Community,)),
    case("admin.org.retire", "/admin/org/community/b/retire", lambda c: {"confirm": "y"}, "admin", ADMIN_ONLY, watch=(Community,)),
    case("admin.users.reset-password", "/admin/users/{volunteer_b}/reset-password", nothing, "admin", ADMIN_ONLY, setup=with_target_user, watch=(User,), ok=(200,)),
    # Open311: administrators issue and revoke keys; the API's POST needs a live key (the
    # per-address rate counter counts every attempt, refused ones too: by design).
    case("open311.keys.issue", "/admin/open311-keys", lambda c: {"name": "Residents' app", "community": "0"}, "admin", ADMIN_ONLY, watch=(ApiKey,), ok=(200,)),
    case("open311.keys.revoke", "/admin/open311-keys/{key_id}/revoke", nothing, "admin", ADMIN_ONLY, setup=with_api_keys, watch=(ApiKey,)),
    *[
        case(f"open311.requests.{fmt}", f"/open311/v2/requests.{fmt}", open311_request, "api_client",
             {"no_key": 403, "unknown_key": 403, "revoked_key": 403, "admin": 403}, setup=with_api_keys, watch=(LedgerItem,), ok=(200,), raw=True, ignore=("public_rate_hit",))
        for fmt in ("json", "xml")
    ],
    # The person's answer as an update: only from the application that filed the request.
    *[
        case(f"open311.updates.{fmt}", f"/open311/v2/servicerequestupdates.{fmt}", open311_feedback, "api_client",
             {"no_key": 403, "unknown_key": 403, "revoked_key": 403, "other_client": 404, "admin": 403}, setup=with_open311_answer_awaited,
             watch=(LedgerItem,), ok=(200,), raw=True, ignore=("public_rate_hit",))
        for fmt in ("json", "xml")
    ],
    # Bulletins: officers of the community (and its station's heads) manage its drafts;
    # officers and heads keep the tip library.
    case("bulletins.edit", "/bulletins/{bulletin}/edit", lambda c: {"headline_zh": "本周平安", "headline_en": "A calm week", "note_en": "Thanks to all volunteers."}, "officer",
         COMMUNITY_BULLETIN, setup=with_bulletin, watch=(Bulletin,)),
    case("bulletins.publish", "/bulletins/{bulletin}/publish", nothing, "officer", COMMUNITY_BULLETIN, setup=with_bulletin, watch=(Bulletin,)),
    case("bulletins.correct", "/bulletins/{bulletin}/correct", nothing, "officer", COMMUNITY_BULLETIN, setup=with_published_bulletin, watch=(Bulletin,)),
    case("bulletins.tips.create", "/bulletins/tips", lambda c: {"category": "fraud", "text_zh": "不要转账", "text_en": "Never transfer money", "always": "y", "active": "y"}, "officer",
         {"volunteer": 403, "host": 403, "anonymous": LOGIN, **OVERSEERS}, watch=(Tip,)),
    case("bulletins.tips.save", "/bulletins/tips/{tip}", lambda c: {"category": "fraud", "text_zh": "不要转账给陌生人", "text_en": "Never transfer money to strangers", "active": "y"}, "officer",
         {"volunteer": 403, "host": 403, "anonymous": LOGIN, **OVERSEERS}, setup=with_tip, watch=(Tip,)),
    # Volunteers: officers decide on their own communities' volunteers; nobody on their own.
    case("volunteers.verify", "/officer/volunteers/{profile}/verify", lambda c: {"reason": ""}, "officer",
         {"volunteer_pending": 403, **OFFICERS_OF_THE_OBJECT}, setup=with_profile_of("volunteer_pending"), watch=(VolunteerProfile,)),
    case("volunteers.reject", "/officer/volunteers/{profile}/reject", lambda c: {"reason": "Could not reach you"}, "officer",
         {"volunteer_pending": 403, **OFFICERS_OF_THE_OBJECT}, setup=with_profile_of("volunteer_pending"), watch=(VolunteerProfile,)),
    case("volunteers.suspend", "/officer/volunteers/{profile}/suspend", lambda c: {"reason": "Left the patrol alone"}, "officer",
         {"volunteer_b": 403, **OFFICERS_OF_THE_OBJECT}, setup=with_profile_of("volunteer"), watch=(VolunteerProfile,)),
    case("volunteers.reinstate", "/officer/volunteers/{profile}/reinstate", lambda c: {"reason": ""}, "officer",
         {"volunteer_suspended": 403, **OFFICERS_OF_THE_OBJECT}, setup=with_profile_of("volunteer_suspended"), watch=(VolunteerProfile,)),
    # One's own volunteer profile: volunteers only (hosts, officers and heads have none).
    case("volunteers.profile", "/volunteer/profile", lambda c: {"phone": "138 0000 1111", "skills": ["driving"], "expires_driving": FUTURE, "availability": "Sat", "may_be_named": "y"}, "volunteer",
         {"host": 403, "officer": 403, "head": 403, "anonymous": LOGIN}, watch=(User, VolunteerProfile, VolunteerSkill)),
    case("volunteers.delete", "/volunteer/profile/delete", lambda c: {"password": PASSWORD}, "volunteer",
         {"host": 403, "officer": 403, "head": 403, "anonymous": LOGIN}, watch=(User, VolunteerProfile, RoleGrant, UserSession)),
    # The public application: anyone without an account; a logged-in person is sent home.
    case("volunteers.apply", "/volunteer/apply", application_form, "anonymous", {"volunteer": HOME, "officer": HOME, "admin": HOME}, watch=(User, VolunteerProfile)),
    # One's own messages and password.
    case("inbox.read", "/inbox/{notification}/read", nothing, "volunteer", {"volunteer_b": 404, "officer": 404, "admin": 404, "anonymous": LOGIN}, setup=with_notification, watch=(Notification,)),
    case("inbox.open", "/inbox/{notification}/open", nothing, "volunteer", {"volunteer_b": 404, "officer": 404, "admin": 404, "anonymous": LOGIN}, setup=with_notification, watch=(Notification,)),
    case("account.password", "/account/password", lambda c: {"current_password": PASSWORD, "new_password": "a brand new password", "confirm_password": "a brand new password"}, "volunteer",
         {"anonymous": LOGIN}, watch=(User,)),
    # 进建商: the officers and head of the first station; a resolution is done by its owner or the head.
    case("councils.representative-add", "/councils/stations/{station}/representatives",
         lambda c: {"idempotency_key": str(uuid.uuid4()), "name": "刘智库", "kind": "think_tank", "phone": "13900002222"}, "officer", OF_THE_STATION, watch=(CouncilRepresentative,)),
    case("councils.representative-retire", "/councils/representatives/{representative}/retire", nothing, "officer", OF_THE_STATION, setup=with_council, watch=(CouncilRepresentative,)),
    case("councils.representative-update", "/councils/representatives/{representative}/edit",
         lambda c: {"name": "王代表", "kind": "cppcc_member", "affiliation": "区政协委员", "phone": "13800001111", "version": "1"}, "officer", OF_THE_STATION, setup=with_council, watch=(CouncilRepresentative,)),
    case("councils.representative-reinstate", "/councils/representatives/{representative}/reinstate", nothing, "officer", OF_THE_STATION, setup=with_retired_representative, watch=(CouncilRepresentative,)),
    case("councils.session-create", "/councils/stations/{station}/new", council_session_form, "officer", OF_THE_STATION | {"officer_other": 422}, watch=(CouncilSession,)),
    case("councils.session-update", "/councils/{session}/edit", lambda c: {**council_session_form(c), "topic": "交通安全"}, "officer", OF_THE_STATION, setup=with_council, watch=(CouncilSession,)),
    case("councils.resolution-add", "/councils/{session}/resolutions",
         lambda c: {"idempotency_key": str(uuid.uuid4()), "matter": "路灯", "owner": str(c.ids["officer"]), "due_on": (dt.date.today() + dt.timedelta(days=3)).isoformat(), "ledger_choice": "none", "category": "other"},
         "officer", OF_THE_STATION, setup=with_council, watch=(CouncilResolution,)),
    case("councils.resolution-ledger", "/councils/resolutions/{resolution}/ledger",
         lambda c: {f"r{c.ids['resolution']}-ledger_choice": "file", f"r{c.ids['resolution']}-ledger": "suggestion", f"r{c.ids['resolution']}-category": "traffic"},
         "officer", OF_THE_STATION, setup=with_council, watch=(CouncilResolution, LedgerItem)),
    case("councils.resolution-done", "/councils/resolutions/{resolution}/done",
         lambda c: {f"d{c.ids['resolution']}-done_on": dt.date.today().isoformat(), f"d{c.ids['resolution']}-note": "已疏导", f"d{c.ids['resolution']}-version": "1"},
         "officer", OF_THE_STATION | {"officer_b": 422, "officer_other": 422}, setup=with_council, watch=(CouncilResolution,)),
    case("councils.resolution-change", "/councils/resolutions/{resolution}/change",
         lambda c: {f"c{c.ids['resolution']}-owner": str(c.ids["officer"]), f"c{c.ids['resolution']}-due_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(), f"c{c.ids['resolution']}-version": "1"},
         "officer", OF_THE_STATION | {"officer_b": 422, "officer_other": 422}, setup=with_council, watch=(CouncilResolution,)),
    # 联访解: an officer's own pairings.
    case("pairings.create", "/pairings/new",
         lambda c: {"idempotency_key": str(uuid.uuid4()), "community": str(c.area.community_id), "kind": "person", "name": "马奶奶", "phone": "13900001111", "started_on": dt.date.today().isoformat()},
         "officer", {"volunteer": 403, "host": 403, "officer_other": 422, "head_other": 422, "admin": 403, "anonymous": LOGIN, **OVERSEERS}, watch=(Pairing,)),
    case("pairings.contact", "/pairings/{pairing}/contacts", lambda c: {"idempotency_key": str(uuid.uuid4()), "contacted_on": dt.date.today().isoformat(), "channel": "call"},
         "officer", PAIRING_WRITERS, setup=with_pairing, watch=(PairingContact,)),
    case("pairings.opinion", "/pairings/contacts/{contact}/opinions",
         lambda c: {f"o{c.ids['contact']}-{k}": v for k, v in {"idempotency_key": str(uuid.uuid4()), "text": "路灯坏了", "outcome": "filed", "ledger": "suggestion", "category": "public_security"}.items()},
         "officer", PAIRING_WRITERS, setup=with_pairing, watch=(PairingOpinion, LedgerItem)),
    case("pairings.update", "/pairings/{pairing}/edit",
         lambda c: {"unit_kind": "kindergarten", "name": "西关幼儿园", "started_on": (dt.date.today() - dt.timedelta(days=3)).isoformat(), "version": "1"},
         "officer", PAIRING_WRITERS, setup=with_pairing, watch=(Pairing,)),
    case("pairings.end", "/pairings/{pairing}/end", lambda c: {"ended_on": dt.date.today().isoformat(), "end_note": "调走", "version": "1"},
         "officer", PAIRING_WRITERS, setup=with_pairing, watch=(Pairing,)),
]


# --- The test ------------------------------------------------------------------------------


async def snapshot(settings, watch: tuple, ignore: tuple[str, ...]) -> dict:
    """Row counts of every table, the whole content of the watched tables, and the files
    of the upload storage."""
    state: dict = {}
    for table in db.all_tables():
        name = table._meta.tablename
        if name not in ignore:
            state[name] = await table.count().run()
    for table in watch:
        state[f"{table._meta.tablename}.rows"] = await table.select().order_by(table._meta.primary_key).run()
    root = settings.upload_path
    state["files"] = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return state


def differences(before: dict, after: dict) -> list[str]:
    return [f"{key}: {before.get(key)!r} -> {after.get(key)!r}"[:400] for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def answered_as(response, expected) -> bool:
    if expected == LOGIN:
        return response.status_code == 303 and response.headers.get("location", "").startswith("/login?next=")
    if expected == HOME:
        return response.status_code == 303 and response.headers.get("location") == "/"
    return response.status_code == expected


async def send(ctx: Ctx, case: Case, name: str):
    client = await ctx.client(name)
    ctx.actor_name = name
    body, path = case.body(ctx), case.path.format_map(ctx.ids)
    if case.raw:
        return await client.post(path, data=body, follow_redirects=False)
    if case.files:
        token = await ensure_csrf(client)
        return await client.post(path, data={**body, "_csrf_token": token}, files=case.files(ctx), headers={"x-csrftoken": token}, follow_redirects=False)
    return await post_form(client, path, body)


@pytest.mark.parametrize("case", CASES)
async def test_a_valid_post_from_a_refused_actor_changes_nothing(app, area, make_user, make_volunteer, case, tmp_path, monkeypatch):
    # An upload folder of this test's own: with PostgreSQL the default one is shared by
    # every test process of the checkout, whose files would come and go meanwhile.
    settings = dataclasses.replace(app.state.settings, upload_dir=str(tmp_path / "uploads"))
    monkeypatch.setattr(app.state, "settings", settings)
    ctx = Ctx(app, area, make_user, make_volunteer)
    try:
        if case.setup:
            await case.setup(ctx)
        for name in [*case.refused, case.allowed]:
            await ctx.client(name)  # every actor exists and is logged in before the first snapshot
        failures = []
        before = await snapshot(settings, case.watch, case.ignore)
        for name, expected in case.refused.items():
            response = await send(ctx, case, name)
            after = await snapshot(settings, case.watch, case.ignore)
            if not answered_as(response, expected):
                failures.append(f"{name}: expected {expected}, got {response.status_code} {response.headers.get('location', '')}")
            if changed := differences(before, after):
                failures.append(f"{name} changed: {changed}")
            before = after
        # The same form from the allowed actor is accepted and saved: the body is valid.
        response = await send(ctx, case, case.allowed)
        after = await snapshot(settings, case.watch, case.ignore)
        if response.status_code not in case.ok:
            failures.append(f"allowed {case.allowed}: expected {case.ok}, got {response.status_code} {response.headers.get('location', '')} {response.text[:300]!r}")
        watched = {table._meta.tablename for table in case.watch}
        if not [key for key in differences(before, after) if key.partition(":")[0].removesuffix(".rows") in watched]:
            failures.append(f"allowed {case.allowed}: nothing was saved in {sorted(watched)}")
        assert failures == []
    finally:
        await ctx.close()


def test_every_writing_post_route_is_a_case_or_said_to_be_public():
    """A new POST route must become a case here (or join the public ones in the docstring)."""
    from tests.test_route_guards import ROUTES

    public = {"/login", "/language", "/logout", "/c/{code:str}/ask/{kind:str}", "/c/{code:str}/subscribe", "/bulletins/confirm/{token:str}",
              "/bulletins/unsubscribe/{token:str}", "/track/{code:str}/answer", "/satisfaction/{token:str}", "/inbox/read-all",
              "/rectify/{rectify_token:str}"}
    posts = [path for method, path in ROUTES if method == "POST"]
    covered = {_route_of(param.values[0].path, posts) for param in CASES}
    assert set(posts) - public - covered == set()


def _route_of(path: str, routes: list[str]) -> str | None:
    """The route a case's path is sent to: ``/review/{log}/accept`` → ``/review/{log_id:int}/accept``
    (of the routes it fits, the one with the fewest parameters: ``kinds/new``, not ``kinds/{kind_id}``)."""
    sent = re.sub(r"\{\w+\}", "1", path)
    fitting = [route for route in routes if re.fullmatch(re.sub(r"\\\{\w+:\w+\\\}", "[^/]+", re.escape(route)), sent)]
    return min(fitting, key=lambda route: route.count("{"), default=None)
