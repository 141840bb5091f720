"""Office and PDF files → plain text, one paragraph (or one table row) per line.

- .docx: body paragraphs and tables in document order; a paragraph numbered by Word's own list
  numbering gets its number written out ("（一）", "1.") so that the outline sees it; a table row is
  one line with its cells joined by TAB (a vertically merged cell repeats its text on each row).
- .xlsx: every sheet, every non-empty row a line of TAB-joined cells; a merged range gives its
  value to every cell it covers (a unit written once for several rows applies to each of them).
- .pdf: the text layer (pypdf); the hard line breaks of the layout are re-joined into paragraphs.
  A PDF without a text layer (a scan) is refused with a clear message.

Zip containers (.docx/.xlsx) are checked before they are opened: too many entries or too much
uncompressed data (a zip bomb) and macro projects (vbaProject.bin) are refused.
"""

from __future__ import annotations

import io
import re
import zipfile

from .errors import IntakeError

MAX_ENTRIES = 2000
MAX_UNCOMPRESSED = 80 * 1024 * 1024
MAX_RATIO = 200


def check_zip(data: bytes, kind: str, required: str) -> None:
    label = {"docx": "Word 文档（.docx）", "xlsx": "Excel 表格（.xlsx）"}[kind]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IntakeError(f"无法读取{label}：文件已损坏或不是该格式。") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if len(infos) > MAX_ENTRIES or total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO and total > 10 * 1024 * 1024:
        raise IntakeError(f"{label}解压后过大或结构异常（疑似压缩炸弹），已拒绝读取。")
    names = {i.filename for i in infos}
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise IntakeError(f"{label}含有宏，出于安全考虑不予读取；请另存为不含宏的文件后再上传。")
    if required not in names:
        raise IntakeError(f"无法读取{label}：文件已损坏或不是该格式。")


# --- .docx -------------------------------------------------------------------------------------
_CN_DIGITS = "零一二三四五六七八九"


def _cn_count(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _fmt(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional",
               "taiwaneseCounting", "japaneseCounting"):
        return _cn_count(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt in ("lowerLetter", "upperLetter"):
        c = chr(ord("a") + (n - 1) % 26)
        return c.upper() if fmt == "upperLetter" else c
    if fmt == "bullet" or fmt == "none":
        return ""
    return str(n)


class _Numbering:
    """Word's list numbering: (numId, ilvl) → the level's format and text ('%1、', '（%1）')."""

    def __init__(self, document):
        from docx.oxml.ns import qn

        self.qn = qn
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[tuple[str, int], int] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for an in root.findall(qn("w:abstractNum")):
            lv = {}
            for lvl in an.findall(qn("w:lvl")):
                ilvl = int(lvl.get(qn("w:ilvl")) or 0)
                fmt = lvl.find(qn("w:numFmt"))
                txt = lvl.find(qn("w:lvlText"))
                start = lvl.find(qn("w:start"))
                lv[ilvl] = (fmt.get(qn("w:val")) if fmt is not None else "decimal",
                            txt.get(qn("w:val")) if txt is not None else "%1.",
                            int(start.get(qn("w:val"))) if start is not None else 1)
            abstract[an.get(qn("w:abstractNumId"))] = lv
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is None:
                continue
            for ilvl, spec in abstract.get(ref.get(qn("w:val")), {}).items():
                self.levels[(num.get(qn("w:numId")), ilvl)] = spec

    def label(self, p_element, style=None) -> str:
        qn = self.qn
        ppr = p_element.find(qn("w:pPr"))
        numpr = ppr.find(qn("w:numPr")) if ppr is not None else None
        while numpr is None and style is not None:  # numbering from the paragraph's style ('List Number')
            sppr = style.element.find(qn("w:pPr"))
            numpr = sppr.find(qn("w:numPr")) if sppr is not None else None
            style = style.base_style
        if numpr is None:
            return ""
        nid = numpr.find(qn("w:numId"))
        lvl = numpr.find(qn("w:ilvl"))
        num_id = nid.get(qn("w:val")) if nid is not None else None
        ilvl = int(lvl.get(qn("w:val")) or 0) if lvl is not None else 0
        spec = self.levels.get((num_id, ilvl))
        if not spec or num_id in (None, "0"):
            return ""
        fmt, text, start = spec
        key = (num_id, ilvl)
        self.counters[key] = self.counters.get(key, start - 1) + 1
        for k in [k for k in self.counters if k[0] == num_id and k[1] > ilvl]:
            del self.counters[k]  # a higher level restarts the lower ones
        out = text
        for lv in range(ilvl + 1):
            n = self.counters.get((num_id, lv), self.levels.get((num_id, lv), ("decimal", "", 1))[2])
            lfmt = self.levels.get((num_id, lv), ("decimal", "", 1))[0]
            out = out.replace(f"%{lv + 1}", _fmt(n, lfmt))
        if fmt in ("bullet", "none"):
            return ""
        return out


def _cell_text(cell) -> str:
    return re.sub(r"\s*\n\s*", " ", cell.text).replace("\t", " ").strip()


def docx_to_text(data: bytes) -> str:
    check_zip(data, "docx", "word/document.xml")
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises its own PackageNotFoundError, lxml errors …
        raise IntakeError("无法读取 Word 文档（.docx 文件已损坏或不是 Word 格式）。") from exc
    numbering = _Numbering(document)
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, document)
            text = p.text.replace("\n", " ")
            try:
                style = p.style
            except (KeyError, ValueError, AttributeError):
                style = None
            label = numbering.label(child, style)
            if label and text.strip() and not text.lstrip().startswith(label):
                text = label + text.lstrip()
            lines.append(text)
        elif tag == "tbl":
            lines.extend(_table_lines(Table(child, document)))
    return "\n".join(lines)


def _table_lines(table) -> list[str]:
    out = []
    for row in table.rows:
        cells, last = [], None
        for cell in row.cells:
            if last is not None and cell._tc is last:
                continue  # a horizontally merged cell is one cell
            last = cell._tc
            cells.append(_cell_text(cell))
        if any(cells):
            out.append("\t".join(cells))
    return out


# --- .xlsx -------------------------------------------------------------------------------------
def xlsx_to_text(data: bytes) -> str:
    check_zip(data, "xlsx", "xl/workbook.xml")
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise IntakeError("无法读取 Excel 表格（.xlsx 文件已损坏或不是 Excel 格式）。") from exc
    lines: list[str] = []
    for ws in wb.worksheets:
        grid: dict[tuple[int, int], str] = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    grid[(c.row, c.column)] = _xl_value(c.value)
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        for rng in ws.merged_cells.ranges:
            top = grid.get((rng.min_row, rng.min_col), "")
            for r in range(rng.min_row, rng.max_row + 1):
                for col in range(rng.min_col, rng.max_col + 1):
                    if rng.min_col != rng.max_col and r == rng.min_row and col > rng.min_col:
                        spans[(r, col)] = (rng.min_row, rng.min_col)  # a title over several columns
                        continue
                    if top and rng.min_row != rng.max_row:
                        grid[(r, col)] = top
        if not grid:
            continue
        if lines:
            lines.append("")
        max_col = max(c for _, c in grid)
        for r in range(1, max(r for r, _ in grid) + 1):
            cells = [grid.get((r, c), "") for c in range(1, max_col + 1) if (r, c) not in spans]
            while cells and not cells[-1]:
                cells.pop()
            if any(cells):
                lines.append("\t".join(cells))
    if not lines:
        raise IntakeError("Excel 表格中没有内容。")
    return "\n".join(lines)


def _xl_value(v) -> str:
    from datetime import date, datetime

    if isinstance(v, datetime):
        return f"{v.year}年{v.month}月{v.day}日"
    if isinstance(v, date):
        return f"{v.year}年{v.month}月{v.day}日"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"\s*\n\s*", " ", str(v)).replace("\t", " ").strip()


# --- .pdf --------------------------------------------------------------------------------------
_STARTS_MARKER = re.compile(r"^\s*([一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.、．](?!\d)|"
                            r"第[一二三四五六七八九十]{1,3}[章部节条]|[①-⑳]|附件|专栏|"
                            r"(?:牵头|责任|主责|配合|协办)(?:单位|部门)[：:]|(?:完成|办结|整改)(?:时限|时间)[：:]|"
                            r"时间节点[：:]|责任(?:领导|人)[：:])")


def pdf_to_text(data: bytes) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - pypdf is a dependency
        raise IntakeError("服务器未安装 PDF 读取组件，暂不能导入 PDF 文件。") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:
                raise IntakeError("PDF 文件已加密，无法读取，请上传未加密的文件。") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
    except IntakeError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IntakeError("无法读取 PDF 文件（文件已损坏或不是 PDF 格式）。") from exc
    text = "\n".join(pages)
    if len(re.findall(r"[\u3400-\u9fff]", text)) < 10:
        raise IntakeError("PDF 文件中没有可读取的文字（可能是扫描件或图片），请上传带文字层的 PDF 或 Word 文件。")
    return rejoin_lines(text)


def _width(line: str) -> float:
    return sum(0.55 if ord(c) < 0x2E80 else 1.0 for c in line)


def _compat(text: str) -> str:
    """Kangxi radicals and compatibility ideographs that PDF text layers often carry (⼀ ⼈ ⺠ …)
    become the ordinary characters."""
    import unicodedata

    return "".join(_RADICALS.get(c) or (unicodedata.normalize("NFKC", c)
                                        if "\u2e80" <= c <= "\u2fdf" or "\uf900" <= c <= "\ufaff" else c)
                   for c in text)


# CJK Radicals Supplement characters without a compatibility decomposition, as fonts' ToUnicode
# maps produce them, and the ordinary character each one stands for
_RADICALS = dict(zip("⺠⻔⻓⻅⻢⻬⻜⻋⻉⻆⻩⻛⻥⻚⻮⻰⻳⻙⻨⻧⻦⻌⻠⻪⻫⻭⻯⻲⺦⺰⻈⻐⺟⻄⻑⻘⻝⻣⻤⺮⻊⻖⻗⺁⺇⺌⺗⺝⺩⺫⺯⺶",
                     "民门长见马齐飞车贝角黄风鱼页齿龙龟韦麦卤鸟辶饣黾齐齿龙龟丬纟讠钅母西長青食骨鬼竹足阝雨厂几小心月王目糸羊"))


def rejoin_lines(text: str) -> str:
    """Join the layout's hard line breaks: a line that fills the page width and does not end a
    sentence continues on the next (unless the next opens with an outline marker); short lines
    (titles, dates, signatures) stay lines; page numbers ('- 3 -', '第 2 页') are dropped."""
    text = _compat(text)
    raw = [ln.strip() for ln in text.split("\n")]
    raw = [ln for ln in raw if ln and not re.fullmatch(r"[-—－\s]*\d{1,3}[-—－\s]*|第\s*\d+\s*页(，?共\s*\d+\s*页)?", ln)]
    widths = sorted(_width(ln) for ln in raw)
    full = widths[int(len(widths) * 0.9)] if widths else 0
    out: list[str] = []
    prev_full = False
    for line in raw:
        ended = out and (out[-1][-1] in "。！？；：）" or out[-1][-2:] in ("。”", "！”", "？”"))
        if out and prev_full and not ended and not _STARTS_MARKER.match(line):
            out[-1] += line
        else:
            out.append(line)
        prev_full = full > 0 and _width(line) >= 0.85 * full
    return "\n".join(out)
