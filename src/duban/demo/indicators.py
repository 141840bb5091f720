"""Demo data for the "316" indicators: the 2017 speech's own figures, every row marked as demo
(``is_demo``) and every peer that the speech does not name given a placeholder name.

From the speech (tests/data/000_*.txt): 2016 人均生产总值 24,429 元, about 40% of the province's
per-capita GDP, 17th of the province's 31 key eco-function counties (远安县 3.6 times ours);
85 规上工业企业 (建始 10 fewer, 咸丰 15 fewer, the others above 60); 地方公共财政预算收入 growth
3.1%, last in the prefecture; 农村常住居民人均可支配收入 33rd of the 71 Wuling-mountain counties (the
speech gives no value: ours is a demo value). The other peers' values and the targets are invented for the demo
and chosen only so the ranks come out as the speech says.
"""

from __future__ import annotations

from decimal import Decimal

from duban.indicators import services

DEMO_NOTE = "演示数据:本县数值取自2017年全市党建暨经济工作会议讲话,其他对标值为演示值。"


def _group(supervisor, name, self_name, others, description):
    return services.peer_group_create(actor=supervisor, name=name, self_name=self_name,
                                      members=[self_name, *others], description=description, is_demo=True)


def _peers(supervisor, indicator, group, period, values: dict):
    members = {m.name: m for m in group.members.all()}
    for name, value in values.items():
        services.peer_value_save(actor=supervisor, indicator=indicator, member=members[name], period=period,
                                 value=value)


def build_indicators(directory: dict, accounts: dict) -> dict:
    supervisor = accounts["duchashi"]
    units = directory["units"]
    fgj, czj = units["FGJ"], units["CZJ"]

    def define(code, name, measure, office, **kw):
        return services.indicator_save(actor=supervisor, code=code, name=name, measure=measure, source_office=office,
                                       responsible_units=[office], start_year=2016, end_year=2020, is_demo=True, **kw)

    gdppc = define("GDPPC", "人均生产总值", "元", fgj, goal_value=Decimal(40000), behind_margin=5)
    province = define("PROV_GDPPC", "全省人均生产总值", "元", fgj)
    share = define("GDPPC_SHARE", "人均生产总值占全省比重", "%", fgj, formula="GDPPC / PROV_GDPPC * 100")
    firms = define("FIRMS", "规上工业企业数", "家", fgj, goal_value=Decimal(120), behind_margin=5)
    revenue = define("REV_GROWTH", "地方公共财政预算收入增速", "%", czj, behind_margin=10, behind_action="task")
    rural = define("RURAL_INC", "农村常住居民人均可支配收入", "元", fgj)

    services.actual_save(actor=supervisor, indicator=gdppc, period="2016", value="24429", is_demo=True)
    services.actual_save(actor=supervisor, indicator=province, period="2016", value="61073", is_demo=True)
    services.actual_save(actor=supervisor, indicator=firms, period="2016", value="85", is_demo=True)
    services.actual_save(actor=supervisor, indicator=revenue, period="2016", value="3.1", is_demo=True)
    for indicator, year, value in ((gdppc, 2016, "26000"), (gdppc, 2017, "28000"), (firms, 2016, "90"),
                                   (firms, 2017, "100"), (revenue, 2016, "8"), (revenue, 2017, "8")):
        services.target_set(actor=supervisor, indicator=indicator, year=year, value=value)

    # 31 key eco-function counties: 16 ahead of us (远安县 3.6 times ours), 14 behind → 17th of 31.
    above = ["远安县"] + [f"生态功能类县市{i:02d}(演示)" for i in range(1, 16)]
    below = [f"生态功能类县市{i:02d}(演示)" for i in range(16, 30)]
    eco = _group(supervisor, "全省31个重点生态功能区县市(演示)", "恩施市", above + below, DEMO_NOTE)
    values = {"远安县": Decimal(87944)}
    values.update({name: Decimal(60000 - 2200 * i) for i, name in enumerate(above[1:])})
    values.update({name: Decimal(24000 - 500 * i) for i, name in enumerate(below)})
    _peers(supervisor, gdppc, eco, "2016", values)

    # The prefecture's eight counties and cities: 规上企业 and revenue growth.
    others = ["利川市", "建始县", "巴东县", "宣恩县", "咸丰县", "来凤县", "鹤峰县"]
    prefecture = _group(supervisor, "恩施州8县市(演示)", "恩施市", others, DEMO_NOTE)
    _peers(supervisor, firms, prefecture, "2016",
           {"建始县": 75, "咸丰县": 70, "利川市": 82, "巴东县": 68, "宣恩县": 63, "来凤县": 61, "鹤峰县": 62})
    _peers(supervisor, revenue, prefecture, "2016",
           {"利川市": "6.2", "建始县": "5.1", "巴东县": "7.4", "宣恩县": "4.8", "咸丰县": "5.5", "来凤县": "6.9",
            "鹤峰县": "4.2"})

    # The 71 Wuling-mountain counties: rural income 33rd. The speech gives the rank only, so our
    # value here is a demo value too.
    services.actual_save(actor=supervisor, indicator=rural, period="2016", value="9500", is_demo=True)
    ahead = [f"武陵山片区县市{i:02d}(演示)" for i in range(1, 33)]
    behind = [f"武陵山片区县市{i:02d}(演示)" for i in range(33, 71)]
    wuling = _group(supervisor, "武陵山片区71个县市区(演示)", "恩施市", ahead + behind, DEMO_NOTE)
    values = {name: Decimal(12600 - 90 * i) for i, name in enumerate(ahead)}
    values.update({name: Decimal(9400 - 60 * i) for i, name in enumerate(behind)})
    _peers(supervisor, rural, wuling, "2016", values)
    return {"indicators": [gdppc, province, share, firms, revenue, rural], "groups": [eco, prefecture, wuling]}
