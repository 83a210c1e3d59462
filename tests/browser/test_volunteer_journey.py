"""On a phone in Chinese: a person applies to be a volunteer, the officer of 西关社区
verifies the application, and the new volunteer finds the acceptance in the inbox."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD

PHONE_WIDTH = 390


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).tap()
    expect(page).to_have_url("/")


def assert_fits_the_phone(page: Page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner_width == PHONE_WIDTH and scroll_width <= inner_width


def test_apply_verify_and_read_the_answer_in_the_inbox(open_phone):
    applicant = open_phone().page
    applicant.goto("/")
    applicant.get_by_role("link", name="申请成为义警").tap()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("申请成为义警")
    assert_fits_the_phone(applicant)

    # First without consent: the message stands next to the box and the input stays.
    applicant.get_by_label("真实姓名").fill("周小燕")
    applicant.get_by_label("电话").fill("139 1234 5678")
    applicant.get_by_label("社区").select_option(label="城中派出所 · 西关社区")
    applicant.get_by_label("急救", exact=True).check()
    applicant.get_by_label("急救：有效期至（选填）").fill((dt.date.today() + dt.timedelta(days=365)).isoformat())
    applicant.get_by_label("您何时可以参与（选填）").fill("周末上午")
    applicant.get_by_label("用户名").fill("zhouxiaoyan")
    applicant.get_by_label("密码").fill("zhou-xiaoyan-2026")
    applicant.get_by_role("button", name="提交申请").tap()
    expect(applicant.locator("#consent-error")).to_have_text("申请前请同意我们使用您的资料。")
    expect(applicant.get_by_label("真实姓名")).to_have_value("周小燕")
    expect(applicant.get_by_label("急救", exact=True)).to_be_checked()

    applicant.get_by_label("我同意按上述说明保存和使用我的资料").check()
    applicant.get_by_label("密码").fill("zhou-xiaoyan-2026")  # passwords are never sent back
    applicant.get_by_role("button", name="提交申请").tap()
    expect(applicant).to_have_url("/")
    expect(applicant.get_by_text("您的申请正在等待社区民警审核。")).to_be_visible()

    # The officer's phone runs without JavaScript: every step is a plain form.
    officer = open_phone(java_script_enabled=False).page
    log_in(officer, "officer", DEMO_PASSWORD)
    officer.get_by_role("link", name="义警申请").first.tap()
    officer.get_by_role("link", name="周小燕").tap()
    expect(officer.get_by_text("139 1234 5678")).to_be_visible()
    assert_fits_the_phone(officer)
    officer.get_by_role("button", name="审核通过").tap()
    expect(officer.get_by_text("已保存。已通过消息通知该义警。")).to_be_visible()

    applicant.goto("/")
    expect(applicant.locator("#unread-badge")).to_contain_text("1")
    expect(applicant.get_by_text("您的申请正在等待社区民警审核。")).to_have_count(0)
    applicant.get_by_role("banner").get_by_role("link", name="消息").tap()
    expect(applicant.get_by_text("您的义警申请已通过")).to_be_visible()
    applicant.get_by_role("button", name="全部标为已读").tap()
    expect(applicant.get_by_text("新", exact=True)).to_have_count(0)
    expect(applicant.locator("#unread-badge")).to_have_text("")
    assert_fits_the_phone(applicant)
