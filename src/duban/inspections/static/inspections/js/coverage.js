// The coverage chart (巡察覆盖): a pie of covered / planned / uncovered units and the cumulative
// coverage per year of the term. Data comes from the element's data-chart attribute (CSP: no
// inline script). The chart's state is mirrored in data-rendered for tests.
(function () {
  "use strict";
  function draw(el) {
    if (!window.echarts) { return; }
    var data = JSON.parse(el.getAttribute("data-chart"));
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      grid: { left: "55%", right: 10, top: 20, bottom: 50, containLabel: true },
      xAxis: { type: "category", data: data.years, gridIndex: 0 },
      yAxis: { type: "value", max: data.total || null, minInterval: 1 },
      series: [
        { type: "pie", radius: ["25%", "45%"], center: ["25%", "45%"],
          data: [
            { name: data.labels.covered, value: data.parts[0] },
            { name: data.labels.planned, value: data.parts[1] },
            { name: data.labels.uncovered, value: data.parts[2] }
          ] },
        { type: "bar", name: data.labels.cumulative, data: data.cumulative }
      ]
    });
    el.setAttribute("data-rendered", String(data.parts[0]));
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.querySelectorAll("[data-chart]").forEach(draw);
})();
