"""Directory export: scoped, formula-safe, ledgered, and it re-imports unchanged."""

import io

from openpyxl import load_workbook

from duban.core.models import AuditEntry
from duban.orgs import excel, services
from duban.orgs.models import Person, Post, Unit, UnitAlias


def rows(content: bytes, sheet: str) -> list[list]:
    wb = load_workbook(io.BytesIO(content))
    return [[c.value for c in row] for row in wb[sheet].iter_rows(min_row=2) if any(c.value is not None for c in row)]


def upload(data: bytes):
    f = io.BytesIO(data)
    f.name = "export.xlsx"
    f.size = len(data)
    return f


def snapshot():
    return (
        sorted(Unit.objects.values_list("name", "path", "kind", "short_name", "code", "sort_order", "is_active",
                                        "version")),
        sorted(UnitAlias.objects.values_list("name", "unit__name")),
        sorted(Person.objects.values_list("name", "unit__name", "title", "phone", "is_active", "version")),
        sorted(Post.objects.values_list("unit__name", "title", "duties", "a_holder__name", "b_holder__name",
                                        "c_holder__name", "version")),
    )


def test_a_supervisor_exports_the_whole_directory(cast):
    content, counts = services.directory_export(actor=cast.supervisor)
    assert counts == {"单位": 6, "人员": 5, "岗位": 1}
    units = rows(content, "单位")
    assert units[0] == ["中共恩施市委员会", None, "党的机关", "市委", "SW", "市委", 0, "是"]
    assert ["芭蕉侗族乡", "中共恩施市委员会", "乡镇/办事处", None, "BJ", "芭蕉、芭蕉乡", 0, "是"] in units
    assert rows(content, "岗位") == [["芭蕉侗族乡", "督办联络员", None, "张三", "李四", "王五"]]


def test_a_liaison_exports_only_their_own_subtree(cast):
    content, counts = services.directory_export(actor=cast.bajiao_liaison)
    names = [r[0] for r in rows(content, "单位")]
    assert names == ["芭蕉侗族乡", "肖家坪村"]
    people = {r[0] for r in rows(content, "人员")}
    assert people == {"张三", "李四", "王五", "孙七"}
    assert "赵六" not in str(rows(content, "人员")) and "白果" not in str(rows(content, "单位"))
    assert counts == {"单位": 2, "人员": 4, "岗位": 1}


def test_every_export_is_ledgered_with_its_row_counts(cast):
    services.directory_export(actor=cast.bajiao_liaison)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.event == "directory_exported"
    assert entry.actor == cast.bajiao_liaison
    assert entry.data == {"rows": {"单位": 2, "人员": 4, "岗位": 1}}


def test_formula_like_cells_are_neutralised_on_export(cast):
    for i, value in enumerate(["=1+2", "+cmd", "-2+3", "@SUM(A1)", "'quoted"]):
        services.person_create(name=f"测{i}", unit=cast.bajiao, title=value)
    content, _counts = services.directory_export(actor=cast.supervisor)
    wb = load_workbook(io.BytesIO(content))
    titles = {row[0].value: row[2] for row in wb["人员"].iter_rows(min_row=2)}
    assert titles["测0"].value == "'=1+2"
    assert titles["测1"].value == "'+cmd"
    assert titles["测2"].value == "'-2+3"
    assert titles["测3"].value == "'@SUM(A1)"
    assert titles["测4"].value == "''quoted"
    assert all(cell.data_type == "s" for cell in titles.values())


def test_an_export_reimports_unchanged(cast):
    services.person_update(person=cast.p_village, is_active=False)
    services.person_create(name="钱八", unit=cast.baiguo, title="=danger", phone="+86 139")
    services.post_create(unit=cast.baiguo, title="协调员", a_holder=cast.p_baiguo, b_holder=cast.p_bajiao_b)
    services.unit_update(unit=cast.banzhuyuan, is_active=False, sort_order=-3)
    state = snapshot()
    content, counts = services.directory_export(actor=cast.supervisor)
    result = services.directory_import(actor=cast.supervisor, file=upload(content))
    assert result.ok, result.issues
    assert {s: c.as_dict() for s, c in result.counts.items()} == {
        s: {"created": 0, "updated": 0, "unchanged": n} for s, n in counts.items()
    }
    assert snapshot() == state
    assert ["白果乡", "协调员", None, "赵六", "李四@芭蕉侗族乡", None] in rows(content, "岗位")


def test_a_unit_admins_export_reimports_unchanged_for_them(cast):
    state = snapshot()
    content, _counts = services.directory_export(actor=cast.bajiao_admin)
    result = services.directory_import(actor=cast.bajiao_admin, file=upload(content))
    assert result.ok, result.issues
    assert snapshot() == state


def test_an_edited_export_updates_in_place(cast):
    content, _counts = services.directory_export(actor=cast.supervisor)
    wb = load_workbook(io.BytesIO(content))
    for row in wb["人员"].iter_rows(min_row=2):
        if row[0].value == "赵六":
            row[2].value = "党委副书记"
    buffer = io.BytesIO()
    wb.save(buffer)
    result = services.directory_import(actor=cast.supervisor, file=upload(buffer.getvalue()))
    assert result.ok
    assert result.counts["人员"].as_dict() == {"created": 0, "updated": 1, "unchanged": 4}
    assert Person.objects.get(name="赵六").title == "党委副书记"


def test_the_file_layout_does_not_depend_on_the_users_language(cast):
    from django.utils import translation

    with translation.override("en"):
        content, _counts = services.directory_export(actor=cast.supervisor)
        template = excel.build_template()
    assert rows(content, "单位")[0][2] == "党的机关"
    assert load_workbook(io.BytesIO(template)).sheetnames == ["单位", "人员", "岗位", "说明"]
    state = snapshot()
    with translation.override("en"):
        result = services.directory_import(actor=cast.supervisor, file=upload(content))
    assert result.ok, result.issues
    assert snapshot() == state
