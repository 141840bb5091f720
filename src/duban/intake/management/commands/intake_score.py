"""`duban intake-score [LABELS.json] [--source FILE] [--json]`: analyse the source and score the draft
against the labels (precision/recall of task items, deadline and unit accuracy).

Without LABELS.json it scores the seed speech kept in the repository's tests/data/ (run it from
the repository root); see tests/data/README.md for where that speech and its labels come from."""

import json as _json
from pathlib import Path

DEFAULT_LABELS = "tests/data/000_ad234ba100576d65.labels.json"

from django.core.management.base import BaseCommand, CommandError

from duban.intake.engine import IntakeError, analyse
from duban.intake.engine.score import load_labels, score


class Command(BaseCommand):
    help = "按标注文件给引擎的拆解结果打分（不写入数据库）。"

    def add_arguments(self, parser):
        parser.add_argument("labels", nargs="?", default=DEFAULT_LABELS,
                            help=f"标注文件(.labels.json)；默认为仓库中的种子讲话标注 {DEFAULT_LABELS}")
        parser.add_argument("--source", help="原文文件；默认为标注文件旁同名的 .txt")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--details", action="store_true", help="列出误报、漏报和每个匹配项")

    def handle(self, *args, labels, source=None, json=False, details=False, **options):
        lpath = Path(labels)
        if not lpath.is_file():
            hint = "（默认标注文件在仓库的 tests/data/ 中，请在仓库根目录运行，或指定标注文件）" \
                if labels == DEFAULT_LABELS else ""
            raise CommandError(f"找不到标注文件：{labels}{hint}")
        labels_data = load_labels(lpath)
        named = labels_data.get("source") if isinstance(labels_data.get("source"), str) else None
        if source is None and named and lpath.with_name(Path(named).name).is_file():
            source = str(lpath.with_name(Path(named).name))
        if source is None:
            stem = lpath.name[: -len(".labels.json")] if lpath.name.endswith(".labels.json") else lpath.stem
            candidates = [lpath.with_name(stem + ext) for ext in (".txt", ".html", ".htm", ".docx", ".xlsx", ".pdf")]
            source = str(next((c for c in candidates if c.is_file()), candidates[0]))
        spath = Path(source)
        if not spath.is_file():
            raise CommandError(f"找不到原文文件：{source}")
        try:
            draft = analyse(spath.read_bytes(), filename=spath.name)
        except IntakeError as exc:
            raise CommandError(exc.message) from exc
        result = score(draft, labels_data)
        if json:
            self.stdout.write(_json.dumps(result, ensure_ascii=False, indent=1))
            return
        keys = ["oracle_items", "draft_tasks", "matched", "precision", "recall", "f1", "deadline_accuracy",
                "deadline_recall", "unit_accuracy", "unit_jaccard", "boilerplate_precision", "boilerplate_recall",
                "duplicate_removed", "speech_date_ok"]
        for k in keys:
            if k in result:
                self.stdout.write(f"{k:22} {result[k]}")
        if details:
            for fp in result["false_positives"]:
                self.stdout.write(f"误报 {fp['start']}-{fp['end']} {fp['text']}")
            for m in result["missed"]:
                self.stdout.write(f"漏报 {m['start']}-{m['end']} {m['text']}")
            for p in result["pairs"]:
                if not (p["deadline_ok"] and p["units_ok"]):
                    self.stdout.write(f"差异 {p['gold']}: 期限 {p['gold_deadline']} / {p['draft_deadline']}；"
                                      f"单位 {p['gold_units']} / {p['draft_units']}")
