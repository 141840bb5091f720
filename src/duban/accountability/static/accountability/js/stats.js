// The 四种形态 shares chart of the accountability statistics page (data in data-chart; CSP: no inline
// script). Drawn on canvas without animation: the SVG renderer writes style attributes, which the CSP refuses.
(function () {
  "use strict";
  var el = document.getElementById("forms-chart");
  if (!el || !window.echarts) { return; }
  var spec = JSON.parse(el.getAttribute("data-chart") || "{}");
  el.classList.add("acc-chart-ready");
  var chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    legend: { bottom: 0, type: "scroll" },
    series: [{ name: spec.title || "", type: "pie", radius: ["35%", "65%"], avoidLabelOverlap: true,
               label: { formatter: "{b}\n{d}%" }, data: spec.data || [] }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
