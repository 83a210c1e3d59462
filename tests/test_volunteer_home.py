"""The volunteer's home over HTTP: today's or the next shift first (time, place, buddy
state, check-in / check-out coming back to the home), then the quick log buttons, then
the officer's questions; an early check-out asks first (a plain form, no JavaScript);
and in every state of a place, every shift button that "Shifts I can take", "My shifts"
and the home show is one the server accepts (never a 409)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from portal.accounts.rules import load_actor
from portal.logs import review
from portal.logs import rules as log_rules
from portal.shifts import rules
from portal.shifts.tables import Shift, Signup
from portal.web import i18n
from tests.conftest import post_form
from tests.test_shifts_routes import KIND, verified_client
from tests.unchanged import nothing_changes

SHIFT_ACTION = re.compile(r"^/shifts/(\d+)/(signup|withdraw|check-in|check-out)$")


class _Forms(HTMLParser):
    """The POST forms of a page: action, hidden fields and the button's words."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None
        self._in_button = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._open = {"action": attrs.get("action"), "fields": {}, "button": ""}
        elif self._open is not None and tag == "input" and attrs.get("name") and attrs.get("name") != "_csrf_token":
            self._open["fields"][attrs["name"]] = attrs.get("value") or ""
        elif self._open is not None and tag == "button":
            self._in_button = True

    def handle_data(self, data):
        if self._in_button and self._open is not None:
            self._open["button"] += data.strip()

    def handle_endtag(self, tag):
        if tag == "button":
            self._in_button = False
        elif tag == "form" and self._open is not None:
            self.forms.append(self._open)
            self._open = None


def shift_buttons(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return [f for f in parser.forms if f["action"] and SHIFT_ACTION.match(f["action"])]


async def a_kind(community_id: int, **changes) -> int:
    return await rules.create_kind(None, community_id, {**KIND, "max_people": 3, **changes})


async def a_shift_at(community_id: int, starts_in: dt.timedelta, hours: float = 2, kind: int | None = None, capacity: int = 3, **values) -> int:
    kind = kind or await a_kind(community_id)
    starts = rules.utcnow() + starts_in
    row = await Shift.insert(Shift(
        community=community_id, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), min_people=1, capacity=capacity, taken=values.pop("taken", 0),
        created_at=rules.utcnow(), **values,
    )).returning(Shift.id).run()
    return row[0]["id"]


async def a_place(shift_id: int, user_id: int, status: str = "active", **values) -> int:
    moment = rules.utcnow()
    if status in ("active", "offered"):
        await Shift.update({Shift.taken: Shift.taken + 1}).where(Shift.id == shift_id).run()
    row = await Signup.insert(Signup(shift=shift_id, user=user_id, status=status, queued_at=moment - dt.timedelta(days=1), updated_at=moment, **values)).returning(Signup.id).run()
    return row[0]["id"]


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


# --- The home page -------------------------------------------------------------------------


async def test_the_home_starts_with_todays_shift_then_the_log_buttons_then_the_officers_question(client_for, area, make_user):
    """Time, place and the buddy rule of today's shift on top, with the check-in button;
    a check-in from the home comes back to it, which then offers the check-out."""
    client, user = await verified_client(client_for, area)
    kind = await a_kind(area.community_id, name="School gate watch", place="West gate of No. 2 School", buddy_min=2)
    shift = await a_shift_at(area.community_id, minutes(10), kind=kind)
    await a_place(shift, user)
    later = await a_shift_at(area.community_id, dt.timedelta(days=2))
    await a_place(later, user)
    log_id = (await log_rules.nothing_to_report(await load_actor(user))).log_id
    officer = await load_actor(await make_user("officer"))
    row = await review.review_log(officer, log_id)
    await review.ask_for_information(officer, log_id, review.version_of(row), "Which gate did you walk past?")

    page = (await client.get("/")).text
    assert page.index('id="next-shift-heading"') < page.index('id="logs-heading"') < page.index('id="questions-heading"')
    top = page[page.index('id="next-shift-heading"'):page.index('id="logs-heading"')]
    assert "Today's shift" in top and "School gate watch" in top and "West gate of No. 2 School" in top
    assert "The patrol starts when at least 2 people have checked in." in top
    assert f'action="/shifts/{shift}/check-in"' in top and f"/shifts/{later}/" not in top
    assert "Which gate did you walk past?" in page and f'href="/logs/{log_id}#answer-form"' in page

    response = await post_form(client, f"/shifts/{shift}/check-in", {"next": "/"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    top = (await client.get("/")).text
    assert "Checked in at" in top and "Wait for your buddies before you set off." in top and f'action="/shifts/{shift}/check-out"' in top


async def test_the_home_shows_the_next_shift_and_when_check_in_opens(client_for, area):
    client, user = await verified_client(client_for, area)
    empty = (await client.get("/")).text
    assert "No shift ahead." in empty and 'href="/shifts/"' in empty
    shift = await a_shift_at(area.community_id, dt.timedelta(days=2))
    await a_place(shift, user)
    page = (await client.get("/")).text
    assert "Your next shift" in page and "Check-in opens at" in page
    assert f'action="/shifts/{shift}/check-in"' not in page and f'action="/shifts/{shift}/withdraw"' in page


async def test_a_checked_out_shift_gives_the_top_to_the_next_one(client_for, area):
    client, user = await verified_client(client_for, area)
    done = await a_shift_at(area.community_id, minutes(-60))
    await a_place(done, user, checked_in_at=rules.utcnow() - minutes(58), checked_out_at=rules.utcnow() - minutes(1))
    nxt = await a_shift_at(area.community_id, dt.timedelta(days=1))
    await a_place(nxt, user)
    page = (await client.get("/")).text
    assert f'id="home-shift-{nxt}"' in page and f"home-shift-{done}" not in page


async def test_an_early_check_out_asks_first_and_changes_nothing_until_yes(client_for, area):
    """Within minutes of the check-in (or before the start) the check-out answers with a
    question; the plain form's "yes" checks out and goes back to the page it came from."""
    client, user = await verified_client(client_for, area)
    shift = await a_shift_at(area.community_id, minutes(-30))
    await a_place(shift, user)
    assert (await post_form(client, f"/shifts/{shift}/check-in", {"next": "/"})).status_code == 303
    async with nothing_changes((Signup, Signup.shift == shift)):
        question = await post_form(client, f"/shifts/{shift}/check-out", {"next": "/"})
    assert question.status_code == 200 and "Check out now?" in question.text and "You checked in less than a minute ago." in question.text
    confirm = [f for f in shift_buttons(question.text) if f["fields"].get("confirm") == "yes"]
    assert confirm and confirm[0]["fields"]["next"] == "/" and 'href="/"' in question.text  # "No, stay checked in"
    done = await post_form(client, f"/shifts/{shift}/check-out", confirm[0]["fields"])
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert (await Signup.select(Signup.checked_out_at).where(Signup.shift == shift).first().run())["checked_out_at"]


async def test_a_check_out_after_a_while_needs_no_question(client_for, area):
    client, user = await verified_client(client_for, area)
    shift = await a_shift_at(area.community_id, minutes(-60))
    await a_place(shift, user, checked_in_at=rules.utcnow() - minutes(rules.CHECK_OUT_CONFIRM_WITHIN.total_seconds() / 60 + 1))
    response = await post_form(client, f"/shifts/{shift}/check-out", {"next": "/"})
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_the_early_check_out_rule():
    now = dt.datetime(2026, 12, 10, 11, 0, tzinfo=dt.timezone.utc)
    token = i18n.activate("en")
    try:
        assert rules.early_check_out(now - minutes(20), now + minutes(10), now, "Asia/Shanghai") == "The shift starts at 19:10: checking out now ends it before it began."
        assert rules.early_check_out(now - minutes(3), now - minutes(30), now) == "You checked in 3 minutes ago."
        assert rules.early_check_out(now - minutes(1), now - minutes(30), now) == "You checked in 1 minute ago."
        assert rules.early_check_out(now - minutes(10), now - minutes(30), now) is None
    finally:
        i18n.restore(token)


async def test_leaving_is_refused_after_the_check_in_and_the_pages_do_not_offer_it(client_for, area):
    client, user = await verified_client(client_for, area)
    shift = await a_shift_at(area.community_id, minutes(10))
    await a_place(shift, user, checked_in_at=rules.utcnow() - minutes(2))
    for path in ("/", "/shifts/mine", "/shifts/"):
        assert f'action="/shifts/{shift}/withdraw"' not in (await client.get(path)).text, path
    async with nothing_changes((Shift, shift), (Signup, Signup.shift == shift)):
        refused = await post_form(client, f"/shifts/{shift}/withdraw", {})
    assert refused.status_code == 409 and "You have checked in: check out when you leave." in refused.text


# --- Every button shown is accepted ------------------------------------------------------------

# Each state of one person's place in one shift: (starts in, place values or None), and
# the buttons expected on "Shifts I can take" (list), "My shifts" (mine) and the home.
NOW_ISH = minutes(0)
STATES = {
    "free": (dt.timedelta(days=3), None, {"list": {"signup"}, "mine": set(), "home": set()}),
    "full": (dt.timedelta(days=3), "full", {"list": {"signup"}, "mine": set(), "home": set()}),
    "signed_up_early": (dt.timedelta(days=3), {}, {"list": {"withdraw"}, "mine": {"withdraw"}, "home": {"withdraw"}}),
    "signed_up_past_cutoff": (dt.timedelta(hours=5), {}, {"list": {"withdraw"}, "mine": {"withdraw"}, "home": {"withdraw"}}),
    "check_in_open": (minutes(10), {}, {"list": {"withdraw"}, "mine": {"check-in", "withdraw"}, "home": {"check-in", "withdraw"}}),
    "started_not_in": (minutes(-30), {}, {"list": set(), "mine": {"check-in"}, "home": {"check-in"}}),
    "checked_in_long_ago": (minutes(-60), {"checked_in_at": minutes(-50)}, {"list": set(), "mine": {"check-out"}, "home": {"check-out"}}),
    "checked_in_just_now": (minutes(-60), {"checked_in_at": minutes(-2)}, {"list": set(), "mine": {"check-out"}, "home": {"check-out"}}),
    "checked_in_before_start": (minutes(10), {"checked_in_at": minutes(-2)}, {"list": set(), "mine": {"check-out"}, "home": {"check-out"}}),
    "checked_out": (minutes(-60), {"checked_in_at": minutes(-55), "checked_out_at": minutes(-5)}, {"list": set(), "mine": set(), "home": set()}),
    "waiting": (dt.timedelta(days=3), {"status": "waiting"}, {"list": {"withdraw"}, "mine": {"withdraw"}, "home": set()}),
    "offered": (dt.timedelta(days=3), {"status": "offered", "offer_expires_at": minutes(60)}, {"list": {"signup", "withdraw"}, "mine": {"signup", "withdraw"}, "home": {"signup", "withdraw"}}),
    "offer_lapsed": (dt.timedelta(days=3), {"status": "offered", "offer_expires_at": minutes(-5)}, {"list": {"withdraw"}, "mine": {"withdraw"}, "home": {"withdraw"}}),
    "offered_started": (minutes(-10), {"status": "offered", "offer_expires_at": minutes(-10)}, {"list": set(), "mine": set(), "home": set()}),
    "stand_in_sought": (dt.timedelta(hours=5), {"status": "standin"}, {"list": set(), "mine": set(), "home": set()}),
    "cancelled": (dt.timedelta(days=3), {"cancelled": True}, {"list": set(), "mine": set(), "home": set()}),
    "ended_not_out": (minutes(-180), {"checked_in_at": minutes(-170)}, {"list": set(), "mine": {"check-out"}, "home": set()}),
}


async def _set_up(state: str, area, user: int, make_volunteer) -> int:
    starts_in, place, _expected = STATES[state]
    values = {"status": "cancelled", "cancel_reason": "Storm warning"} if isinstance(place, dict) and place.get("cancelled") else {}
    shift = await a_shift_at(area.community_id, starts_in, hours=2, capacity=1 if place == "full" else 3, **values)
    if place == "full":
        await a_place(shift, await make_volunteer())
    elif isinstance(place, dict):
        moments = {k: rules.utcnow() + v for k, v in place.items() if isinstance(v, dt.timedelta)}
        await a_place(shift, user, **{"status": place.get("status", "active"), **moments})
    return shift


async def _snapshot() -> tuple[list[dict], list[dict]]:
    return await Signup.select().order_by(Signup.id).run(), await Shift.select(Shift.id, Shift.taken, Shift.status).run()


async def _restore(signups: list[dict], shifts: list[dict]) -> None:
    await Signup.delete(force=True).run()
    for row in signups:
        await Signup.insert(Signup(**row)).run()
    for row in shifts:
        await Shift.update({Shift.taken: row["taken"], Shift.status: row["status"]}).where(Shift.id == row["id"]).run()


@pytest.mark.parametrize("state", sorted(STATES))
async def test_every_shift_button_shown_is_accepted(state, client_for, area, make_volunteer):
    """The buttons each page shows in this state are the expected ones, and each one, sent
    as the page has it, is accepted (a redirect, or the check-out's question whose "yes"
    is then accepted too); none answers 409."""
    client, user = await verified_client(client_for, area)
    shift = await _set_up(state, area, user, make_volunteer)
    before = await _snapshot()
    for page, path in (("list", "/shifts/"), ("mine", "/shifts/mine"), ("home", "/")):
        html = (await client.get(path)).text
        buttons = shift_buttons(html)
        shown = {SHIFT_ACTION.match(b["action"]).group(2) for b in buttons if int(SHIFT_ACTION.match(b["action"]).group(1)) == shift}
        assert shown == STATES[state][2][page], (state, page, buttons)
        for button in buttons:
            answer = await post_form(client, button["action"], button["fields"])
            assert answer.status_code in (200, 303), (state, page, button, answer.status_code, answer.text[:300])
            if answer.status_code == 200:
                confirm = [f for f in shift_buttons(answer.text) if f["fields"].get("confirm") == "yes"]
                assert confirm, (state, page, button)
                assert (await post_form(client, confirm[0]["action"], confirm[0]["fields"])).status_code == 303
            await _restore(*before)
