"""The desk on a PC and on a phone: at 1366×768 the station head's ledger dashboard uses the
width of the screen and no table header breaks inside a word (in English and in Chinese);
on a 390 px phone the bulletin's figures and the officer's hours table are cards whose
numbers keep their labels. The review queue sorts by a click on a column header on the
PC, and with the Sort by form on a phone without JavaScript. Screenshots are saved beside
the test's files."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

from portal import db
from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import LOCAL_HOSTS
from tests.browser.test_accessibility import AXE, axe_violations
from tests.browser.test_phone_journeys import fill_login_form, login_button

PC = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}

# Every word of every table header, as the lines the browser laid it out on: a word on
# more than one line was broken inside it ("File d", "Clos ed").
BROKEN_WORDS = """() => {
  const broken = [];
  for (const th of document.querySelectorAll("main table th")) {
    if (!th.offsetParent) continue;
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""

LABELS = """(selector) => [...document.querySelectorAll(selector + " td[data-label]")].map(td => {
  const before = getComputedStyle(td, "::before").content;
  return {label: td.dataset.label, before, block: getComputedStyle(td).display};
})"""


def worked_hours_for_the_demo_volunteer(settings) -> None:
    """A shift of 西关 a few hours ago with 2.5 hours for 张建国 (besides his shifts of the demo's year)."""

    async def add() -> None:
        from portal.accounts.tables import User
        from portal.shifts import rules
        from portal.shifts.tables import Shift, Signup
        from portal.volunteers.tables import VolunteerProfile

        db.configure(settings)
        await db.open_pool(settings)
        try:
            user = (await User.select(User.id).where(User.username == "volunteer").first().run())["id"]
            community = (await VolunteerProfile.select(VolunteerProfile.community).where(VolunteerProfile.user == user).first().run())["community"]
            kind = await rules.create_kind(None, community, {"kind": "patrol", "name": "Night patrol", "place": "Xiguan", "required_skills": "", "min_people": 1, "max_people": 2, "open_to": "volunteers", "buddy_min": 0, "needs_experienced": False})
            now = rules.utcnow()
            starts = now - dt.timedelta(hours=3)
            shift = (await Shift.insert(Shift(community=community, kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), min_people=1, capacity=2, taken=1, created_at=now)).returning(Shift.id).run())[0]["id"]
            await Signup.insert(Signup(shift=shift, user=user, status="active", queued_at=now, updated_at=now, hours_override=2.5)).run()
        finally:
            await db.close_pool()

    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(add())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def test_the_dashboard_uses_a_pc_screen_without_breaking_words(browser, portal_url, demo_data, tmp_path: Path):
    context = browser.new_context(base_url=portal_url, **PC)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS else route.abort("blockedbyclient"))
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        fill_login_form(page, "head", DEMO_PASSWORD)
        login_button(page).click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto("/ledger/dashboard")
        assert "desk" in page.locator("body").get_attribute("class").split()
        assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") > 1000
        assert page.locator("main table th").count() > 5
        assert page.evaluate(BROKEN_WORDS) == []  # in Chinese
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ledger dashboard")
        assert page.evaluate(BROKEN_WORDS) == []  # "Filed", "Closed", "Closed without confirmation"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        assert axe_violations(page) == []
        page.screenshot(path=str(tmp_path / "dashboard-1366.png"), full_page=True)
    finally:
        context.close()


def test_a_phone_shows_the_figures_and_hours_as_labelled_cards(open_phone, settings, tmp_path: Path):
    worked_hours_for_the_demo_volunteer(settings)
    resident = open_phone(java_script_enabled=False).page
    resident.goto("/c/xiguan/bulletins")
    resident.locator("main a[href*='/bulletins/']").first.click()
    resident.wait_for_load_state("load")  # the style sheet applied before the styles are read
    cells = resident.evaluate(LABELS, ".counts")
    assert cells, "the published bulletin has figures"
    for cell in cells:
        assert cell["block"] == "block" and cell["label"] in cell["before"], cell  # "本周: 12", not "+1 (0)"
    assert {c["label"] for c in cells} == {"本周", "较上周", "较近 4 周平均", "近 12 周"}
    assert resident.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 391
    resident.screenshot(path=str(tmp_path / "bulletin-figures-390.png"), full_page=True)

    officer = open_phone().page
    officer.context.add_init_script(path=str(AXE))
    fill_login_form(officer, "officer", DEMO_PASSWORD)
    login_button(officer).tap()
    officer.wait_for_url(lambda url: "/login" not in url)
    href = officer.evaluate("""() => { const a = [...document.querySelectorAll('a[href^="/shifts/manage/"]')][0]; return a && a.getAttribute('href'); }""")
    community = href.split("/")[3]
    officer.goto(f"/shifts/manage/{community}/hours")  # goto waits for "load"
    expect(officer.get_by_role("rowheader", name="张建国")).to_be_visible()
    cells = officer.evaluate(LABELS, "main table")
    assert {c["label"] for c in cells} == {"完成班次", "服务时长", "无故缺勤次数"} and len(cells) % 3 == 0, cells
    for cell in cells:
        assert cell["block"] == "block" and cell["label"] in cell["before"], cell  # "服务时长: 2.5", not "张建国 0 0 0"
    his_hours = officer.locator("main table tbody tr", has=officer.get_by_role("rowheader", name="张建国")).locator("td").nth(1).inner_text()
    assert float(his_hours) >= 2.5  # the 2.5 of the shift above and any the demo's year gave him this month
    assert officer.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 391
    assert axe_violations(officer) == []  # sortable headers: links, aria-sort
    # On a phone the header row is read by screen readers only; its sort link still works.
    officer.goto(officer.url.split("?")[0] + officer.get_by_role("link", name="服务时长", exact=True).last.get_attribute("href"))
    expect(officer.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    officer.screenshot(path=str(tmp_path / "hours-390.png"), full_page=True)


# The moments in one column of the review queue, in the rows' order (a <time> per cell).
COLUMN_TIMES = """(label) => [...document.querySelectorAll("main table.review-table tbody tr")].map(tr =>
  tr.querySelector(`td[data-label="${label}"] time`).getAttribute("datetime"))"""
HEADER_WORDS = BROKEN_WORDS.replace("main table th", "main table thead th")


def test_the_review_queue_sorts_by_a_header_on_a_pc_and_by_the_sort_form_on_a_phone(browser, portal_url, open_phone, tmp_path: Path):
    from datetime import datetime

    def moments(page, label):
        return [datetime.fromisoformat(t) for t in page.evaluate(COLUMN_TIMES, label)]

    def sign_in(page):
        fill_login_form(page, "officer", DEMO_PASSWORD)
        login_button(page).click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.context.add_cookies([{"name": "lang", "value": "en", "url": portal_url}])  # the pages that follow in English

    context = browser.new_context(base_url=portal_url, **PC)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS else route.abort("blockedbyclient"))
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        sign_in(page)
        page.goto("/review/")
        table = page.locator("main table.review-table")
        expect(table.locator("thead")).to_be_visible()
        expect(page.locator("form.sort-by")).to_be_hidden()  # the headers sort on a PC
        assert table.locator("tbody tr").count() > 3
        received = moments(page, "Received")
        assert received == sorted(received, reverse=True)  # newest received first
        expect(table.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
        expect(table.locator("th[aria-sort]")).to_contain_text("Received")
        table.get_by_role("link", name="Happened").click()
        page.wait_for_url("**/review/?sort=-occurred")
        happened = moments(page, "Happened")
        assert happened == sorted(happened, reverse=True)
        expect(table.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
        expect(table.locator("th[aria-sort]")).to_contain_text("Happened▼")
        table.get_by_role("link", name="Happened").click()  # again: the other way
        page.wait_for_url("**/review/?sort=occurred")
        happened = moments(page, "Happened")
        assert happened == sorted(happened)
        expect(table.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
        assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") > 1000
        assert page.evaluate(HEADER_WORDS) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        assert axe_violations(page) == []
        page.screenshot(path=str(tmp_path / "review-1366.png"), full_page=True)
    finally:
        context.close()

    # A phone without JavaScript: the header row is hidden under the cards, the Sort by
    # form (a plain GET form) orders them and keeps the filter.
    plain = open_phone(java_script_enabled=False)
    officer = plain.page
    sign_in(officer)
    officer.goto("/review/?kind=patrol")
    form = officer.locator("form.sort-by")
    expect(form).to_be_visible()
    assert officer.locator("main table.review-table thead").bounding_box()["height"] <= 1  # for screen readers only
    expect(form.get_by_label("Sort by")).to_have_value("-received")
    form.get_by_label("Sort by").select_option("occurred")
    form.get_by_role("button").tap()
    officer.wait_for_url(lambda url: "sort=occurred" in url)
    assert "kind=patrol" in officer.url  # the filter kept
    expect(officer.locator("form.sort-by select")).to_have_value("occurred")
    happened = moments(officer, "Happened")
    assert len(happened) > 1 and happened == sorted(happened)
    cells = officer.evaluate(LABELS, "main table.review-table")
    assert cells and all(c["block"] == "block" and c["label"] in c["before"] for c in cells), cells
    assert officer.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 391
    officer.screenshot(path=str(tmp_path / "review-390.png"), full_page=True)
    # The same page passes axe (which needs a page that runs scripts).
    checked = open_phone()
    checked.page.context.add_init_script(path=str(AXE))
    sign_in(checked.page)
    checked.page.goto(officer.url)
    expect(checked.page.locator("form.sort-by select")).to_have_value("occurred")
    assert axe_violations(checked.page) == []
    assert plain.offsite == [] and checked.offsite == []
