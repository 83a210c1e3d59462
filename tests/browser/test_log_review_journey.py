"""The review of field logs on phones, in Chinese: a volunteer logs "nothing to report", a
hazard with a photo and a mediation with its parties; the officer accepts the hazard from
the queue (htmx swaps its row in place) and asks about the mediation on its page (the
row's link to the other decisions), never seeing the parties in the queue; the volunteer
answers and the mediation is back in the queue. Without JavaScript, Accept in the queue
is a plain form post that comes back to the queue."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from tests.browser.test_logs_journey import photo
from tests.browser.test_phone_journeys import assert_fits_the_phone, assert_htmx_loaded, fill_login_form, login_button

PARTY = "机密当事人钱七"


def log_id_of(page: Page) -> int:
    page.wait_for_url(re.compile(r"/logs/\d+"))
    return int(re.search(r"/logs/(\d+)", page.url).group(1))


def log_in(page: Page, username: str) -> None:
    fill_login_form(page, username, DEMO_PASSWORD)
    login_button(page).tap()
    page.wait_for_url(lambda url: "/login" not in url)
    assert_htmx_loaded(page)


def test_officer_accepts_a_log_and_asks_about_another_which_the_volunteer_answers(open_phone, tmp_path):
    volunteer = open_phone()
    page = volunteer.page
    log_in(page, "volunteer")

    page.get_by_role("button", name="巡逻：无异常").tap()
    expect(page.get_by_role("status")).to_contain_text("已保存，谢谢。")

    page.goto("/logs/new/hazard")
    assert_htmx_loaded(page)
    page.locator("textarea[name=description]").fill("5 号楼楼道堆满纸箱")
    page.locator("input[name=address]").fill("5 号楼二层")
    page.locator("label.choice", has=page.locator("input[value=stairwell]")).tap()
    page.locator("label.choice", has=page.locator("input[value=medium]")).tap()
    page.locator("input[name=photos]").set_input_files(photo(tmp_path / "stairs.jpg"))
    page.get_by_role("button", name="保存记录").tap()
    expect(page.get_by_role("status")).to_contain_text("已保存，谢谢。")
    hazard = log_id_of(page)

    page.goto("/logs/new/mediation")
    assert_htmx_loaded(page)
    page.locator("label.choice", has=page.locator("input[value=neighbours]")).tap()
    page.locator("label.choice", has=page.locator("input[value=resolved]")).tap()
    page.locator("textarea[name=description]").fill("楼上漏水到楼下")
    page.locator("textarea[name=agreement]").fill("楼上本周修好水管")
    page.locator("input[name=address]").fill("7 号楼")
    page.locator("#party_name_0").fill(PARTY)
    page.locator("#party_contact_0").fill("13700001111")
    page.get_by_role("button", name="保存记录").tap()
    expect(page.get_by_role("status")).to_contain_text("已保存，谢谢。")
    mediation = log_id_of(page)

    officer = open_phone()
    desk = officer.page
    log_in(desk, "officer")
    desk.get_by_role("link", name="待审核的日志").tap()
    expect(desk.get_by_role("heading", level=1)).to_have_text("审核队列")
    assert_htmx_loaded(desk)
    assert_fits_the_phone(desk)
    expect(desk.locator(f"#log-{hazard}")).to_contain_text("隐患")
    expect(desk.locator(f"#log-{mediation}")).to_contain_text("调解")
    assert PARTY not in desk.content()
    desk.evaluate("window.__marker = 1")

    # Accept the hazard: htmx swaps its row, the page stays.
    desk.locator(f"#log-{hazard}").get_by_role("button", name="采纳").tap()
    expect(desk.locator(f"#log-{hazard} .tag.status")).to_have_text("已采纳")
    assert desk.evaluate("window.__marker") == 1
    expect(desk.locator(f"#log-{hazard}").get_by_role("button", name="采纳")).to_have_count(0)
    # Ask about the mediation: the row leads to the log's page and its decisions.
    desk.locator(f"#log-{mediation}").get_by_role("link", name="要求补充、标为重复、评论").tap()
    desk.wait_for_url(re.compile(rf"/logs/{mediation}#review-actions$"))
    actions = desk.locator("#review-actions")
    actions.locator("summary", has_text="要求补充信息").tap()
    actions.get_by_label("向填报人提问").fill("双方是否签了书面协议？")
    with desk.expect_response(lambda r: r.url.endswith(f"/review/{mediation}/ask")) as answer:
        actions.get_by_role("button", name="发送问题").tap()
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-target") == "review-actions"
    expect(desk.locator("#review-actions").get_by_role("button", name="采纳")).to_be_visible()
    desk.goto("/review/")
    expect(desk.locator(f"#log-{mediation} .tag.status")).to_have_text("待补充信息")
    assert_fits_the_phone(desk)

    # The volunteer is told, opens the log and answers.
    page.goto("/inbox")
    expect(page.locator("main")).to_contain_text(f"关于您的日志 #{mediation} 的问题")
    page.goto(f"/logs/{mediation}")
    expect(page.locator("#notes")).to_contain_text("双方是否签了书面协议？")
    page.locator("#answer-form textarea").fill("签了，一式两份")
    page.locator("#answer-form").get_by_role("button").tap()
    expect(page.locator("#notes")).to_contain_text("签了，一式两份")

    # Back in the officer's queue, waiting for review again; the hazard stays accepted.
    desk.goto("/review/?status=submitted")
    expect(desk.locator(f"#log-{mediation} .tag.status")).to_have_text("待审核")
    expect(desk.locator(f"#log-{hazard}")).to_have_count(0)
    desk.goto(f"/logs/{hazard}")
    expect(desk.locator("#history")).to_contain_text("officer")
    assert volunteer.offsite == [] and officer.offsite == []


def test_officer_accepts_from_the_queue_without_javascript(open_phone):
    volunteer = open_phone()
    log_in(volunteer.page, "volunteer")
    volunteer.page.get_by_role("button", name="巡逻：无异常").tap()
    expect(volunteer.page.get_by_role("status")).to_contain_text("已保存，谢谢。")

    officer = open_phone(java_script_enabled=False)
    desk = officer.page
    fill_login_form(desk, "officer", DEMO_PASSWORD)
    login_button(desk).tap()
    desk.wait_for_url(lambda url: "/login" not in url)
    desk.goto("/review/?kind=patrol")
    row = desk.locator("tr.review-row").first
    log_id = row.get_attribute("id")
    expect(row.locator(".tag.status")).to_have_text("待审核")
    row.get_by_role("button", name="采纳").tap()
    desk.wait_for_load_state("load")
    assert desk.url.endswith("/review/?kind=patrol")
    expect(desk.locator(f"#{log_id} .tag.status")).to_have_text("已采纳")
    expect(desk.locator(f"#{log_id}").get_by_role("button", name="采纳")).to_have_count(0)
    # The tick box is named by the log it selects.
    expect(desk.get_by_role("checkbox", name=re.compile(rf"选择日志 #{log_id.removeprefix('log-')} 巡逻"))).to_have_count(1)
    assert_fits_the_phone(desk)
    assert volunteer.offsite == [] and officer.offsite == []
