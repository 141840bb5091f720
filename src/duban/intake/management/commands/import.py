# ruff: noqa: N999 - the command is `duban import`, so the module must be import.py
"""`duban import FILE [--date YYYY-MM-DD] [--json]`: analyse a speech or document and print the
draft (metadata, removed lines, outline). Writes nothing to the database."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.intake.engine import IntakeError, analyse
from duban.intake.engine.render import render_tree


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "分析讲话或文件，输出清理后的元数据、被删除的行和任务大纲（不写入数据库）。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--date", help="讲话日期 YYYY-MM-DD（覆盖从文中识别的日期）")
        parser.add_argument("--term-end", help="任期届满日期 YYYY-MM-DD（“一届任期内”的期限）")
        parser.add_argument("--json", action="store_true", help="输出 JSON（Draft 的序列化）")
        parser.add_argument("--with-text", action="store_true", help="JSON 中包含全文")

    def handle(self, *args, file, date=None, term_end=None, json=False, with_text=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            draft = analyse(path.read_bytes(), filename=path.name, speech_date=_date(date) if date else None,
                            term_end=_date(term_end) if term_end else None)
        except IntakeError as exc:
            raise CommandError(exc.message) from exc
        if json:
            data = draft.to_dict()
            if not with_text:
                data.pop("text")
            import json as _json

            self.stdout.write(_json.dumps(data, ensure_ascii=False, indent=1))
            return
        self.stdout.write(render_tree(draft))
