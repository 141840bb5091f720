"""Timing of `analyse` on a large input: `python -m duban.intake.engine.bench [FILE] [--mb 2]`.

Without FILE it builds a text of the genre (numbered parts, 一是 lists, deadlines, units, web
boilerplate) from a template, each copy numbered so that no two paragraphs are identical. With
FILE it repeats that file's body the same way. Not a test: it prints sizes and seconds.
"""

from __future__ import annotations

import argparse
import time

from . import analyse

TEMPLATE = """{i}、抓好第{i}方面工作（第{i}部分）
第一，组织工作要在抓党建上出经验（{i}）。关于{year}年组织工作，重点做到“四个着力”。一是“两学一做”要在“拓展”二字上着力，推动学习教育常态化；二是干部管理要在“严实”二字上着力，从严选拔干部；三是基层党建要在“全面”二字上着力，村级集体经济达标三年内全部交账；四是问题整改要在“长效”二字上着力。这次省委组织部通报的问题，要分类整改。
第二，宣传工作要在抓导向上有声势（{i}）。今后五年，要完成10个文明乡镇、50个文明乡村创建。当前还存在三个方面的问题：一是观念没有转变；二是落实不到位；三是作风不够扎实。
第三，群团工作要在抓特色上对准焦（{i}）。工会组织要构建和谐劳动关系；共青团要服务青年；妇联要维护妇女权益；科协要推进科普。各群团组织要推进群团改革。
"""


def build_text(mb: float, base: str | None = None) -> str:
    parts = ["打开APP", "小贴士", "讲话稿", "市委书记 张三", "（2017年2月19日）", "", "同志们：", ""]
    size = 0
    i = 1
    while size < mb * 1_000_000:
        if base:
            chunk = "\n".join((ln.replace("。", f"（{i}）。", 1) if ln.strip() else ln) for ln in base.split("\n"))
        else:
            chunk = TEMPLATE.format(i=_cn(i), year=2017 + i % 3)
        parts.append(chunk)
        size += len(chunk.encode("utf-8"))
        i += 1
    parts += ["相关阅读", "0 条评论"]
    return "\n".join(parts)


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?")
    parser.add_argument("--mb", type=float, default=2.0)
    args = parser.parse_args(argv)
    base = None
    if args.file:
        with open(args.file, encoding="utf-8") as fh:
            base = fh.read()
    text = build_text(args.mb, base)
    for label, data in (("utf-8", text.encode("utf-8")), ("gb18030", text.encode("gb18030"))):
        t0 = time.perf_counter()
        draft = analyse(data, filename="bench.txt")
        dt = time.perf_counter() - t0
        print(f"{label}: {len(data) / 1e6:.2f} MB, {len(text)} characters, {len(draft.tasks())} tasks, "
              f"{len(draft.removed)} lines removed, {dt:.2f} s")


if __name__ == "__main__":
    main()
