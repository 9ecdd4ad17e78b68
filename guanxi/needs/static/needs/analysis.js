/* Charts of the needs analysis page, drawn from the JSON the page embeds (the same figures as
   its tables). */
(function () {
  "use strict";
  function read(id) { return JSON.parse(document.getElementById(id).textContent); }
  if (!window.echarts) { return; }
  var categories = read("needs-categories").map(function (c) { return c.label; });
  var charts = [];
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }
  var byCategory = read("needs-by-category");
  draw("chart-category", {
    tooltip: {}, grid: { containLabel: true, left: 8, right: 8, top: 16, bottom: 8 },
    xAxis: { type: "category", data: byCategory.map(function (r) { return r.label; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", barMaxWidth: 48, data: byCategory.map(function (r) { return r.count; }) }]
  });
  function stacked(rows, labelKey) {
    return {
      tooltip: { trigger: "axis" }, legend: { data: categories, type: "scroll", top: 0, left: "center" },
      grid: { containLabel: true, left: 8, right: 8, top: 40, bottom: 8 },
      xAxis: { type: "category", data: rows.map(function (r) { return r[labelKey]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: categories.map(function (name, i) {
        return { name: name, type: "bar", stack: "all", barMaxWidth: 48, data: rows.map(function (r) { return r.counts[i]; }) };
      })
    };
  }
  draw("chart-segment", stacked(read("needs-by-segment"), "label"));
  draw("chart-month", stacked(read("needs-by-month"), "month"));
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
