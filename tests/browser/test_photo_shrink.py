"""Photos shrunk on the phone before they are sent (static/js/photos.js), on a 390x844 phone
against the served portal: a 12-megapixel photo of 6 MB taken sideways (EXIF orientation
6) becomes a JPEG of at most 1600 px, drawn upright, so the request is a few hundred
kilobytes and the server (which refuses files over 5 MB) keeps it; the button is busy
while the form is sent. Without JavaScript the same photo is sent as it is and the form
comes back with the message next to the photo field and the text kept."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.test_phone_journeys import assert_fits_the_phone, assert_htmx_loaded, fill_login_form, login_button

MB = 1024 * 1024


def sideways_photo(path, size=(4000, 3000)) -> str:
    """A phone's photo held upright: stored 4000x3000 with EXIF orientation 6 (turn 90°
    clockwise to show), grain that JPEG cannot squeeze, over 5 MB."""
    noise = Image.effect_noise(size, 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.5).save(out, format="JPEG", quality=92, exif=exif.tobytes())
    assert out.tell() > 5 * MB
    path.write_bytes(out.getvalue())
    return str(path)


def open_hazard_form(phone) -> None:
    page = phone.page
    fill_login_form(page, "volunteer", DEMO_PASSWORD)
    login_button(page).tap()
    expect(page.get_by_role("button", name="巡逻：无异常")).to_be_visible()
    page.goto("/logs/new/hazard")
    expect(page.get_by_role("heading", level=1)).to_have_text("隐患")
    page.locator("label.choice", has=page.locator("input[value=fire_exit]")).tap()
    page.get_by_label("隐患情况").fill("3 号楼消防门被铁链锁住")
    page.get_by_label("地址或地点").fill("3 号楼一层")


def test_a_large_photo_is_shrunk_upright_on_the_phone_and_the_button_is_busy_while_sending(open_phone, tmp_path):
    phone = open_phone()
    page = phone.page
    open_hazard_form(phone)
    assert_htmx_loaded(page)
    page.locator("input[name=photos]").set_input_files(sideways_photo(tmp_path / "IMG_0001.jpg"))
    expect(page.locator("input[name=photos][data-photos-ready]")).to_have_count(1, timeout=20_000)
    expect(page.locator("[data-photo-status]")).to_contain_text("MB")
    assert_fits_the_phone(page)

    # Held at the context, which also sees what the portal's service worker sends on.
    held = []
    page.context.route(re.compile(r".*/logs/new/hazard$"), lambda route: held.append(route))
    button = page.get_by_role("button", name="保存记录")
    button.tap()
    page.wait_for_function("() => document.querySelector('button[aria-busy=true]') !== null")
    expect(page.locator("button[aria-busy=true]")).to_be_disabled()
    page.wait_for_timeout(200)
    assert held, "the form was not sent"
    request = held[0].request
    body = request.post_data_buffer or b""
    assert 0 < len(body) < 1 * MB, f"the request carried {len(body)} bytes"
    assert b"IMG_0001.jpg" in body and b"Exif" not in body  # the canvas writes no metadata
    page.context.unroute(re.compile(r".*/logs/new/hazard$"))
    held[0].continue_()

    expect(page.get_by_role("status").first).to_contain_text("已保存")
    expect(page.locator(".log-photos img").first).to_be_visible()
    link = page.locator(".log-photos a").first.get_attribute("href")
    assert re.fullmatch(r"/logs/\d+/photos/\d+", link or "")
    stored = page.request.get(link)
    assert stored.status == 200
    with Image.open(io.BytesIO(stored.body())) as image:
        assert max(image.size) <= 1600
        assert image.height > image.width, f"stored {image.size}: the EXIF orientation was not applied"
    assert phone.offsite == []


def test_without_javascript_a_large_photo_brings_the_form_back_with_the_text(open_phone, tmp_path):
    phone = open_phone(java_script_enabled=False)
    page = phone.page
    open_hazard_form(phone)
    page.locator("input[name=photos]").set_input_files([sideways_photo(tmp_path / f"IMG_{i}.jpg") for i in range(3)])
    page.get_by_role("button", name="保存记录").tap()
    expect(page.locator("#photos-error")).to_contain_text("5 MB")
    expect(page.get_by_label("隐患情况")).to_have_value("3 号楼消防门被铁链锁住")
    expect(page.get_by_label("地址或地点")).to_have_value("3 号楼一层")
    assert phone.offsite == []


def test_a_photo_sent_before_it_is_ready_waits_for_it_on_a_plain_form(open_phone, tmp_path):
    """The officer's photo form is a plain form (no htmx): a tap on the button while the
    photo is still being prepared makes the button busy at once and sends the small photo
    when it is ready, never the large one."""
    phone = open_phone()
    page = phone.page
    fill_login_form(page, "officer", DEMO_PASSWORD)
    login_button(page).tap()
    page.get_by_role("link", name="我在联系牌上的照片").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("王莉")
    page.wait_for_load_state("load")
    held = []
    page.context.route(re.compile(r".*/photo/edit$"), lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page.locator("input[name=photo]").set_input_files(sideways_photo(tmp_path / "portrait.jpg"))
    page.get_by_role("button", name="上传照片").tap()
    # Read in the page itself: a locator would wait for the held navigation to finish.
    busy = page.evaluate("() => document.querySelectorAll('button[aria-busy=true]').length")
    assert busy == 1, "the button is busy at once"
    for _ in range(100):  # the page is navigating: wait here, not in it
        if held:
            break
        page.wait_for_timeout(200)
    page.wait_for_timeout(300)
    assert len(held) == 1, "sent once, when the photo was ready"
    body = held[0].request.post_data_buffer or b""
    assert 0 < len(body) < 1 * MB, f"the request carried {len(body)} bytes"
    held[0].continue_()
    expect(page.locator(".alert.success")).to_contain_text("照片已保存", timeout=20_000)
    assert phone.offsite == []
