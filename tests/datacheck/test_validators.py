"""GB 11643 ID numbers, GB 32100 credit codes and the other field validators."""

from datetime import date
from decimal import Decimal

import pytest

from duban.datacheck import validators as v
from duban.datacheck.masking import mask

from .helpers import bad_check, make_id, make_uscc


def test_the_standards_own_example_id_number_is_valid():
    assert v.clean_id_number("11010519491231002X") == "11010519491231002X"
    assert v.clean_id_number("11010519491231002x") == "11010519491231002X"


def test_a_computed_id_number_is_valid_and_one_with_another_check_digit_is_not():
    good = make_id(7, "19910228")
    assert v.clean_id_number(good) == good
    with pytest.raises(ValueError, match="校验码"):
        v.clean_id_number(bad_check(good))


def test_a_fifteen_digit_number_is_converted_to_eighteen_digits():
    assert v.clean_id_number("110105491231002") == "11010519491231002X"
    assert v.id_upgrade_15("422801800101001") == make_id(1, "19800101")


@pytest.mark.parametrize("number, reason", [
    ("99010519491231002X", "地区码"),      # no province 99
    ("110105194902300021", "出生日期"),    # 30 February
    ("110105209901010010", "出生日期"),    # born in the future
    ("1101051949123100", "18位"),          # too short
    ("11010519491231002A", "18位"),        # A is no check character
    ("", "为空"),
])
def test_bad_id_numbers_are_refused_with_the_reason(number, reason):
    with pytest.raises(ValueError, match=reason):
        v.clean_id_number(number)


def test_known_good_unified_social_credit_codes_pass():
    assert v.clean_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert v.clean_uscc(make_uscc(12345)) == make_uscc(12345)


@pytest.mark.parametrize("code, reason", [
    ("91350100M000100Y44", "校验码"),
    ("91350100M000100I43", "不含I"),      # I is not in the character set
    ("9135010", "18位"),
    ("Z1350100M000100Y43", "不含I"),      # Z is not in the set either
    ("X1350100M000100Y43", "登记管理部门"),
])
def test_bad_credit_codes_are_refused(code, reason):
    with pytest.raises(ValueError, match=reason):
        v.clean_uscc(code)


@pytest.mark.parametrize("raw, expected", [
    ("1,234.5", Decimal("1234.50")), ("1.2万元", Decimal("12000.00")), ("¥300", Decimal("300.00")),
    ("800元", Decimal("800.00")), (450, Decimal("450.00")), (99.5, Decimal("99.50")), ("3万", Decimal("30000.00")),
])
def test_amounts_in_the_usual_writings_are_read_in_yuan(raw, expected):
    assert v.clean_amount(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.234", "12元5角", ""])
def test_amounts_that_are_not_money_are_refused(raw):
    with pytest.raises(ValueError):
        v.clean_amount(raw)


def test_dates_in_three_writings_mean_the_same_day():
    assert v.clean_date("2024-03-05") == v.clean_date("2024/3/5") == v.clean_date("2024年3月5日") \
        == v.clean_date("20240305") == date(2024, 3, 5)


@pytest.mark.parametrize("raw", ["2024-02-30", "03/05/2024", "去年"])
def test_impossible_or_ambiguous_dates_are_refused(raw):
    with pytest.raises(ValueError):
        v.clean_date(raw)


def test_names_phones_and_accounts():
    assert v.clean_name(" 张  三 ") == "张 三"
    assert v.clean_name("阿依古丽·买买提") == "阿依古丽·买买提"
    with pytest.raises(ValueError):
        v.clean_name("张3")
    assert v.clean_phone("138-0000-1234") == "13800001234"
    with pytest.raises(ValueError):
        v.clean_phone("12345")
    assert v.clean_account("6222 0000 1111 2222") == "6222000011112222"
    with pytest.raises(ValueError):
        v.clean_account("62x2")


def test_masking_keeps_only_the_ends_of_id_phone_and_account_numbers():
    assert mask("11010519491231002X", "id") == "1101**********002X"
    assert mask("13800001234", "phone") == "138****1234"
    assert mask("6222000011112222", "account") == "************2222"
    assert mask("张三", "name") == "张三"
