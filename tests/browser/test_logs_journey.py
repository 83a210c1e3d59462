"""A volunteer's field logs on a phone, in Chinese: "nothing to report" from the home page
in two taps, then a hazard with a photo (big choice buttons, the photo re-encoded and
shown as a thumbnail on the log's page), and both in "My logs"."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.test_phone_journeys import assert_fits_the_phone, assert_htmx_loaded, fill_login_form, login_button


def photo(path) -> str:
    image = Image.new("RGB", (1200, 900), (180, 40, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_a_volunteer_logs_nothing_to_report_and_a_hazard_with_a_photo(open_phone, tmp_path):
    volunteer = open_phone()
    page = volunteer.page
    fill_login_form(page, "volunteer", DEMO_PASSWORD)
    login_button(page).tap()
    expect(page.get_by_role("button", name="巡逻：无异常")).to_be_visible()
    assert_htmx_loaded(page)

    # Two taps: log in lands on the home page; one tap logs the patrol and confirms it.
    page.get_by_role("button", name="巡逻：无异常").tap()
    expect(page.get_by_role("status")).to_contain_text("已保存，谢谢。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("巡逻")
    expect(page.locator("main")).to_contain_text("无异常")
    assert_fits_the_phone(page)

    page.goto("/")
    page.get_by_role("link", name="隐患", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("隐患")
    assert_htmx_loaded(page)
    assert_fits_the_phone(page)
    page.evaluate("window.__marker = 1")
    # Saved without a category: htmx swaps the form with the message, the text stays.
    page.get_by_label("隐患情况").fill("3 号楼消防门被铁链锁住")
    page.get_by_label("地址或地点").fill("3 号楼一层")
    page.get_by_role("button", name="保存记录").tap()
    expect(page.locator("#category-error")).to_be_visible()
    assert page.evaluate("window.__marker") == 1
    expect(page.get_by_label("隐患情况")).to_have_value("3 号楼消防门被铁链锁住")

    page.locator("label.choice", has=page.locator("input[value=fire_exit]")).tap()
    page.locator("label.choice", has=page.locator("input[value=high]")).tap()
    page.locator("input[name=photos]").set_input_files(photo(tmp_path / "door.jpg"))
    page.get_by_role("button", name="保存记录").tap()
    expect(page.get_by_role("status")).to_contain_text("已保存，谢谢。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("隐患")
    thumbnail = page.locator(".log-photos img").first
    expect(thumbnail).to_be_visible()
    page.wait_for_function("() => document.querySelector('.log-photos img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('.log-photos img').naturalWidth") <= 320
    assert_fits_the_phone(page)

    page.get_by_role("link", name="我的记录").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的记录")
    # Newest first: the hazard, then the patrol (the demo's year of his logs below them).
    expect(page.locator("li.my-log").first).to_contain_text("隐患")
    expect(page.locator("li.my-log").nth(1)).to_contain_text("无异常")
    assert volunteer.offsite == []
