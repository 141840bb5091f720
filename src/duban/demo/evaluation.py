"""The demo's evaluation: a small township scheme for this year, its computed sheet (a draft the
督查室 can publish), and the speech's 三个交账 commitments on the dashboard timeline."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from duban.dashboard import services as dashboard_services
from duban.dashboard.models import Horizon
from duban.evaluation import services
from duban.evaluation.models import UnitCategory

ITEMS = [
    {"source": "completion", "name": "任务完成率", "weight": "35"},
    {"source": "on_time", "name": "按时完成率", "weight": "20"},
    {"source": "report_late", "name": "进展报送及时", "weight": "10", "param": "0.5"},
    {"source": "red_days", "name": "红灯天数", "weight": "10", "param": "0.1"},
    {"source": "orders", "name": "督办单及回复", "weight": "5", "param": "1"},
    {"source": "listings", "name": "挂牌督办", "weight": "5", "param": "2"},
    {"source": "rectification", "name": "督查问题整改", "weight": "5"},
    {"source": "rating", "name": "领导评价", "weight": "10"},
    {"source": "bonus", "name": "上级表彰、典型经验加分", "weight": "5"},
    {"source": "accountability", "name": "问责扣分", "weight": "10"},
]

COMMITMENTS = [
    ("软弱涣散基层党组织整改", Horizon.YEARLY, 0, "软弱涣散"),
    ("村级集体经济全部达标", Horizon.THREE_YEAR, 3, "集体经济"),
    ("村、社区党员群众服务中心规范化建设", Horizon.FIVE_YEAR, 5, "服务中心"),
]


def build_evaluation(directory: dict, accounts: dict) -> dict:
    supervisor = accounts["duchashi"]
    year = timezone.localdate().year
    scheme = services.scheme_create(actor=supervisor, name=f"{year}年度乡镇(办事处)绩效考评方案", year=year,
                                    category=UnitCategory.TOWNSHIP, items=ITEMS)
    evaluation = services.evaluation_compute(actor=supervisor, scheme=scheme)
    for title, horizon, years, term in COMMITMENTS:
        dashboard_services.commitment_create(actor=supervisor, title=title, horizon=horizon,
                                             due_date=date(2017 + max(years, 1), 12, 31), term=term)
    return {"scheme": scheme, "evaluation": evaluation}
