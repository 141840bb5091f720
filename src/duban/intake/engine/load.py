"""Loading: bytes or text → one decoded string, plus an analysis copy of the same length.

`Loaded.text` is what spans point into. `Loaded.norm` is the same text with traditional characters
turned simplified and full/half-width punctuation unified, character for character, so that every
offset found in `norm` is valid in `text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from .errors import IntakeError

__all__ = ["IntakeError", "Loaded", "decode", "docx_to_text", "html_to_text", "load", "normalise", "to_simplified"]


@dataclass
class Loaded:
    text: str
    norm: str
    encoding: str
    kind: str  # text | docx | xlsx | pdf | html


# Half-width → full-width for the punctuation the patterns use, and full-width digits/letters → ASCII.
_PUNCT = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？",
          "．": ".", "\u3000": " ", "\u00a0": " ", "﹐": "，", "﹔": "；", "﹕": "：", "、": "、"}
_PUNCT.update({chr(0xFF10 + i): str(i) for i in range(10)})
_PUNCT.update({chr(0xFF21 + i): chr(0x41 + i) for i in range(26)})
_PUNCT.update({chr(0xFF41 + i): chr(0x61 + i) for i in range(26)})
_PUNCT_TABLE = str.maketrans(_PUNCT)


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified, one character for one character (length is preserved)."""
    chars = {c for c in set(text) if ord(c) >= 0x3400}
    if not chars:
        return text
    conv = _converter()
    ordered = sorted(chars)
    converted = conv.convert("\n".join(ordered)).split("\n")
    if len(converted) != len(ordered):  # defensive: fall back to converting one by one
        converted = [conv.convert(c) for c in ordered]
    table = {ord(a): b for a, b in zip(ordered, converted) if a != b and len(b) == 1}
    return text.translate(table) if table else text


# a half-width full stop that ends a Chinese sentence ('加強基層組織建設.芭蕉…'), not a decimal
# point or a '1.' marker
_HALF_STOP = re.compile(r"(?<=[\u3400-\u9fff”’）])\.(?=[\u3400-\u9fff“‘（(]|\s|$)")


def normalise(text: str) -> str:
    norm = _HALF_STOP.sub("。", to_simplified(text).translate(_PUNCT_TABLE))
    assert len(norm) == len(text)
    return norm


def load(data: bytes | str, filename: str | None = None) -> Loaded:
    name = (filename or "").lower()
    if isinstance(data, str):
        text, encoding, kind = data, "str", "text"
        if name.endswith((".html", ".htm")) or _looks_html(text):
            text, kind = html_to_text(text), "html"
    else:
        if not data:
            raise IntakeError("文件为空。")
        from . import formats

        if name.endswith((".xlsx", ".xlsm")) or (data[:2] == b"PK" and b"xl/workbook" in data[:4096]
                                                  and not name.endswith((".txt", ".docx"))):
            text, encoding, kind = formats.xlsx_to_text(data), "xlsx", "xlsx"
        elif name.endswith(".docx") or (data[:2] == b"PK" and not name.endswith((".txt", ".html", ".htm"))):
            text, encoding, kind = formats.docx_to_text(data), "docx", "docx"
        elif name.endswith(".pdf") or data[:5] == b"%PDF-":
            text, encoding, kind = formats.pdf_to_text(data), "pdf", "pdf"
        else:
            text, encoding = decode(data)
            kind = "text"
            if name.endswith((".html", ".htm")) or _looks_html(text):
                text, kind = html_to_text(text), "html"
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # keep offsets: a BOM becomes a space
    if not text.strip():
        raise IntakeError("文件为空，没有可分析的文字。")
    if not re.search(r"[\u3400-\u9fff]", text):
        raise IntakeError("文件中没有中文内容，无法分析。")
    return Loaded(text=text, norm=normalise(text), encoding=encoding, kind=kind)


def _looks_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head and "</" in head)


def decode(data: bytes) -> tuple[str, str]:
    sample = data[:65536]
    if b"\x00" in sample:
        if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return data.decode("utf-16"), "utf-16"
            except UnicodeDecodeError:
                pass
        raise IntakeError("文件不是文本文件（含二进制内容），请上传 .txt、.docx、.xlsx、.pdf 或 .html 文件。")
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12))
    if controls > max(8, len(sample) // 100):
        raise IntakeError("文件不是文本文件（含二进制内容），请上传 .txt、.docx、.xlsx、.pdf 或 .html 文件。")
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # GB18030 is a superset of GBK and GB2312: the common case for Chinese office files
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IntakeError("无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的文本后再上传。")
    text = str(best)
    if not re.search(r"[\u3400-\u9fff]", text):
        raise IntakeError("无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的文本后再上传。")
    return text, best.encoding


def docx_to_text(data: bytes) -> str:
    from .formats import docx_to_text as _docx

    return _docx(data)


_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "header", "footer", "table", "ul", "ol", "blockquote", "pre", "title", "dd", "dt", "hr"}
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "button", "select", "option"}


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line:
            out.append(line)
        elif out and out[-1]:
            out.append("")
    return "\n".join(out).strip("\n")
