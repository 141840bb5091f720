"""`duban intake-score [LABELS.json …|DIR] [--source FILE] [--json] [--details]`: analyse the source and
score the draft against the labels (precision/recall of task items, deadline and unit accuracy).

Without LABELS.json it scores the seed speech kept in the repository's tests/data/ (run it from
the repository root); see tests/data/README.md for where that speech and its labels come from.
Several labels files (or a folder holding *.labels.json) print one line per document and the set's
figures: mean and lowest F1, deadlines right over all labelled dated items of matched pairs, units
right over all matched items that name units."""

import json as _json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.intake.engine import IntakeError, analyse
from duban.intake.engine.score import load_labels, score, summarise

DEFAULT_LABELS = "tests/data/000_ad234ba100576d65.labels.json"
KEYS = ["oracle_items", "draft_tasks", "matched", "precision", "recall", "f1", "deadline_accuracy",
        "deadline_recall", "unit_accuracy", "unit_jaccard", "boilerplate_precision", "boilerplate_recall",
        "duplicate_removed", "speech_date_ok"]


class Command(BaseCommand):
    help = "按标注文件给引擎的拆解结果打分（不写入数据库）。"

    def add_arguments(self, parser):
        parser.add_argument("labels", nargs="*",
                            help=f"标注文件(.labels.json)或其所在目录；默认为仓库中的种子讲话标注 {DEFAULT_LABELS}")
        parser.add_argument("--source", help="原文文件；默认为标注文件旁同名的 .txt")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--details", action="store_true", help="列出误报、漏报和每个匹配项")

    def handle(self, *args, labels, source=None, json=False, details=False, **options):
        files: list[Path] = []
        for name in labels or [DEFAULT_LABELS]:
            p = Path(name)
            files.extend(sorted(p.glob("*.labels.json")) if p.is_dir() else [p])
        if not files:
            raise CommandError(f"目录中没有标注文件（*.labels.json）：{labels[0]}")
        if len(files) > 1 or Path((labels or [DEFAULT_LABELS])[0]).is_dir():
            if source:
                raise CommandError("--source 只能与单个标注文件同用")
            self._summary(files, json, details)
            return
        result = self._score(files[0], source)
        if json:
            self.stdout.write(_json.dumps(result, ensure_ascii=False, indent=1))
            return
        for k in KEYS:
            if k in result:
                self.stdout.write(f"{k:22} {result[k]}")
        if details:
            self._details(result)

    def _summary(self, files: list[Path], json: bool, details: bool) -> None:
        results = {f.name[: -len(".labels.json")]: self._score(f, None) for f in files}
        total = summarise(list(results.values()))
        if json:
            self.stdout.write(_json.dumps({"documents": results, "summary": total}, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{'document':34} {'items':>5} {'tasks':>5} {'F1':>6} {'deadl.':>6} {'units':>6}")
        for name, r in results.items():
            dl = "-" if r["deadline_recall"] is None else f"{r['deadline_recall']:.2f}"
            self.stdout.write(f"{name:34} {r['oracle_items']:5} {r['draft_tasks']:5} {r['f1']:6.2f} {dl:>6} "
                              f"{r['unit_accuracy']:6.2f}")
            if details:
                self._details(r, indent="    ")
        self.stdout.write(f"mean F1 {total['f1_mean']:.3f}, lowest {total['f1_min']:.3f}; deadlines "
                          f"{total['deadlines_ok']}/{total['deadlines_labelled']} = {total['deadline_recall']:.3f}; "
                          f"units {total['units_ok']}/{total['units_labelled']} = {total['unit_accuracy']:.3f}")

    def _details(self, result: dict, indent: str = "") -> None:
        for fp in result["false_positives"]:
            self.stdout.write(f"{indent}误报 {fp['start']}-{fp['end']} {fp['text']}")
        for m in result["missed"]:
            self.stdout.write(f"{indent}漏报 {m['start']}-{m['end']} {m['text']}")
        for p in result["pairs"]:
            if not (p["deadline_ok"] and p["units_ok"]):
                self.stdout.write(f"{indent}差异 {p['gold']}: 期限 {p['gold_deadline']} / {p['draft_deadline']}；"
                                  f"单位 {p['gold_units']} / {p['draft_units']}")

    def _score(self, lpath: Path, source: str | None) -> dict:
        if not lpath.is_file():
            hint = "（默认标注文件在仓库的 tests/data/ 中，请在仓库根目录运行，或指定标注文件）" \
                if str(lpath) == DEFAULT_LABELS else ""
            raise CommandError(f"找不到标注文件：{lpath}{hint}")
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
        return score(draft, load_labels(lpath))
