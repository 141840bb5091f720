"""Directory import from Excel: all-or-nothing, every bad row reported, hostile files refused."""

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from duban.core.models import AuditEntry
from duban.orgs import excel, services
from duban.orgs.models import Person, Post, Unit, UnitAlias

HEADERS = {name: [c.header for c in cols] for name, cols in excel.COLUMNS.items()}


def workbook_bytes(units=(), people=(), posts=(), sheets=excel.DATA_SHEETS) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    data = {excel.SHEET_UNITS: units, excel.SHEET_PEOPLE: people, excel.SHEET_POSTS: posts}
    for name in sheets:
        ws = wb.create_sheet(name)
        ws.append(HEADERS[name])
        for row in data[name]:
            ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name="directory.xlsx"):
    f = io.BytesIO(data)
    f.name = name
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


def ledger_count():
    return AuditEntry.objects.count()


GOOD_UNITS = [
    ["红土乡", "中共恩施市委员会", "乡镇/办事处", "红土", "HT", "红土、红土镇", 5, "是"],
    ["石灰窑村", "红土乡", "村/社区", "", "", "", 0, "是"],
    # an existing unit, updated in place
    ["白果乡", "中共恩施市委员会", "乡镇/办事处", "白果", "BG", "白果", 3, "是"],
]
GOOD_PEOPLE = [
    ["周一", "红土乡", "党委书记", "13900000001", "是"],
    ["吴二", "红土", "党政办主任", "", "是"],  # unit named by its alias
    ["郑三", "石灰窑村", "村支书", "", "否"],
    ["赵六", "白果乡", "党委副书记", "", "是"],  # existing person: title changes
]
GOOD_POSTS = [
    ["红土乡", "督办联络员", "接收督办事项", "周一", "吴二", "郑三@石灰窑村"],
    ["芭蕉侗族乡", "督办联络员", "", "张三", "李四", "王五"],  # unchanged
]


def test_a_supervisor_imports_units_people_and_posts(cast):
    result = services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(GOOD_UNITS, GOOD_PEOPLE,
                                                                                         GOOD_POSTS)))
    assert result.ok, result.issues
    assert result.counts[excel.SHEET_UNITS].as_dict() == {"created": 2, "updated": 1, "unchanged": 0}
    assert result.counts[excel.SHEET_PEOPLE].as_dict() == {"created": 3, "updated": 1, "unchanged": 0}
    assert result.counts[excel.SHEET_POSTS].as_dict() == {"created": 1, "updated": 0, "unchanged": 1}

    hongtu = Unit.objects.get(name="红土乡")
    assert Unit.objects.get_parent(hongtu) == cast.city
    assert hongtu.code == "HT" and hongtu.sort_order == 5 and hongtu.kind == "township"
    assert sorted(hongtu.aliases.values_list("name", flat=True)) == ["红土", "红土镇"]
    assert Unit.objects.get_parent(Unit.objects.get(name="石灰窑村")) == hongtu
    assert Person.objects.get(name="吴二").unit == hongtu
    assert Person.objects.get(name="郑三").is_active is False
    assert Person.objects.get(name="赵六").title == "党委副书记"
    assert Person.objects.filter(name="赵六").count() == 1
    post = Post.objects.get(unit=hongtu, title="督办联络员")
    assert (post.a_holder.name, post.b_holder.name, post.c_holder.name) == ("周一", "吴二", "郑三")
    assert post.c_holder.unit.name == "石灰窑村"
    cast.baiguo.refresh_from_db()
    assert cast.baiguo.sort_order == 3 and cast.baiguo.short_name == "白果"


def test_every_change_of_an_import_is_ledgered_with_a_summary_entry(cast):
    before = AuditEntry.objects.order_by("-seq").first().seq
    services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(GOOD_UNITS, GOOD_PEOPLE, GOOD_POSTS)))
    events = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq").values_list("event", flat=True))
    assert events.count("unit_created") == 2
    assert events.count("person_created") == 3
    assert "post_created" in events and "unit_updated" in events
    assert events[-1] == "directory_imported"
    summary = AuditEntry.objects.get(seq=AuditEntry.objects.order_by("-seq").first().seq)
    assert summary.outcome == "success"
    assert summary.data["counts"]["单位"] == {"created": 2, "updated": 1, "unchanged": 0}
    assert summary.data["rows"] == {"单位": 3, "人员": 4, "岗位": 2}


def test_importing_the_same_file_twice_changes_nothing_the_second_time(cast):
    data = workbook_bytes(GOOD_UNITS, GOOD_PEOPLE, GOOD_POSTS)
    assert services.directory_import(actor=cast.supervisor, file=upload(data)).ok
    state = snapshot()
    result = services.directory_import(actor=cast.supervisor, file=upload(data))
    assert result.ok
    assert result.counts[excel.SHEET_UNITS].as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert result.counts[excel.SHEET_PEOPLE].as_dict() == {"created": 0, "updated": 0, "unchanged": 4}
    assert result.counts[excel.SHEET_POSTS].as_dict() == {"created": 0, "updated": 0, "unchanged": 2}
    assert snapshot() == state


def test_a_file_with_three_bad_rows_reports_all_three_and_imports_nothing(cast):
    units = [
        ["红土乡", "中共恩施市委员会", "乡镇/办事处", "", "", "", 0, "是"],
        ["石灰窑村", "不存在的乡", "村/社区", "", "", "", 0, "是"],  # row 3: unknown parent
    ]
    people = [
        ["周一", "红土乡", "", "", "是"],
        ["吴二", "红土乡", "", "", "是"],
        ["郑三", "火星乡", "", "", "是"],  # row 4: unknown unit
    ]
    posts = [
        ["红土乡", "督办联络员", "", "周一", "周一", ""],  # row 2: B == A
    ]
    state, entries = snapshot(), ledger_count()
    result = services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(units, people, posts)))
    assert not result.ok
    located = [(i.sheet, i.row) for i in result.issues]
    assert located == [("单位", 3), ("人员", 4), ("岗位", 2)]
    messages = " ".join(i.message for i in result.issues)
    assert "不存在的乡" in messages and "火星乡" in messages and "B角不能与A角是同一人" in messages
    assert snapshot() == state
    assert ledger_count() == entries + 1
    rejection = AuditEntry.objects.order_by("-seq").first()
    assert (rejection.event, rejection.outcome, rejection.data["errors"]) == ("directory_imported", "failure", 3)


@pytest.mark.parametrize(
    ("sheet", "row", "expected"),
    [
        ("units", ["", "中共恩施市委员会", "其他", "", "", "", 0, "是"], "请填写单位名称"),
        ("units", ["红土乡", "", "火箭", "", "", "", 0, "是"], "单位类型“火箭”无效"),
        ("units", ["红土乡", "", "", "", "", "", 0, "是"], "请选择单位类型"),
        ("units", ["红土乡", "", "其他", "", "SW", "", 0, "是"], "编码“SW”已被单位"),
        ("units", ["红土乡", "", "其他", "", "", "芭蕉", 0, "是"], "别名“芭蕉”已被单位“芭蕉侗族乡”使用"),
        ("units", ["红土乡", "", "其他", "", "", "白果乡", 0, "是"], "别名“白果乡”与单位名称重复"),
        ("units", ["市委", "", "其他", "", "", "", 0, "是"], "已是单位“中共恩施市委员会”的别名"),
        ("units", ["红土乡", "", "其他", "", "", "", "第一", "是"], "排序须为整数"),
        ("units", ["红土乡", "", "其他", "", "", "", 0, "也许"], "“启用”须填“是”或“否”"),
        ("units", ["红土乡", "红土乡", "其他", "", "", "", 0, "是"], "单位不能是自己的上级单位"),
        ("units", ["红" * 101, "", "其他", "", "", "", 0, "是"], "名称:"),
        ("units", ["芭蕉侗族乡", "肖家坪村", "乡镇/办事处", "", "BJ", "芭蕉乡、芭蕉", 0, "是"], "构成循环"),
        ("people", ["", "芭蕉侗族乡", "", "", "是"], "请填写姓名"),
        ("people", ["周一", "", "", "", "是"], "请填写单位"),
        ("people", ["周一", "芭蕉侗族乡", "", "1" * 21, "是"], "手机:"),
        ("posts", ["芭蕉侗族乡", "", "", "张三", "", ""], "请填写岗位名称"),
        ("posts", ["芭蕉侗族乡", "新岗位", "", "", "", ""], "请填写A角"),
        ("posts", ["芭蕉侗族乡", "新岗位", "", "张三", "", "王五"], "请先设置B角,再设置C角"),
        ("posts", ["芭蕉侗族乡", "新岗位", "", "赵六", "", ""], "A角“赵六”不是芭蕉侗族乡的人员"),
        ("posts", ["芭蕉侗族乡", "新岗位", "", "张三", "李四", "张三"], "C角不能与A角或B角是同一人"),
        ("posts", ["芭蕉侗族乡", "新岗位", "", "张三", "赵六@火星乡", ""], "中的单位不存在"),
    ],
)
def test_each_kind_of_bad_row_is_explained_and_nothing_changes(cast, sheet, row, expected):
    kwargs = {sheet: [row]}
    state = snapshot()
    result = services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(**kwargs)))
    assert not result.ok
    assert any(expected in i.message for i in result.issues), [i.message for i in result.issues]
    assert all(i.row == 2 for i in result.issues)
    assert snapshot() == state


def test_duplicate_rows_in_the_file_name_the_first_row(cast):
    units = [["红土乡", "", "其他", "", "", "", 0, "是"], ["红土乡", "", "其他", "", "", "", 0, "是"]]
    result = services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(units)))
    assert [(i.row, i.message) for i in result.issues] == [(3, "单位“红土乡”与第 2 行重复。")]


def test_a_holder_from_another_unit_is_named_with_at(cast):
    posts = [["芭蕉侗族乡", "协调员", "", "张三", "赵六@白果乡", ""]]
    result = services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(posts=posts)))
    assert result.ok, result.issues
    assert Post.objects.get(title="协调员").b_holder == cast.p_baiguo


def test_a_move_that_is_also_declared_in_the_file_is_applied_parents_first(cast):
    # 肖家坪村 leaves 芭蕉 for the city, then 芭蕉 moves under it: legal because the file is
    # checked as a whole tree, not row by row.
    units = [
        ["芭蕉侗族乡", "肖家坪村", "乡镇/办事处", "", "BJ", "芭蕉乡、芭蕉", 0, "是"],
        ["肖家坪村", "中共恩施市委员会", "村/社区", "", "XJP", "", 0, "是"],
    ]
    result = services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(units)))
    assert result.ok, result.issues
    cast.bajiao.refresh_from_db()
    assert Unit.objects.get_parent(cast.bajiao).name == "肖家坪村"
    assert result.counts[excel.SHEET_UNITS].updated == 2


def test_a_unit_admin_cannot_import_outside_their_subtree(cast):
    units = [
        ["红土乡", "中共恩施市委员会", "乡镇/办事处", "", "", "", 0, "是"],  # new unit outside 芭蕉
        ["白果乡", "中共恩施市委员会", "乡镇/办事处", "", "BG", "白果", 9, "是"],  # existing, outside
        ["新村", "芭蕉侗族乡", "村/社区", "", "", "", 0, "是"],  # fine
    ]
    people = [["周一", "斑竹园村", "", "", "是"], ["吴二", "新村", "", "", "是"]]
    posts = [["芭蕉侗族乡", "协调员", "", "张三", "赵六@白果乡", ""]]
    state = snapshot()
    result = services.directory_import(actor=cast.bajiao_admin, file=upload(workbook_bytes(units, people, posts)))
    assert not result.ok
    assert [(i.sheet, i.row) for i in result.issues] == [("单位", 2), ("单位", 3), ("人员", 2), ("岗位", 2)]
    assert all("不在您的管理范围内" in i.message for i in result.issues)
    assert snapshot() == state


def test_a_unit_admin_imports_into_their_own_subtree(cast):
    units = [
        ["芭蕉侗族乡", "中共恩施市委员会", "乡镇/办事处", "芭蕉", "BJ", "芭蕉乡、芭蕉", 1, "是"],
        ["新村", "芭蕉侗族乡", "村/社区", "", "", "", 0, "是"],
    ]
    people = [["吴二", "新村", "", "", "是"]]
    result = services.directory_import(actor=cast.bajiao_admin, file=upload(workbook_bytes(units, people)))
    assert result.ok, result.issues
    assert Unit.objects.get_parent(Unit.objects.get(name="新村")) == cast.bajiao


def test_a_unit_admin_cannot_move_their_own_unit(cast):
    units = [["芭蕉侗族乡", "白果乡", "乡镇/办事处", "", "BJ", "芭蕉乡、芭蕉", 0, "是"]]
    result = services.directory_import(actor=cast.bajiao_admin, file=upload(workbook_bytes(units)))
    assert [i.message for i in result.issues] == ["不能调整本单位的上级单位。"]


def test_a_liaison_may_not_import_at_all(cast):
    with pytest.raises(excel.ImportRejected) as exc:
        services.directory_import(actor=cast.bajiao_liaison, file=upload(workbook_bytes(GOOD_UNITS)))
    assert exc.value.status == 403


def test_a_missing_required_column_is_reported_against_the_header_row(cast):
    wb = Workbook()
    ws = wb.active
    ws.title = "人员"
    ws.append(["姓名", "职务"])
    ws.append(["周一", "科员"])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = services.directory_import(actor=cast.supervisor, file=upload(buffer.getvalue()))
    assert ("人员", 1) in [(i.sheet, i.row) for i in result.issues]
    assert any("缺少必填列“单位”" in i.message for i in result.issues)


def test_a_workbook_without_directory_sheets_is_refused(cast):
    wb = Workbook()
    wb.active.append(["hello"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(excel.ImportRejected) as exc:
        services.directory_import(actor=cast.supervisor, file=upload(buffer.getvalue()))
    assert "没有“单位”“人员”“岗位”工作表" in exc.value.message


def test_formula_looking_cells_are_imported_as_text(cast):
    people = [["周一", "芭蕉侗族乡", "'=HYPERLINK(\"http://x\")", "'+8613900000000", "是"]]
    assert services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(people=people))).ok
    person = Person.objects.get(name="周一")
    assert person.title == '=HYPERLINK("http://x")'
    assert person.phone == "+8613900000000"


# --- hostile and broken files ---------------------------------------------------------------
def _rejected(cast, data, name="directory.xlsx"):
    state, entries = snapshot(), ledger_count()
    with pytest.raises(excel.ImportRejected) as exc:
        services.directory_import(actor=cast.supervisor, file=upload(data, name))
    assert snapshot() == state
    assert ledger_count() == entries + 1  # the refusal itself is recorded
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.event, entry.outcome) == ("directory_imported", "failure")
    return exc.value


def test_a_renamed_executable_is_refused(cast):
    error = _rejected(cast, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500 + b"This program cannot be run in DOS mode")
    assert error.status == 400 and "请上传 Excel 工作簿(.xlsx)" in error.message


def test_an_old_xls_file_is_refused(cast):
    error = _rejected(cast, bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 1000, "old.xls")
    assert "另存为 .xlsx" in error.message


def test_a_zip_that_is_not_a_workbook_is_refused(cast):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _rejected(cast, buffer.getvalue()).status == 400


def test_a_truncated_workbook_is_refused(cast):
    data = workbook_bytes(GOOD_UNITS)
    assert _rejected(cast, data[: len(data) // 2]).status == 400


def test_a_workbook_with_broken_sheet_xml_is_refused(cast):
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(GOOD_UNITS)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>x"
            archive.writestr(info.filename, content)
    assert "文件已损坏" in _rejected(cast, buffer.getvalue()).message


def test_an_oversized_file_is_refused_with_413(cast, settings):
    settings.DUBAN_MAX_IMPORT_BYTES = 2000
    data = workbook_bytes(GOOD_UNITS * 50)
    assert len(data) > 2000
    error = _rejected(cast, data)
    assert error.status == 413 and "大小上限" in error.message


def test_a_zip_bomb_is_refused_before_it_is_inflated(cast):
    # A real workbook plus one member that inflates to 200 MB from a few hundred KB.
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(GOOD_UNITS)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        with archive.open("xl/media/bomb.bin", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(200):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    error = _rejected(cast, data)
    assert error.status == 413 and "解压后过大" in error.message


def test_an_archive_with_too_many_members_is_refused(cast):
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(GOOD_UNITS)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        for i in range(excel.MAX_ARCHIVE_MEMBERS + 1):
            archive.writestr(f"xl/extra/{i}.xml", "")
    assert _rejected(cast, buffer.getvalue()).status == 413


def test_too_many_rows_are_refused(cast, settings):
    settings.DUBAN_MAX_IMPORT_ROWS = 5
    people = [[f"人{i}", "芭蕉侗族乡", "", "", "是"] for i in range(6)]
    error = _rejected(cast, workbook_bytes(people=people))
    assert error.status == 413 and "最多 5 行" in error.message


def test_an_empty_upload_is_refused(cast):
    assert "文件是空的" in _rejected(cast, b"").message


def test_the_template_opens_with_its_sheets_and_validation(cast):
    wb = load_workbook(io.BytesIO(excel.build_template()))
    assert wb.sheetnames == ["单位", "人员", "岗位", "说明"]
    units = wb["单位"]
    assert [c.value for c in units[1]] == HEADERS["单位"]
    assert units.freeze_panes == "A2"
    assert units.column_dimensions["A"].width == 28
    lists = [dv.formula1 for dv in units.data_validations.dataValidation]
    assert any("乡镇/办事处" in f and "村/社区" in f for f in lists)
    help_text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "A角" in help_text and "姓名@单位" in help_text
    # the template imports cleanly as an empty file
    result = services.directory_import(actor=cast.supervisor, file=upload(excel.build_template()))
    assert result.ok and all(c.total == 0 for c in result.counts.values())


def _workbook_with_units_sheet(doctype: bytes, cell: bytes) -> bytes:
    """A real workbook whose 单位 sheet XML carries ``doctype`` and a name cell ``cell``."""
    sheet = (b'<?xml version="1.0"?>' + doctype
             + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + "名称".encode() + b"</t></is></c></row>"
             + b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + cell + b"</t></is></c></row>"
             + b"</sheetData></worksheet>")
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(GOOD_UNITS)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            archive.writestr(info.filename, content)
    return buffer.getvalue()


def test_an_xml_entity_bomb_is_refused(cast):
    doctype = (b'<!DOCTYPE worksheet [<!ENTITY lol "lollollollollollollollollollol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                          for i in range(1, 10))
               + b"]>")
    assert "文件已损坏" in _rejected(cast, _workbook_with_units_sheet(doctype, b"&lol9;")).message


def test_an_external_entity_is_not_resolved(cast, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doctype = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://' + str(secret).encode() + b'">]>'
    data = _workbook_with_units_sheet(doctype, b"&xxe;")
    try:
        result = services.directory_import(actor=cast.supervisor, file=upload(data))
    except excel.ImportRejected:
        return  # refusing the file outright is fine too
    assert "TOP-SECRET" not in str(Unit.objects.values_list("name", flat=True))
    assert "TOP-SECRET" not in " ".join(i.message for i in result.issues)


def test_a_huge_cell_does_not_flood_the_report(cast):
    people = [["周" * 30000, "芭蕉侗族乡", "", "", "是"]]
    result = services.directory_import(actor=cast.supervisor, file=upload(workbook_bytes(people=people)))
    assert not result.ok
    assert all(len(i.message) <= excel.Issue.MAX_MESSAGE + 1 for i in result.issues)
