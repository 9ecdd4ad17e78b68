// The results chart: CSAT average (left axis, 1–5) as bars, % satisfied and NPS (right axis)
// as lines. The same figures are in the table below the chart.
(function () {
  "use strict";
  const node = document.getElementById("survey-chart");
  const source = document.getElementById("survey-chart-data");
  if (!node || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const chart = window.echarts.init(node);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, bottom: 30, top: 40, containLabel: true },
    xAxis: { type: "category", data: data.labels },
    yAxis: [
      { type: "value", min: 0, max: 5, name: "CSAT" },
      { type: "value", min: -100, max: 100, name: "%" },
    ],
    series: [
      { name: data.names.csat, type: "bar", data: data.csat },
      { name: data.names.satisfied, type: "line", yAxisIndex: 1, data: data.satisfied },
      { name: data.names.nps, type: "line", yAxisIndex: 1, data: data.nps },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
