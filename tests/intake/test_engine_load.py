import io

import pytest

from duban.intake.engine import IntakeError, analyse
from duban.intake.engine.load import load

SPEECH = "关于今年的工作\n\n同志们：\n\n一、加强党的建设\n\n各级党组织要认真落实主体责任。\n\n二、推动经济发展\n\n市发改局要抓好重点项目建设。\n"


def test_utf8_text_is_loaded_as_is():
    loaded = load(SPEECH.encode("utf-8"), "a.txt")
    assert loaded.text == SPEECH
    assert loaded.encoding == "utf-8"
    assert len(loaded.norm) == len(loaded.text)


def test_gbk_bytes_are_detected_and_decoded():
    loaded = load(SPEECH.encode("gbk"), "a.txt")
    assert loaded.text == SPEECH
    assert loaded.encoding == "gb18030"
    draft = analyse(SPEECH.encode("gbk"), filename="a.txt")
    assert [draft.span_text(t)[:6] for t in draft.tasks()] == ["一、加强党的", "二、推动经济"]


def test_gb18030_with_a_bom_free_utf16_file_is_rejected_only_when_binary():
    with pytest.raises(IntakeError) as err:
        load(b"\x00\x01\x02binary\x00" * 50, "report.txt")
    assert "二进制" in err.value.message


def test_empty_file_is_an_error_in_chinese():
    with pytest.raises(IntakeError) as err:
        load(b"", "a.txt")
    assert err.value.message == "文件为空。"
    with pytest.raises(IntakeError) as err:
        load(b"   \n\n ", "a.txt")
    assert "为空" in err.value.message


def test_undecodable_bytes_are_an_error():
    with pytest.raises(IntakeError) as err:
        load(b"\x80\x81\xff\xfe\x80" * 50, "a.txt")
    assert "编码" in err.value.message


def test_text_without_chinese_is_an_error():
    with pytest.raises(IntakeError):
        load(b"hello world\n" * 10, "a.txt")


def test_docx_built_in_the_test_is_read_paragraph_by_paragraph():
    import docx

    document = docx.Document()
    for para in SPEECH.split("\n\n"):
        document.add_paragraph(para.strip())
    buf = io.BytesIO()
    document.save(buf)
    draft = analyse(buf.getvalue(), filename="speech.docx")
    assert draft.encoding == "docx"
    assert draft.meta.title == "关于今年的工作"
    tasks = draft.tasks()
    assert len(tasks) == 2
    assert draft.span_text(tasks[1]).startswith("二、推动经济发展")
    assert [u.name for u in tasks[1].units] == ["市发展和改革局"]


def test_broken_docx_is_an_error():
    with pytest.raises(IntakeError) as err:
        load(b"PK\x03\x04 not really a zip", "a.docx")
    assert "Word" in err.value.message


def test_saved_web_page_loses_tags_and_scripts_but_keeps_paragraphs():
    html = ("<!DOCTYPE html><html><head><title>t</title><script>var x = '一、假的';</script>"
            "<style>p{color:red}</style></head><body><div class='nav'>打开APP</div>"
            + "".join(f"<p>{p}</p>" for p in SPEECH.split("\n\n") if p.strip())
            + "<div>相关阅读</div><div>0 条评论</div></body></html>")
    draft = analyse(html.encode("utf-8"), filename="page.html")
    assert "script" not in draft.text and "var x" not in draft.text
    assert "一、加强党的建设\n" in draft.text
    assert {r.text for r in draft.removed if r.kind == "boilerplate"} == {"打开APP", "相关阅读", "0 条评论"}
    assert len(draft.tasks()) == 2


def test_traditional_characters_are_analysed_as_simplified_with_spans_into_the_original():
    trad = "關於今年的工作\n\n一、加強黨的建設\n\n各級黨組織要認真落實主體責任，到2025年底前完成整改。\n\n二、推動經濟發展\n\n市發改局要抓好重點項目建設。\n"
    draft = analyse(trad, filename="t.txt")
    tasks = draft.tasks()
    assert len(tasks) == 2
    assert draft.span_text(tasks[0]).startswith("一、加強黨的建設")  # the original characters
    assert tasks[0].deadline.date.isoformat() == "2025-12-31"
    assert tasks[0].deadline.text == "2025年底前"
    assert [u.name for u in tasks[1].units] == ["市发展和改革局"]


def test_mixed_half_and_full_width_punctuation():
    text = ("标题\n\n一、第一部分\n\n要突出三个重点:一是加强监督,严格执纪;二是强化问责(重点领域)!三是完善制度。\n\n"
            "二、第二部分\n\n重点做好两项工作：一是抓好学习；二是抓好落实。\n")
    draft = analyse(text, filename="m.txt")
    titles = [t.title for t in draft.tasks()]
    assert titles == ["加强监督,严格执纪", "强化问责(重点领域)", "完善制度", "抓好学习", "抓好落实"]
    for t in draft.tasks():
        assert draft.text[t.start:t.end].startswith(("一是", "二是", "三是"))


def test_a_page_of_nothing_but_boilerplate_is_an_error():
    with pytest.raises(IntakeError) as err:
        analyse("打开APP\n相关阅读\n0 条评论\n", filename="p.txt")
    assert "没有正文" in err.value.message
