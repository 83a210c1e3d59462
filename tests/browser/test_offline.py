"""Without signal, on a phone in Chinese: the volunteer's portal keeps the log forms and
"My shifts" readable, keeps two logs typed offline (one with a photo) in its outbox with
"Waiting to send (2)" in the header, and sends them when the connection returns: exactly
one log arrives per submission, even for one whose answer was lost and is sent again."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
import uuid

from PIL import Image
from playwright.sync_api import Page, expect

from portal import db
from portal.demo import DEMO_PASSWORD
from tests.browser.test_phone_journeys import fill_login_form, login_button

KEPT_PAGES = ("/", "/shifts/mine", "/logs/new/help", "/logs/new/hazard", "/outbox")


def in_database(settings, work):
    """Runs ``work()`` (a coroutine function) against the test database, from a thread of
    its own (Playwright's sync API holds this thread's event loop)."""
    result: list = []

    async def run() -> None:
        db.configure(settings)
        await db.open_pool(settings)
        try:
            result.append(await work())
        finally:
            await db.close_pool()

    failure: list[BaseException] = []

    def thread() -> None:
        try:
            asyncio.run(run())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(error)

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


def logs_with(settings, marker: str) -> list[dict]:
    from portal.logs.tables import FieldLog

    async def read():
        return await FieldLog.select(FieldLog.id, FieldLog.kind, FieldLog.photo_count, FieldLog.author.username).where(FieldLog.description.like(f"%{marker}%")).run()

    return in_database(settings, read)


def photo(path) -> str:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 120, 40)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def outbox_badge(page: Page):
    return page.locator("a.outbox-link")


def wait_until_kept(page: Page, seconds: float = 30) -> None:
    """The worker controls the page and has kept the pages a volunteer needs offline."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15_000)
    paths = json.dumps(KEPT_PAGES)
    deadline = time.monotonic() + seconds
    while not page.evaluate(f"async () => (await Promise.all({paths}.map(p => caches.match(p)))).every(Boolean)"):
        assert time.monotonic() < deadline, "the worker did not keep the pages"
        page.wait_for_timeout(250)


def test_logs_typed_without_signal_are_sent_once_when_it_returns(open_phone, settings, tmp_path):
    phone = open_phone()
    page = phone.page
    context = page.context
    fill_login_form(page, "volunteer", DEMO_PASSWORD)
    login_button(page).tap()
    page.wait_for_url(lambda url: "/login" not in url)
    wait_until_kept(page)
    expect(outbox_badge(page)).to_have_attribute("data-count", "0")
    expect(outbox_badge(page)).to_be_hidden()
    marker = uuid.uuid4().hex[:8]

    context.set_offline(True)

    # A log typed without signal: kept on the phone, the person told so.
    page.goto("/logs/new/help")
    expect(page.get_by_role("heading", level=1)).to_have_text("救助便民")
    page.locator("label.choice").first.tap()
    page.get_by_label("详情（可选）").fill(f"帮老人搬煤气罐 {marker}")
    page.get_by_role("button", name="保存记录").tap()
    page.wait_for_url("**/outbox?queued=1")
    expect(page.locator("[data-outbox-queued]")).to_be_visible()
    expect(outbox_badge(page)).to_contain_text("1")

    # A second one, with a photo kept as a blob.
    page.goto("/logs/new/hazard")
    page.locator("label.choice", has=page.locator("input[value=lighting]")).tap()
    page.get_by_label("隐患情况").fill(f"楼道灯坏了 {marker}")
    page.get_by_label("地址或地点").fill("5 号楼")
    page.locator("input[name=photos]").set_input_files(photo(tmp_path / "lamp.jpg"))
    page.get_by_role("button", name="保存记录").tap()
    page.wait_for_url("**/outbox?queued=1")
    expect(outbox_badge(page)).to_be_visible()
    expect(outbox_badge(page)).to_contain_text("2")
    expect(page.locator("[data-outbox-list] li")).to_have_count(2)

    # The same form again: the copy kept on the phone gets a new key each time it opens.
    page.goto("/logs/new/help")
    page.locator("label.choice").nth(1).tap()
    page.get_by_label("详情（可选）").fill(f"帮走失儿童找到家人 {marker}")
    page.get_by_role("button", name="保存记录").tap()
    page.wait_for_url("**/outbox?queued=1")
    expect(outbox_badge(page)).to_contain_text("3")

    # My shifts reads as it did with signal, with the count in its header too.
    page.goto("/shifts/mine")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的班次")
    expect(page.get_by_role("heading", level=2).first).to_be_visible()
    expect(outbox_badge(page)).to_contain_text("3")
    assert logs_with(settings, marker) == []

    # A submission whose answer was lost is kept and sent again: the same entry twice.
    page.evaluate("""() => new Promise((resolve, reject) => {
        const opening = indexedDB.open("shouwang-offline");
        opening.onsuccess = () => {
            const outbox = opening.result.transaction("outbox", "readwrite").objectStore("outbox");
            const all = outbox.getAll();
            all.onsuccess = () => { const again = Object.assign({}, all.result[0]); delete again.id; outbox.add(again).onsuccess = resolve; };
        };
        opening.onerror = reject;
    })""")
    page.reload()
    expect(outbox_badge(page)).to_contain_text("4")

    context.set_offline(False)
    expect(outbox_badge(page)).to_have_attribute("data-count", "0", timeout=15_000)
    expect(outbox_badge(page)).to_be_hidden()
    sent = logs_with(settings, marker)
    assert sorted(log["kind"] for log in sent) == ["hazard", "help", "help"], sent
    assert all(log["author.username"] == "volunteer" for log in sent)
    assert [log["photo_count"] for log in sent if log["kind"] == "hazard"] == [1]
    page.goto("/outbox")
    expect(page.locator("[data-outbox-empty]")).to_be_visible()
    assert phone.offsite == []


def test_a_log_the_portal_refuses_later_is_kept_and_corrected(open_phone, settings):
    """Typed offline without its kind of help: once sent, the server's 422 keeps the entry,
    and "Open and correct" brings back the form with its message and the text typed."""
    phone = open_phone()
    page = phone.page
    fill_login_form(page, "volunteer", DEMO_PASSWORD)
    login_button(page).tap()
    page.wait_for_url(lambda url: "/login" not in url)
    wait_until_kept(page)
    marker = uuid.uuid4().hex[:8]

    page.context.set_offline(True)
    page.goto("/logs/new/help")
    page.get_by_label("详情（可选）").fill(f"忘了选类别 {marker}")
    page.get_by_role("button", name="保存记录").tap()
    page.wait_for_url("**/outbox?queued=1")
    expect(outbox_badge(page)).to_contain_text("1")

    page.context.set_offline(False)
    reopen = page.locator("[data-outbox-list] li [data-item-open]")
    expect(reopen).to_be_visible(timeout=15_000)
    expect(outbox_badge(page)).to_have_attribute("data-count", "1")
    assert logs_with(settings, marker) == []

    reopen.tap()
    expect(page.locator("#category-error")).to_be_visible()
    expect(page.get_by_label("详情（可选）")).to_have_value(f"忘了选类别 {marker}")
    page.locator("label.choice").first.tap()
    page.get_by_role("button", name="保存记录").tap()
    expect(page.get_by_role("status")).to_contain_text("已保存，谢谢。")
    # The entry is sent once more, the server points to the log saved with its key, and it goes.
    expect(outbox_badge(page)).to_have_attribute("data-count", "0", timeout=15_000)
    assert len(logs_with(settings, marker)) == 1

    # Logged out: the pages kept for the volunteer go with them.
    page.locator("form[action='/logout'] button").tap()
    page.wait_for_url(lambda url: "/outbox" not in url and "/logs/" not in url)
    deadline = time.monotonic() + 10
    while page.evaluate("async () => !!(await caches.match('/shifts/mine'))"):
        assert time.monotonic() < deadline, "the volunteer's pages are still kept after logging out"
        page.wait_for_timeout(250)
    assert phone.offsite == []
