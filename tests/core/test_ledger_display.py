"""The ledger a person can read (issue 9 item 5): every event code the apps write has a label
(read from the source, so a new event without one fails here), in Chinese and English; rows
name people and objects, not ids; a page of rows costs one query per object type."""

import ast
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from duban.core import ledger, ledger_display
from duban.core.models import AuditEntry

SRC = Path(__file__).resolve().parents[2] / "src" / "duban"


def _strings(node) -> list[str]:
    """The string constants an expression can be: "a", or "a" if x else "b"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _event_codes() -> tuple[dict[str, str], set[str]]:
    """Every literal event code in the source: ``event=`` keywords of any call, the positional
    argument of the apps' ledger wrappers (functions with an ``event`` parameter), ``event``
    defaults and assignments, ``*_EVENT`` constants. F-strings are returned as their source."""
    trees = {p: ast.parse(p.read_text()) for p in SRC.rglob("*.py") if "migrations" not in p.parts}
    positions = {}
    for tree in trees.values():
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
                if "event" in names and fn.name not in ("compute_mac", "_payload"):
                    positions[fn.name] = names.index("event")
    codes: dict[str, str] = {}
    patterns: set[str] = set()

    def add(node, where):
        if isinstance(node, ast.JoinedStr):
            patterns.add(ast.unparse(node))
        for code in _strings(node):
            codes.setdefault(code, where)

    for path, tree in trees.items():
        where = str(path.relative_to(SRC))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                for kw in node.keywords:
                    if kw.arg == "event":
                        add(kw.value, where)
                if func in positions and len(node.args) > positions[func]:
                    add(node.args[positions[func]], where)
            elif isinstance(node, ast.FunctionDef):
                args = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + node.args.defaults \
                    + node.args.kw_defaults
                for arg, default in zip(args, defaults, strict=True):
                    if arg.arg == "event" and default is not None:
                        add(default, where)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if name == "event" or name.endswith("_EVENT"):
                    add(node.value, where)
    return codes, patterns


def _expanded_patterns() -> dict[str, list[str]]:
    """The event codes each f-string in the source can produce, spelled out."""
    from duban.evaluation.services import TRANSITIONS as ROUND_STEPS
    from duban.tasks.statemachine import TRANSITIONS

    return {
        "f'task_{name}'": [f"task_{name}" for name in TRANSITIONS],
        "f'round_{step}'": [f"round_{step}" for step in ROUND_STEPS],
        "f'{event}_refused'": ["user_enabled_refused", "user_disabled_refused"],
    }


def test_every_event_code_written_in_the_code_has_a_label():
    codes, patterns = _event_codes()
    expanded = _expanded_patterns()
    assert patterns == set(expanded), "a new f-string event: spell out its codes in _expanded_patterns"
    for generated in expanded.values():
        codes.update({code: "(f-string)" for code in generated})
    assert len(codes) > 150  # the collector found the apps' events, not a handful
    missing = sorted(f"{code} ({where})" for code, where in codes.items() if code not in ledger_display.EVENT_LABELS)
    assert missing == []


def test_event_labels_are_chinese_with_an_english_translation():
    assert ledger_display.event_label("task_assign") == "交办"
    assert ledger_display.event_label("no_such_event") == "no_such_event"  # unknown: the code itself
    with translation.override("en"):
        english = {code: ledger_display.event_label(code) for code in ledger_display.EVENT_LABELS}
    untranslated = [code for code, text in english.items() if text == str(ledger_display.EVENT_LABELS[code])
                    and any("\u4e00" <= ch <= "\u9fff" for ch in text)]
    assert untranslated == []
    assert english["task_assign"] == "Assign"


def test_values_are_text_never_python_reprs():
    assert ledger_display.format_value({"a": 1, "b": [1, 2]}) == "a:1;b:1、2"
    assert ledger_display.format_value([{"name": "甲.pdf", "sha256": "x"}]) == "甲.pdf"
    assert ledger_display.format_value(True) == "是" and ledger_display.format_value(None) == "—"


@pytest.mark.django_db
def test_a_page_of_rows_costs_one_query_per_object_type(cast):
    for i in range(30):
        user = (cast.supervisor, cast.leader, cast.bajiao_liaison)[i % 3]
        ledger.append(event="unit_updated", obj=cast.bajiao, actor=user,
                      data={"changes": {"name": ["旧名", "新名"]}, "unit": cast.city.pk})
    entries = list(AuditEntry.objects.filter(event="unit_updated").order_by("seq"))
    with CaptureQueriesContext(connection) as small:
        ledger_display.describe(entries[:3], reader=cast.supervisor)
    with CaptureQueriesContext(connection) as large:
        rows = ledger_display.describe(entries, reader=cast.supervisor)
    assert len(large) == len(small) <= 3  # users, units: not one per row
    row = rows[0]
    assert row.event == "修改单位" and row.obj.text == cast.bajiao.name
    assert row.obj.url == reverse("orgs:unit_detail", args=[cast.bajiao.pk])
    assert row.actor.text.endswith(f"({cast.office.name})") or "(" in row.actor.text  # name (unit)
    assert "accounts.user" not in row.actor.text and "#" not in row.actor.text
    assert row.changes == [("名称", "旧名", "新名")]
    # The auditor reads every entry but opens no unit page: names, no links to a 403.
    assert ledger_display.describe(entries[:1], reader=cast.auditor)[0].obj.url == ""
    assert [(label, [ref.text for ref in refs]) for label, refs in row.details] == [("单位", [cast.city.name])]
