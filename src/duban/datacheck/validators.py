"""Field validators for uploaded registries. Each ``clean_<type>(value)`` returns the normalised
value (``None`` for an empty optional cell) or raises ``ValueError`` with a Chinese message.

* Resident ID numbers, GB 11643-1999: 6-digit region code (the province part must exist),
  8-digit birth date (real, not in the future, not before 1900), 3-digit sequence, ISO 7064
  MOD 11-2 check character. A 15-digit number of the 1984 scheme (YYMMDD, no check character) is
  converted to the 18-digit form.
* Unified social credit codes, GB 32100-2015: 18 characters of the 31-character set
  (no I, O, Z, S, V), check character by the MOD 31 weights of the standard.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# The province-level part of GB/T 2260 region codes (71 Taiwan, 81/82 Hong Kong/Macao: 港澳台居民居住证).
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83", "91",
})
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_AUTHORITIES = frozenset("123456789ABCDEFGNY")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_upgrade_15(number: str) -> str:
    """The 18-digit form of a 15-digit number (birth year 19YY, check character added)."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_char(first17)


def clean_id_number(value) -> str:
    s = _text(value).upper().replace(" ", "")
    if not s:
        raise ValueError(_("身份证号为空"))
    if re.fullmatch(r"\d{15}", s):
        s = id_upgrade_15(s)
    elif not re.fullmatch(r"\d{17}[\dX]", s):
        raise ValueError(_("身份证号应为18位(或15位旧号码)"))
    if s[:2] not in PROVINCES or s[2:6] == "0000":
        raise ValueError(_("身份证号的地区码无效"))
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise ValueError(_("身份证号中的出生日期无效")) from None
    if born.year < 1900 or born > timezone.localdate():
        raise ValueError(_("身份证号中的出生日期无效"))
    if id_check_char(s[:17]) != s[17]:
        raise ValueError(_("身份证号校验码错误"))
    return s


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def clean_uscc(value) -> str:
    s = _text(value).upper().replace(" ", "")
    if not s:
        raise ValueError(_("统一社会信用代码为空"))
    if len(s) != 18 or any(c not in USCC_CHARS for c in s):
        raise ValueError(_("统一社会信用代码应为18位数字或大写字母(不含I、O、Z、S、V)"))
    if s[0] not in USCC_AUTHORITIES or not s[2:8].isdigit():
        raise ValueError(_("统一社会信用代码的登记管理部门或地区码无效"))
    if uscc_check_char(s[:17]) != s[17]:
        raise ValueError(_("统一社会信用代码校验码错误"))
    return s


NAME_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·A-Za-z][\u3400-\u9fff\uf900-\ufaff·A-Za-z .]{0,49}")


def clean_name(value) -> str:
    s = re.sub(r"\s+", " ", _text(value)).replace("•", "·").replace("・", "·")
    if not s:
        raise ValueError(_("姓名为空"))
    if not NAME_RE.fullmatch(s) or re.search(r"\d", s):
        raise ValueError(_("姓名含有不应出现的字符"))
    return s


AMOUNT_RE = re.compile(r"[-+]?\d+(\.\d+)?")


def clean_amount(value) -> Decimal:
    """Yuan, two decimals. Accepts 1,234.5 / ¥1234.50 / 1234.5元 / 1.2万元 (× 10,000)."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        s = _text(value).replace(",", "").replace(",", "").replace(" ", "")
        if not s:
            raise ValueError(_("金额为空"))
        factor = Decimal(1)
        s = s.lstrip("¥").removeprefix("人民币")  # NFKC has already made ¥ of ¥
        if s.endswith(("万元", "万")):
            factor, s = Decimal(10000), s.removesuffix("元").removesuffix("万")
        s = s.removesuffix("元")
        if not AMOUNT_RE.fullmatch(s):
            raise ValueError(_("金额不是数字"))
        try:
            amount = Decimal(s) * factor
        except InvalidOperation:  # pragma: no cover - the pattern already matched
            raise ValueError(_("金额不是数字")) from None
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("金额最多保留两位小数(分)"))
    if abs(amount) >= Decimal("1e15"):
        raise ValueError(_("金额过大"))
    return amount.quantize(Decimal("0.01"))


DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)


def clean_date(value) -> date:
    """2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, or a spreadsheet date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = _text(value)
    if not s:
        raise ValueError(_("日期为空"))
    s = re.sub(r"[ T]00:00(:00)?$", "", s)
    for pattern in DATE_PATTERNS:
        m = pattern.fullmatch(s)
        if m:
            try:
                return date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                raise ValueError(_("日期不存在")) from None
    raise ValueError(_("日期格式无法识别(可用 2024-03-05、2024/3/5、2024年3月5日、20240305)"))


def clean_phone(value) -> str:
    s = re.sub(r"[\s-]", "", _text(value)).removeprefix("+86")
    if not s:
        raise ValueError(_("电话号码为空"))
    if not (re.fullmatch(r"1[3-9]\d{9}", s) or re.fullmatch(r"0\d{9,11}", s)):
        raise ValueError(_("电话号码格式不正确"))
    return s


def clean_account(value) -> str:
    s = re.sub(r"[\s-]", "", _text(value))
    if not s:
        raise ValueError(_("账号为空"))
    if not re.fullmatch(r"\d{8,32}", s):
        raise ValueError(_("银行账号应为8至32位数字"))
    return s


def clean_text(value) -> str:
    s = re.sub(r"\s+", " ", _text(value))
    if not s:
        raise ValueError(_("内容为空"))
    if len(s) > 200:
        raise ValueError(_("内容超过200字"))
    if any(unicodedata.category(c) == "Cc" for c in s):
        raise ValueError(_("内容含有控制字符"))
    return s


CLEANERS = {
    "id": clean_id_number, "uscc": clean_uscc, "name": clean_name, "amount": clean_amount,
    "date": clean_date, "phone": clean_phone, "account": clean_account, "text": clean_text,
}


def is_empty(value) -> bool:
    return _text(value) == ""
