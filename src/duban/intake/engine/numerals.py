"""Chinese and Arabic numerals (cn2an underneath) and quantity phrases."""

from __future__ import annotations

import re
from functools import lru_cache

CN_NUM = "零〇一二两三四五六七八九十百千万亿"
CN_ORD = "一二三四五六七八九十"
NUM_RE = rf"(?:\d+(?:\.\d+)?|[{CN_NUM}]+)"

_SIMPLE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}


@lru_cache(maxsize=4096)
def cn_int(text: str) -> int | None:
    """'三' → 3, '十二' → 12, '二十' → 20, '一百零五' → 105, '两' → 2; None if not a numeral."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(c in _SIMPLE or c in "十百千万亿" for c in text):
        try:
            import cn2an

            return int(cn2an.cn2an(text.replace("两", "二").replace("〇", "零"), "smart"))
        except (ValueError, KeyError, TypeError):
            return None
    return None


def to_number(text: str) -> float | None:
    """Arabic, Chinese or mixed ('1.5万', '2800多' → 2800, '三分之一' → 0.333…)."""
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    m = re.fullmatch(rf"({NUM_RE})分之({NUM_RE})", text)
    if m:
        den, num = to_number(m.group(1)), to_number(m.group(2))
        return num / den if den and num is not None else None
    text = re.sub(r"[多余几]+$", "", text)
    try:
        return float(text)
    except ValueError:
        pass
    try:
        import cn2an

        return float(cn2an.cn2an(text.replace("两", "二").replace("〇", "零"), "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def ordinal(marker_digits: str) -> int | None:
    """The number in a marker: '三' in 三是, '12' in 12., '㈢' → 3."""
    if len(marker_digits) == 1 and "㈠" <= marker_digits <= "㈩":
        return ord(marker_digits) - ord("㈠") + 1
    if len(marker_digits) == 1 and "①" <= marker_digits <= "⑳":
        return ord(marker_digits) - ord("①") + 1
    return cn_int(marker_digits)
