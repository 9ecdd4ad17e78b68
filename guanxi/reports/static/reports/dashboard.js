/* Guanxi dashboard: draws each chart of #dashboard-data with ECharts; a click on a bar, a
   slice or a point opens the customers behind it (the chart's links, one per category, or its
   point_links, one list per series). Written for this project. */
(function () {
  "use strict";

  function option(chart) {
    var series = chart.series || [];
    if (chart.kind === "pie") {
      return {
        tooltip: { trigger: "item" },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          type: "pie", radius: ["35%", "65%"],
          data: chart.categories.map(function (c, i) { return { name: c, value: series[0].data[i] }; })
        }]
      };
    }
    if (chart.kind === "heatmap") {
      var max = 0;
      (series[0] ? series[0].data : []).forEach(function (d) { if (d[0] > 0 && d[2] > max) { max = d[2]; } });
      return {
        tooltip: { formatter: function (p) { return p.value[2] + "%"; } },
        grid: { left: 70, right: 10, top: 10, bottom: 80 },
        xAxis: { type: "category", data: chart.categories, splitArea: { show: true } },
        yAxis: { type: "category", data: chart.y_categories || [], splitArea: { show: true } },
        visualMap: { min: 0, max: max || 100, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
        series: [{ type: "heatmap", data: series[0] ? series[0].data : [], label: { show: true, fontSize: 9 } }]
      };
    }
    if (chart.kind === "funnel") {
      return {
        tooltip: { trigger: "item" },
        series: [{
          type: "funnel",
          data: chart.categories.map(function (c, i) { return { name: c, value: series[0] ? series[0].data[i] : 0 }; })
        }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 50, right: 10, top: 30, bottom: 40, containLabel: true },
      // Bars name a category each: every label is shown (slanted when there are many); the
      // months of a line may skip some.
      xAxis: {
        type: "category", data: chart.categories,
        axisLabel: chart.kind === "line" ? { hideOverlap: true }
          : { interval: 0, rotate: chart.categories.length > 5 ? 30 : 0 }
      },
      yAxis: chart.second_axis ? [{ type: "value" }, { type: "value" }] : { type: "value" },
      series: series.map(function (s, i) {
        return {
          name: s.name, type: chart.kind === "line" ? "line" : "bar", data: s.data,
          yAxisIndex: chart.second_axis && i > 0 ? 1 : 0
        };
      })
    };
  }

  function draw() {
    var node = document.getElementById("dashboard-data");
    if (!node || !window.echarts) { return; }
    var charts = JSON.parse(node.textContent);
    var drawn = [];
    charts.forEach(function (chart) {
      var el = document.querySelector('[data-chart="' + chart.key + '"]');
      if (!el) { return; }
      var instance = window.echarts.init(el);
      instance.setOption(option(chart));
      instance.on("click", function (params) {
        var link = (chart.links || [])[params.dataIndex];
        var points = (chart.point_links || [])[params.seriesIndex];
        if (!link && points) { link = points[params.dataIndex]; }
        if (link) { window.location.href = link; }
      });
      drawn.push(instance);
    });
    window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
