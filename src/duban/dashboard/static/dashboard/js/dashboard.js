/* The dashboard's charts (Apache ECharts, canvas renderer: the SVG one writes style attributes, which the CSP refuses). Each [data-chart] element names its
 * dataset and the JSON endpoint (data-src); every bar, point and number links to the list behind
 * it (the endpoint sends the URLs). On the 大屏 page (body[data-refresh]) everything is fetched
 * again every N seconds. No inline script or style: CSP allows only 'self'. */
(function () {
  "use strict";
  var charts = (window.dubanCharts = window.dubanCharts || {});
  var COLORS = { red: "#dc3545", yellow: "#ffc107", green: "#198754", grey: "#adb5bd" };
  var LIGHTS = ["red", "yellow", "green", "grey"];
  var dark = document.body.classList.contains("dash-screen");

  function go(url) {
    if (url) window.location.href = url;
  }

  function stacked(d) {
    return {
      option: {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: d.labels, inverse: true, axisLabel: { width: 96, overflow: "truncate" } },
        series: LIGHTS.map(function (light) {
          return { id: light, name: d.names[light], type: "bar", stack: "lights", data: d.series[light],
                   itemStyle: { color: COLORS[light] }, cursor: "pointer" };
        }),
      },
      link: function (p) { return d.links[p.seriesId] && d.links[p.seriesId][p.dataIndex]; },
    };
  }

  var builders = {
    units: stacked,
    categories: stacked,
    completion: function (d) {
      return {
        option: {
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
          xAxis: { type: "category", data: d.labels },
          yAxis: { type: "value", minInterval: 1 },
          series: ["total", "done"].map(function (key) {
            return { id: key, name: d.names[key], type: key === "total" ? "bar" : "line", data: d.series[key],
                     symbolSize: 10, itemStyle: { color: key === "total" ? "#6c8ebf" : "#198754" } };
          }),
        },
        link: function (p) { return d.links[p.seriesId] && d.links[p.seriesId][p.dataIndex]; },
      };
    },
    ranking: function (d) {
      return {
        option: {
          title: { text: d.title || "", textStyle: { fontSize: 12 } },
          tooltip: { trigger: "item", formatter: function (p) {
            return p.name + ":" + p.value + "(" + d.ranks[p.dataIndex] + (d.tied[p.dataIndex] ? " 并列" : "") + "," + d.grades[p.dataIndex] + ")";
          } },
          grid: { left: 8, right: 40, top: 28, bottom: 8, containLabel: true },
          xAxis: { type: "value", max: 100 },
          yAxis: { type: "category", inverse: true, axisLabel: { width: 96, overflow: "truncate" },
                   data: d.labels.map(function (name, i) { return d.ranks[i] + ". " + name; }) },
          series: [{ id: "total", type: "bar", data: d.values, label: { show: true, position: "right" },
                     itemStyle: { color: "#0d6efd" } }],
        },
        link: function (p) { return d.links[p.dataIndex]; },
      };
    },
    commitments: function (d) {
      var horizons = [];
      d.items.forEach(function (c) { if (horizons.indexOf(c.horizon) < 0) horizons.push(c.horizon); });
      return {
        option: {
          tooltip: { trigger: "item", formatter: function (p) {
            var c = d.items[p.dataIndex];
            return c.title + "<br>" + c.due + " · " + c.done + "/" + c.total;
          } },
          grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
          xAxis: { type: "time" },
          yAxis: { type: "category", data: horizons },
          series: [{ id: "items", type: "scatter", symbolSize: 18,
                     data: d.items.map(function (c) { return [c.due, c.horizon, c.done, c.total]; }),
                     label: { show: true, position: "right", formatter: function (p) {
                       var c = d.items[p.dataIndex]; return c.done + "/" + c.total;
                     } } }],
        },
        link: function (p) { return d.items[p.dataIndex] && d.items[p.dataIndex].url; },
      };
    },
  };

  function fillTable(name, d) {
    var table = document.querySelector('[data-table="' + name + '"] tbody');
    if (!table) return;
    table.textContent = "";
    d.labels.forEach(function (label, i) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      var a = document.createElement("a");
      a.href = d.totals[i].url;
      a.textContent = label;
      th.appendChild(a);
      tr.appendChild(th);
      LIGHTS.forEach(function (light) {
        var td = document.createElement("td");
        var link = document.createElement("a");
        link.href = d.links[light][i];
        link.textContent = d.series[light][i];
        link.dataset.light = light;
        td.appendChild(link);
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
  }

  function load(el) {
    var name = el.dataset.chart;
    return fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var built = builders[name](d);
        // No entry animation: a bar is where it will stay the moment it is drawn (and clickable).
        built.option.animation = false;
        var chart = charts[name] || (charts[name] = echarts.init(el, dark ? "dark" : null, { renderer: "canvas" }));
        chart.setOption(built.option, true);
        chart.off("click");
        chart.on("click", function (p) { go(built.link(p)); });
        if (name === "units") fillTable(name, d);
        el.dataset.loaded = "1";
      });
  }

  function refreshOverview() {
    var overview = document.querySelector("[data-overview]");
    if (!overview) return Promise.resolve();
    var src = document.querySelector('[data-chart="units"]').dataset.src.replace("units.json", "overview.json");
    return fetch(src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      document.querySelectorAll("[data-overview]").forEach(function (a) {
        var item = d[a.dataset.overview];
        if (!item) return;
        a.href = item.url;
        a.querySelector(".dash-value").textContent = item.value;
      });
    });
  }

  function loadAll() {
    var jobs = Array.prototype.map.call(document.querySelectorAll("[data-chart]"), load);
    return Promise.all(jobs);
  }

  loadAll();
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
  var refresh = parseInt(document.body.dataset.refresh || "0", 10);
  if (refresh > 0) {
    window.setInterval(function () {
      refreshOverview().then(loadAll).then(function () {
        var stamp = document.querySelector("[data-updated]");
        if (stamp) stamp.dataset.at = new Date().toISOString();
      });
    }, refresh * 1000);
  }
  var full = document.querySelector("[data-fullscreen]");
  if (full) {
    full.addEventListener("click", function () {
      if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
    });
  }
})();
