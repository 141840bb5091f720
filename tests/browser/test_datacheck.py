"""大数据监督 in a real browser: the discipline officer uploads a payment register (CSV) and a
death register (XLSX with its own headers), maps the columns, runs the "deceased before payment"
rule, opens a lead (the ID number masked in the list, full once it is assigned to her), verifies
it and escalates it to a 问责建议, and dismisses the other lead with a reason."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from castlib import PASSWORD
from datacheck.helpers import PAYMENT_HEADERS, csv_bytes, make_id, xlsx_bytes  # tests/ is on sys.path
from duban.datacheck.models import DatasetVersion, Lead, LeadStatus, Rule
from duban.supervision.models import Proposal
from duban.tasks import lights
from duban.tasks import services as task_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

P1, P2, P3 = make_id(21), make_id(22), make_id(23)


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


def test_upload_two_registers_run_the_deceased_rule_verify_escalate_and_dismiss(ui, cast, media, tmp_path):
    page = ui.page
    category = task_services.category_create(actor=cast.supervisor, name="惠民资金")
    task = task_services.task_assign(actor=cast.supervisor, task=task_services.task_create(
        actor=cast.supervisor, parent=None, co_units=[], title="低保资金专项整治", detail="清理违规发放",
        category=category, lead_unit=cast.bajiao, responsible_post=None, start_date=lights.today(),
        due_date=lights.today() + timedelta(days=30), reporting_cycle="monthly"))
    payments = tmp_path / "低保发放.csv"
    payments.write_bytes(csv_bytes(PAYMENT_HEADERS, [
        [P1, "张一", "低保", "500", "2024-03-10", "", ""], [P2, "李二", "低保", "500", "2024-03-10", "", ""],
        [P3, "王三", "低保", "500", "2024-03-10", "", ""]]))
    deaths = tmp_path / "死亡登记.xlsx"
    deaths.write_bytes(xlsx_bytes(["证件号码", "姓名", "死亡时间"], [[P1, "张一", "2024-03-01"],
                                                               [P2, "李二", "2024年2月1日"], [P3, "王三", "2024/5/1"]]))

    ui.login("discipline", PASSWORD)
    for name, kind, path in (("2024年低保发放", "payments", payments), ("死亡登记", "deaths", deaths)):
        ui.goto("/datacheck/datasets/upload/")
        page.get_by_label("数据集名称").fill(name)
        page.get_by_label("数据类型").select_option(kind)
        page.get_by_label("文件(CSV、XLSX 或 Parquet)").set_input_files(str(path))
        page.get_by_role("button", name="上传").click()
        expect(page.get_by_role("heading", name="列对应关系")).to_be_visible()
        if kind == "deaths":  # its own headers: map them by hand
            page.locator("#id_col_id_number").select_option("证件号码")
            page.locator("#id_col_death_date").select_option("死亡时间")
        page.get_by_role("button", name="校验并入库").click()
        expect(page.locator("#version-status")).to_have_text("已入库")
        expect(page.locator("#row-count")).to_have_text("3")
    pay, dead = (DatasetVersion.objects.get(dataset__kind=k) for k in ("payments", "deaths"))

    ui.goto("/datacheck/rules/")
    page.get_by_label("规则模板").select_option("deceased_paid")
    page.get_by_label("规则名称").fill("死亡后仍领取补贴")
    page.get_by_role("button", name="建立规则").click()
    page.locator("#id_ds_p").select_option(str(pay.pk))
    page.locator("#id_ds_d").select_option(str(dead.pk))
    page.get_by_role("button", name="运行规则").click()
    expect(page.get_by_role("alert")).to_contain_text("2 条命中,新线索 2 条")

    ui.goto("/datacheck/")
    listing = page.locator("#lead-list")
    expect(listing).to_contain_text(f"{P1[:4]}**********{P1[-4:]}")
    assert P1 not in listing.inner_text()
    lead1 = Lead.objects.get(subject_key=[P1])
    page.locator(f"a[href='/datacheck/leads/{lead1.pk}/']").click()
    expect(page.locator("#lead-subject")).not_to_contain_text(P1)
    page.locator("#btn-assign").click()
    expect(page.locator("#lead-subject")).to_have_text(P1)
    page.locator("#id_reason").fill("经入户核实,张一已于3月1日去世,3月10日补贴被家属领取")
    page.locator("#btn-verify").click()
    expect(page.locator("#lead-status")).to_have_text("已核实")
    page.get_by_label("移送去向").select_option("proposal")
    page.get_by_label("关联任务编号").fill(str(task.pk))
    page.locator("#btn-escalate").click()
    expect(page.locator("#lead-status")).to_have_text("已移送")

    lead2 = Lead.objects.get(subject_key=[P2])
    ui.goto(f"/datacheck/leads/{lead2.pk}/")
    page.locator("#btn-assign").click()
    page.locator("#id_d-reason").fill("死亡登记日期录入错误,民政已更正")
    page.locator("#btn-dismiss").click()
    expect(page.locator("#lead-status")).to_have_text("已排除")

    lead1.refresh_from_db()
    lead2.refresh_from_db()
    assert lead1.status == LeadStatus.ESCALATED and lead2.status == LeadStatus.DISMISSED
    assert Proposal.objects.get(dedupe_key=f"datacheck-lead-{lead1.pk}").task_id == task.pk
    assert not Lead.objects.filter(subject_key=[P3]).exists()  # died after the payment
    ui.goto(f"/datacheck/rules/{Rule.objects.get().pk}/")
    expect(page.locator("#rule-stats")).to_contain_text("50%")
