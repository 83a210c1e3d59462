"""An officer at the office PC (1366×768, in Chinese) downloads the volunteers' template and
the example file from the import page, uploads the example, reads the preview (nothing saved
yet), confirms, and sees the one-time passwords of the new accounts; the same file again
says every row is unchanged and offers nothing to confirm. Each page passes axe (WCAG 2.2 AA):
the preview and the passwords are reached by no link the accessibility walk follows."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from openpyxl import load_workbook
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import LOCAL_HOSTS
from tests.browser.test_accessibility import AXE, axe_violations
from tests.browser.test_phone_journeys import fill_login_form, login_button

PC = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


def test_officer_imports_volunteers_on_a_pc(browser, portal_url, demo_data, tmp_path: Path):
    context = browser.new_context(base_url=portal_url, accept_downloads=True, **PC)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOCAL_HOSTS else route.abort("blockedbyclient"))
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        fill_login_form(page, "officer", DEMO_PASSWORD)
        login_button(page).click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.get_by_role("link", name="从 Excel 或 CSV 导入人员和地点").click()
        expect(page.get_by_role("heading", name="从表格导入", level=1)).to_be_visible()
        assert axe_violations(page) == []

        row = page.get_by_role("row", name="义警")
        with page.expect_download() as template:
            row.get_by_role("link", name="中文 .xlsx").first.click()
        template_path = tmp_path / template.value.suggested_filename
        template.value.save_as(template_path)
        book = load_workbook(template_path)
        assert [c.value for c in book.worksheets[0][1]] == ["姓名", "手机号", "社区代码", "技能", "已核实", "电子邮箱"]
        assert book.worksheets[1].title == "填写说明"

        with page.expect_download() as example:
            row.get_by_role("cell").nth(1).get_by_role("link", name="中文 .xlsx").click()
        example_path = tmp_path / example.value.suggested_filename
        example.value.save_as(example_path)

        page.get_by_label("文件内容").select_option("volunteers")
        page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(str(example_path))
        page.get_by_role("button", name="上传并预览").click()
        expect(page.get_by_role("heading", name="预览：尚未保存任何内容")).to_be_visible()
        expect(page.get_by_role("link", name="将新建: 6")).to_be_visible()
        expect(page.get_by_role("link", name="被拒绝: 0")).to_be_visible()
        assert axe_violations(page) == []
        page.get_by_role("button", name="确认导入").click()
        expect(page.get_by_text("已导入：新建 6 条，更新 0 条，未变 0 条。")).to_be_visible()
        expect(page.get_by_role("heading", name="新账号的一次性密码")).to_be_visible()
        assert axe_violations(page) == []
        page.get_by_role("link", name="显示可打印的名单").click()
        expect(page.get_by_role("cell", name="张伟")).to_be_visible()
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366

        page.goto("/imports/")
        page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(str(example_path))
        page.get_by_role("button", name="上传并预览").click()
        expect(page.get_by_role("link", name="未变: 6")).to_be_visible()
        expect(page.get_by_text("每一行都已与文件一致：没有需要导入的内容。")).to_be_visible()
        expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    finally:
        context.close()
