"""The desk on a PC and on a phone: at 1366×768 the station head's ledger dashboard uses the
width of the screen and no table header breaks inside a word (in English and in Chinese);
on a 390 px phone the bulletin's figures and the officer's hours table are cards whose
numbers keep their labels. Screenshots of both are saved beside the test's files."""

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
    """A shift of 西关 yesterday with 2.5 hours for 张建国 (the demo has no past shifts)."""

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
    assert "2.5" in officer.locator("main table tbody").inner_text()
    assert officer.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 391
    assert axe_violations(officer) == []  # sortable headers: links, aria-sort
    # On a phone the header row is read by screen readers only; its sort link still works.
    officer.goto(officer.url.split("?")[0] + officer.get_by_role("link", name="服务时长", exact=True).last.get_attribute("href"))
    expect(officer.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    officer.screenshot(path=str(tmp_path / "hours-390.png"), full_page=True)
