"""Page objects of the task screens: what a person does on each, by role and label (STYLE.md §9).

Actions on the task page live in regions named after the action (the section's heading), so two
forms that both ask for "完成进度(%)" are told apart the way a screen reader would."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


class TaskPages:
    def __init__(self, ui):
        self.ui = ui
        self.page: Page = ui.page

    # --- session ------------------------------------------------------------------------------
    def logout(self):
        self.page.locator(".topbar .dropdown-toggle").click()
        self.page.get_by_role("button", name="退出登录").click()
        self.page.wait_for_url(re.compile(r"/accounts/login/"))

    def login_as(self, username, password):
        if self.page.locator(".topbar").count():
            self.logout()
        self.ui.login(username, password)

    # --- create and assign --------------------------------------------------------------------
    def create_task(self, *, title, detail, lead_unit_id, due, post_id=None, cycle="每月"):
        self.ui.goto("/tasks/list/")
        self.page.get_by_role("link", name="新建任务").click()
        self.page.get_by_label("任务名称").fill(title)
        self.page.get_by_label("任务内容").fill(detail)
        self.page.get_by_label("牵头单位").select_option(str(lead_unit_id))
        if post_id is not None:
            self.page.get_by_label("责任岗位").select_option(str(post_id))
        self.page.get_by_label("完成时限").fill(due.isoformat())
        self.page.get_by_label("报送周期").select_option(label=cycle)
        self.page.get_by_role("button", name="保存").click()
        expect(self.page.get_by_role("heading", level=1, name=title)).to_be_visible()

    # --- the task page ------------------------------------------------------------------------
    def open_from_todo(self, title, tab="待签收"):
        self.ui.goto("/tasks/todo/")
        self.page.get_by_role("link", name=re.compile(tab)).click()
        self.page.get_by_role("region", name=tab).get_by_role("link", name=title).click()
        expect(self.page.get_by_role("heading", level=1, name=title)).to_be_visible()

    def open_from_list(self, title):
        self.ui.goto("/tasks/list/")
        self.page.get_by_label("搜索").fill(title)
        self.page.get_by_role("button", name="筛选").click()
        self.page.get_by_role("region", name="任务列表").get_by_role("link", name=title).click()
        expect(self.page.get_by_role("heading", level=1, name=title)).to_be_visible()

    def action(self, name):
        return self.page.get_by_role("region", name=name)

    def press(self, name):
        """A transition without inputs (交办, 签收, 开始办理): its region's one button (交办: the
        form as prefilled, then its confirmation page)."""
        if name == "交办":
            self.action(name).get_by_role("button", name="下一步:确认交办").click()
            self.page.get_by_role("button", name="确认交办").click()
        else:
            self.action(name).get_by_role("button", name=name).click()
        self.expect_message(name)

    def expect_message(self, text):
        expect(self.page.get_by_role("alert").filter(has_text=text)).to_be_visible()

    def report(self, *, narrative, percent, files=()):
        region = self.action("报送进展")
        region.get_by_label("进展情况").fill(narrative)
        region.get_by_label("完成进度(%)").fill(str(percent))
        if files:
            region.get_by_label("附件").set_input_files(list(files))
        region.get_by_role("button", name="报送进展").click()
        self.expect_message("进展已报送")

    def request_completion(self, *, narrative, files):
        region = self.action("申请办结")
        region.get_by_label("办结情况").fill(narrative)
        region.get_by_label("佐证材料").set_input_files(list(files))
        region.get_by_role("button", name="申请办结").click()
        self.expect_message("申请办结")

    def send_back(self, reason):
        region = self.action("退回")
        region.get_by_label("退回理由").fill(reason)
        region.get_by_role("button", name="退回").click()
        self.expect_message("退回")

    def approve(self, opinion=""):
        region = self.action("审核办结")
        if opinion:
            region.get_by_label("审核意见").fill(opinion)
        region.get_by_role("button", name="审核办结").click()
        self.expect_message("审核办结")

    def status_text(self) -> str:
        return self.page.locator(".task-head .status-badge").inner_text()

    def light(self) -> str:
        return self.page.locator(".task-head .task-light").get_attribute("data-light")
