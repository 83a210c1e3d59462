"""Browser: a desk shift at a tablet (1024×768), its pages checked by axe (WCAG 2.2 AA). The officer of 西关社区, in Chinese, logs
visits by tapping (one tap saves; a double tap saves once), adds details, corrects one,
files a complaint in the ledger and prints its receipt slip on A6, whose QR code decodes
to the tracking page; then the desk in English."""

from __future__ import annotations

import asyncio
import io
import threading
import uuid
from urllib.parse import urlsplit

import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from portal import db
from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import LOCAL_HOSTS
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_journeys import assert_htmx_loaded, fill_login_form, login_button

TABLET = {"viewport": {"width": 1024, "height": 768}, "is_mobile": False, "has_touch": True, "device_scale_factor": 1}
ROOM = "西关测试会客厅"


def add_room(settings) -> int:
    """A verified room of 西关社区 of its own (the demo's rooms may change)."""
    found: list[int] = []

    async def add() -> None:
        from portal.accounts.rules import now
        from portal.reception.tables import Room
        from portal.stations.tables import Community

        db.configure(settings)
        await db.open_pool(settings)
        try:
            community = (await Community.select(Community.id).where(Community.code == "xiguan").first().run())["id"]
            row = await Room.insert(Room(community=community, kind="street", slug=f"desk-{uuid.uuid4().hex[:8]}", name_zh=ROOM, name_en="Xiguan test room",
                                         languages="zh,en", status="verified", idempotency_key=str(uuid.uuid4()), created_at=now(), updated_at=now())).returning(Room.id).run()
            found.append(row[0]["id"])
        finally:
            await db.close_pool()

    worker = threading.Thread(target=lambda: asyncio.run(add()))
    worker.start()
    worker.join()
    return found[0]


def today_rows(page):
    return page.locator("table.desk-today tbody tr")


def test_desk_shift_at_a_tablet_in_both_languages(browser, portal_url, demo_data, settings):
    room_id = add_room(settings)
    context = browser.new_context(base_url=portal_url, locale="zh-CN", **TABLET)
    context.set_default_timeout(10_000)
    offsite: list[str] = []

    def only_local(route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_local)
    try:
        desk_shift(context.new_page(), room_id)
    finally:
        context.close()
    assert offsite == []


def desk_shift(page, room_id: int) -> None:
    fill_login_form(page, "officer", DEMO_PASSWORD)
    login_button(page).click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"/reception/rooms/{room_id}/desk")
    assert_htmx_loaded(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"接待台 · {ROOM}")
    expect(page.get_by_text("今天还没有登记来访。")).to_be_visible()

    # One tap: a consultation of one person; the details come after.
    page.get_by_role("button", name="咨询").click()
    expect(page.locator("#details-title")).to_contain_text("已保存：咨询，1 人。")
    expect(today_rows(page)).to_have_count(1)
    page.get_by_label("人数").fill("2")
    page.get_by_label("简要记录").fill("问路去钟楼")
    page.get_by_role("button", name="保存详情").click()
    expect(today_rows(page).first).to_contain_text("问路去钟楼")
    # A double tap is one visit.
    page.get_by_role("button", name="便民服务").dblclick()
    expect(page.locator("#details-title")).to_contain_text("便民服务")
    expect(today_rows(page)).to_have_count(2)
    # Bad details: the message next to the field, nothing lost.
    page.get_by_label("人数").fill("10000")
    page.get_by_role("button", name="保存详情").click()
    expect(page.locator("#people-error")).to_be_visible()
    expect(page.get_by_label("人数")).to_have_value("10000")
    page.get_by_label("人数").fill("1")
    page.get_by_role("button", name="保存详情").click()
    expect(page.locator("#people-error")).to_have_count(0)
    # A complaint with the walk-in's contact.
    page.get_by_role("button", name="投诉举报").click()
    page.get_by_label("简要记录").fill("夜间烧烤店噪音扰民")
    page.get_by_label("姓名（选填）").fill("李先生")
    page.get_by_label("电话（选填）").fill("13911112222")
    page.get_by_role("button", name="保存详情").click()
    expect(today_rows(page)).to_have_count(3)
    expect(today_rows(page).first).to_contain_text("13911112222")
    assert axe_violations(page) == []  # the desk with its saved panel and the day's list

    # Correct the consultation: 3 people, resolved.
    page.locator("table.desk-today tbody tr", has_text="问路去钟楼").get_by_role("link").click()
    page.get_by_label("人数").fill("3")
    page.get_by_label("结果").select_option("resolved")
    with page.expect_navigation():  # saved: the visit's page again, with its history
        page.get_by_role("button", name="保存更正").click()
    expect(page.get_by_label("人数")).to_have_value("3")
    expect(page.locator("li", has_text="已更正")).to_have_count(2)  # the details, then the correction
    assert axe_violations(page) == []  # a visit's page
    page.get_by_role("link", name="返回接待台").click()
    expect(today_rows(page).filter(has_text="问路去钟楼")).to_contain_text("3")

    # File the complaint in the ledger and print its receipt slip.
    page.locator("table.desk-today tbody tr", has_text="夜间烧烤店噪音扰民").get_by_role("link").click()
    page.get_by_role("button", name="转入台账").click()
    number = page.locator("a[href^='/ledger/']").first.inner_text()
    assert number.count("-") == 2
    page.get_by_role("link", name="打印回执").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("回执")
    expect(page.locator(".number")).to_have_text(number)
    code = page.locator(".code").inner_text()
    assert axe_violations(page) == []  # the slip
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator(".qr-code").screenshot())))
    assert [result.text for result in decoded] and decoded[0].text.endswith(f"/track/{code}")
    page.emulate_media(media="print")
    assert not page.locator("nav.screen-only").is_visible()
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    width_mm = float(pdf.pages[0].mediabox.width) / 72 * 25.4
    height_mm = float(pdf.pages[0].mediabox.height) / 72 * 25.4
    assert abs(width_mm - 105) < 2 and abs(height_mm - 148) < 2 and len(pdf.pages) == 1  # one A6 slip
    page.emulate_media(media="screen")
    # The tracking page the QR code opens is the walk-in's matter.
    page.goto(decoded[0].text.replace(decoded[0].text.split("/track/")[0], ""))
    expect(page.get_by_text(number).first).to_be_visible()

    # The desk in English.
    page.goto(f"/reception/rooms/{room_id}/desk")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Desk · Xiguan test room")
    page.get_by_role("button", name="Foreign visitor served").click()
    expect(page.locator("#details-title")).to_contain_text("Saved: Foreign visitor served, 1 person.")
    page.get_by_label("Language used").select_option("en")
    page.get_by_role("button", name="Save the details").click()
    expect(today_rows(page)).to_have_count(4)
    expect(today_rows(page).first).to_contain_text("English")
    assert axe_violations(page) == []
