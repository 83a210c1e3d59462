"""The desk's pages: officers, heads and admins get the wide layout (body class "desk"),
volunteers do not; the hours table sorts on the server by a whitelisted column, says so
with aria-sort, and labels each cell for the phone's cards."""

from __future__ import annotations

import datetime as dt
import re

from portal.shifts import rules
from portal.shifts.tables import Signup
from tests.conftest import post_form
from tests.test_shifts_routes import a_shift


def body_classes(html: str) -> list[str]:
    match = re.search(r"<body(?: class=\"([^\"]*)\")?", html)
    return (match.group(1) or "").split()


def names_in_order(html: str) -> list[str]:
    return re.findall(r'<tr><th scope="row">([^<]*)</th>', html)


async def test_the_hours_table_sorts_by_a_whitelisted_column_and_labels_its_cells(client_for, area, make_volunteer):
    officer, _ = await client_for("officer")
    shift = await a_shift(area.community_id, starts_in=dt.timedelta(hours=-3))
    now = rules.utcnow()
    for name, hours in (("Bai", "1"), ("Ang", "3.5"), ("Chen", "2")):
        user = await make_volunteer(real_name=name)
        signup = (await Signup.insert(Signup(shift=shift, user=user, status="active", queued_at=now, updated_at=now)).returning(Signup.id).run())[0]["id"]
        assert (await post_form(officer, f"/shifts/manage/{area.community_id}/signups/{signup}/hours", {"hours": hours, "note": "corrected"})).status_code == 303
    month = now.astimezone(rules.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    base = f"/shifts/manage/{area.community_id}/hours?month={month}"

    page = await officer.get(base)
    assert page.status_code == 200 and "desk" in body_classes(page.text)
    assert names_in_order(page.text) == ["Ang", "Chen", "Bai"]  # most hours first
    assert '<th scope="col" class="num" aria-sort="descending"><a class="sort" href="?month=' + month + '&amp;sort=hours">' in page.text
    assert 'data-label="Hours">3.5</td>' in page.text and 'data-label="Shifts worked">1</td>' in page.text
    by_name = await officer.get(base + "&sort=name")
    assert names_in_order(by_name.text) == ["Ang", "Bai", "Chen"] and 'aria-sort="ascending"><a class="sort" href="?month=' + month + '&amp;sort=-name"' in by_name.text
    assert names_in_order((await officer.get(base + "&sort=-name")).text) == ["Chen", "Bai", "Ang"]
    assert names_in_order((await officer.get(base + "&sort=hours")).text) == ["Bai", "Chen", "Ang"]
    # The phone's "Sort by" form (the header row is hidden under the cards there) asks for
    # the same orders and keeps the month.
    form = by_name.text[by_name.text.index('<form method="get" class="sort-by">'):]
    form = form[: form.index("</form>")]
    assert f'<input type="hidden" name="month" value="{month}">' in form and '<option value="name" selected>Name, ascending</option>' in form
    assert re.findall(r'<option value="([^"]*)"', form) == ["name", "-name", "-shifts", "shifts", "-hours", "hours", "-no_shows", "no_shows"]
    # A column not in the list is the default order, never an error.
    for odd in ("password", "-real;drop", "x" * 12):
        answer = await officer.get(base + "&sort=" + odd)
        assert answer.status_code == 200 and names_in_order(answer.text) == ["Ang", "Chen", "Bai"]
    assert (await officer.get(base + "&sort=" + "x" * 40)).status_code == 400


async def test_only_desk_roles_get_the_wide_layout(client_for):
    for role, desk in (("volunteer", False), ("officer", True), ("head", True), ("admin", True)):
        client, _ = await client_for(role)
        page = await client.get("/")
        assert page.status_code == 200 and ("desk" in body_classes(page.text)) is desk, role


async def test_the_officer_lists_label_their_cells_for_the_phone(client_for, area, make_volunteer):
    officer, _ = await client_for("officer")
    await make_volunteer(real_name="Ang")
    page = await officer.get(f"/communities/{area.community_id}/volunteers")
    assert page.status_code == 200 and "Ang" in page.text
    assert 'data-label="Status">' in page.text and 'data-label="Skills">' in page.text
