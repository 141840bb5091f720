"""One small world of registries with hand-computed hits and near-misses for every rule.

Payments (programme, amount, date, account, phone):
  A 低保 500 2024-03-10 acct …0001 phone 13800000001   — died 2024-03-01: deceased hit
  B 低保 500 2024-03-10 acct …0002; B 低保 500 2024-03-25 — paid twice in March (hit); died 2024-03-25:
                                                           paid on, not after, the death date (near-miss)
  C 低保 500 2024-03-01; C 低保 500 2024-04-01            — months/quarters apart (near-miss), same year (hit
                                                           by year); C is on the staff roster (hit)
  D 临时救助 3000.00 2024-03-05                           — exactly the cap (near-miss); D's household member K
                                                           is on the roster (hit)
  E 临时救助 3000.01 2024-03-05                           — above the cap (hit); alone in household 002
  F 低保 500 2024-03-10 acct …0001                         — shares A's account (hit)
  G 低保 500 2024-03-10 phone 13800000001                  — shares A's phone (hit)
Enterprises: X (shareholder C), Y (shareholder L, relative of official M), Z (shareholder C).
Contracts: X ← 白果乡政府 (C's unit: hit), Z ← 芭蕉乡政府 (not C's unit: near-miss),
           Y ← 芭蕉乡政府 (M's unit: relative hit), Y ← 白果乡政府 (near-miss).
"""

from __future__ import annotations

from duban.datacheck.schema import Kind

from .helpers import (
    CONTRACT_HEADERS,
    DEATH_HEADERS,
    ENTERPRISE_HEADERS,
    HOUSEHOLD_HEADERS,
    PAYMENT_HEADERS,
    RELATIVE_HEADERS,
    ROSTER_HEADERS,
    loaded,
    make_id,
    make_uscc,
)

A, B, C, D, E, F, G, H = (make_id(n) for n in range(1, 9))
K, L, M = make_id(11), make_id(12), make_id(13)
X, Y, Z = make_uscc(1), make_uscc(2), make_uscc(3)
ACCT_A, ACCT_B = "6222000000000001", "6222000000000002"

PAYMENTS = [
    [A, "张一", "低保", "500", "2024-03-10", ACCT_A, "13800000001"],
    [B, "李二", "低保", "500", "2024/3/10", ACCT_B, ""],
    [B, "李二", "低保", "500", "2024年3月25日", ACCT_B, ""],
    [C, "王三", "低保", "500", "2024-03-01", "", ""],
    [C, "王三", "低保", "500", "2024-04-01", "", ""],
    [D, "赵四", "临时救助", "3000", "2024-03-05", "", ""],
    [E, "钱五", "临时救助", "3000.01", "2024-03-05", "", ""],
    [F, "孙六", "低保", "500", "2024-03-10", ACCT_A, ""],
    [G, "周七", "低保", "500", "2024-03-10", "", "13800000001"],
]
DEATHS = [[A, "张一", "2024-03-01"], [B, "李二", "2024-03-25"], [H, "吴八", "2023-01-01"]]
ROSTER = [[C, "王三", "白果乡政府", "科员"], [K, "郑十一", "芭蕉乡政府", "干事"], [M, "冯十三", "芭蕉乡政府", "乡长"]]
HOUSEHOLD = [["001", D, "赵四", "户主"], ["001", K, "郑十一", "子女"], ["002", E, "钱五", "户主"],
             ["003", C, "王三", "户主"]]
ENTERPRISES = [[X, "恩施甲公司", C, "王三"], [Y, "恩施乙公司", L, "陈十二"], [Z, "恩施丙公司", C, "王三"]]
CONTRACTS = [[X, "恩施甲公司", "白果乡政府", "80000", "2024-05-01"], [Z, "恩施丙公司", "芭蕉乡政府", "5万元", "2024-05-02"],
             [Y, "恩施乙公司", "芭蕉乡政府", "60000", "2024-05-03"], [Y, "恩施乙公司", "白果乡政府", "1000", "2024-05-04"]]
RELATIVES = [[M, "冯十三", L, "陈十二", "配偶"]]


def build(actor) -> dict:
    return {
        Kind.PAYMENTS: loaded(actor, Kind.PAYMENTS, PAYMENT_HEADERS, PAYMENTS, name="2024年低保发放"),
        Kind.DEATHS: loaded(actor, Kind.DEATHS, DEATH_HEADERS, DEATHS, name="死亡登记", fmt="xlsx"),
        Kind.ROSTER: loaded(actor, Kind.ROSTER, ROSTER_HEADERS, ROSTER, name="财政供养人员", fmt="parquet"),
        Kind.HOUSEHOLD: loaded(actor, Kind.HOUSEHOLD, HOUSEHOLD_HEADERS, HOUSEHOLD, name="户籍"),
        Kind.ENTERPRISES: loaded(actor, Kind.ENTERPRISES, ENTERPRISE_HEADERS, ENTERPRISES, name="企业股东"),
        Kind.CONTRACTS: loaded(actor, Kind.CONTRACTS, CONTRACT_HEADERS, CONTRACTS, name="采购合同"),
        Kind.RELATIVES: loaded(actor, Kind.RELATIVES, RELATIVE_HEADERS, RELATIVES, name="干部亲属"),
    }


def datasets_for(rule, versions) -> dict:
    return {s["alias"]: versions[s["kind"]] for s in rule.current.definition["sources"]}
