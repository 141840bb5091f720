// Trend-against-target and rank-over-time charts of an indicator (ECharts). The data comes in
// the element's data-config attribute (JSON); no inline script (CSP).
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  document.querySelectorAll(".duban-chart").forEach(function (el) {
    var cfg = JSON.parse(el.getAttribute("data-config") || "{}");
    var kind = el.getAttribute("data-chart");
    var option;
    if (kind === "trend") {
      var t = cfg.trend || {};
      if (!t.periods || !t.periods.length) { return; }
      option = {
        tooltip: { trigger: "axis" },
        legend: { data: [t.labels.actual, t.labels.target] },
        grid: { left: 48, right: 12, top: 32, bottom: 28 },
        xAxis: { type: "category", data: t.periods },
        yAxis: { type: "value", name: cfg.measure || "" },
        series: [
          { name: t.labels.actual, type: "line", data: t.actual, connectNulls: true },
          { name: t.labels.target, type: "line", data: t.target, lineStyle: { type: "dashed" } }
        ]
      };
    } else {
      var r = cfg.rank || {};
      if (!r.periods || !r.periods.length) { return; }
      option = {
        tooltip: { trigger: "axis" },
        grid: { left: 36, right: 12, top: 16, bottom: 28 },
        xAxis: { type: "category", data: r.periods },
        yAxis: { type: "value", inverse: true, minInterval: 1, min: 1, name: r.label },
        series: [{ name: r.label, type: "line", data: r.rank, label: { show: true } }]
      };
    }
    el.style.height = "260px";
    el.style.width = "100%";
    var chart = echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
