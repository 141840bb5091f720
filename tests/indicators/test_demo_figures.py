"""The speech's figures as demo data: 人均GDP 24,429 元 ≈ 40% of the province, 17th of 31."""

from decimal import Decimal

import pytest

from duban.indicators import selectors
from duban.indicators.models import Indicator, PeerGroup

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_speechs_figures_marked_as_demo(cast):
    from duban.demo.indicators import build_indicators

    units = {"FGJ": cast.office, "CZJ": cast.office}
    build_indicators({"units": units}, {"duchashi": cast.supervisor})
    gdppc = Indicator.objects.get(code="GDPPC")
    eco = PeerGroup.objects.get(name__startswith="全省31个")
    pos = selectors.own_position(gdppc, eco, "2016")
    assert (pos["value"], pos["rank"], pos["of"]) == (Decimal("24429.0000"), 17, 31)
    share = Indicator.objects.get(code="GDPPC_SHARE").actuals.get(period="2016").value
    assert round(share) == 40
    firms = Indicator.objects.get(code="FIRMS")
    prefecture = PeerGroup.objects.get(name__startswith="恩施州")
    assert selectors.own_position(firms, prefecture, "2016")["rank"] == 1
    revenue = Indicator.objects.get(code="REV_GROWTH")
    assert selectors.own_position(revenue, prefecture, "2016")["rank"] == 8  # last in the prefecture
    rural = Indicator.objects.get(code="RURAL_INC")
    wuling = PeerGroup.objects.get(name__startswith="武陵山")
    assert (selectors.own_position(rural, wuling, "2016")["rank"], wuling.members.count()) == (33, 71)
    assert all(i.is_demo for i in Indicator.objects.all()) and all(g.is_demo for g in PeerGroup.objects.all())
