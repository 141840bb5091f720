import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_prints_metadata_removed_lines_and_the_tree(seed_path):
    out = run("import", str(seed_path))
    assert "讲话日期：2017-02-19" in out
    assert "第1行 [应用下载提示] 打开APP" in out
    assert "== 大纲（55 项任务） ==" in out
    assert "  第八 群团工作要在抓特色、比优势上对准焦" in out
    assert "期限：2020-02-19（三年内，relative）" in out


def test_import_json_and_date_override(seed_path):
    data = json.loads(run("import", str(seed_path), "--json", "--date", "2017-03-01"))
    assert data["meta"]["speech_date"] == "2017-03-01"
    assert "text" not in data
    assert len(data["outline"]) == 4


def test_import_writes_nothing_to_the_database(seed_path, django_db_blocker):
    with django_db_blocker.block():  # any query would raise
        run("import", str(seed_path))


def test_import_reports_unreadable_files_in_chinese(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    with pytest.raises(CommandError, match="文件为空"):
        run("import", str(f))
    with pytest.raises(CommandError, match="日期格式"):
        run("import", str(f), "--date", "19/02/2017")


def test_intake_score_finds_the_source_beside_the_labels(seed_path):
    out = run("intake_score", str(seed_path.with_name(seed_path.stem + ".labels.json")))
    assert "precision" in out and "recall" in out and "unit_accuracy" in out
    data = json.loads(run("intake_score", str(seed_path.with_name(seed_path.stem + ".labels.json")),
                          "--source", str(seed_path), "--json"))
    assert data["recall"] >= 0.95


def test_intake_score_without_arguments_scores_the_seed_kept_in_tests_data(seed_path, monkeypatch):
    monkeypatch.chdir(seed_path.parents[2])  # the repository root
    data = json.loads(run("intake_score", "--json"))
    assert data["oracle_items"] == 55 and data["recall"] >= 0.95


def test_intake_score_outside_the_repository_says_where_the_default_labels_are(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match="tests/data"):
        run("intake_score")


def test_intake_score_on_a_folder_prints_each_document_and_the_set(seed_path):
    folder = seed_path.parent / "intake_blind"
    out = run("intake_score", str(folder))
    assert "gov_report_2026" in out and "water_plan_county" in out and "mean F1" in out
    data = json.loads(run("intake_score", str(folder), "--json"))
    total = data["summary"]
    assert total["documents"] == 6 and total["deadlines_labelled"] > 40 and total["units_labelled"] > 40
    # the goals of issue 17, measured on the blind set
    assert total["f1_mean"] >= 0.85 and total["f1_min"] >= 0.7
    assert total["deadline_recall"] >= 0.9 and total["unit_accuracy"] >= 0.85
    with pytest.raises(CommandError, match="单个标注文件"):
        run("intake_score", str(folder), "--source", str(seed_path))
