/* The dashboards' charts, drawn with the vendored ECharts.
 *
 * A page puts its figures in <script type="application/json" id="…"> (Django's json_script) and
 * marks each chart's box with data-chart (the kind) and data-source (the id of that script);
 * labels come from data-label-* attributes so they are translated with the page. Percentages
 * arrive as strings with two decimals and are drawn as they are: the chart shows the figures of
 * the tables beside it, not figures of its own.
 */
(function () {
  "use strict";

  var RED = "#8b1a1a";
  var GOLD = "#d4a017";
  var GREY = "#6c757d";

  function data(box) {
    var source = document.getElementById(box.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }

  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  function curve(box, all) {
    var series = all[box.dataset.series] || { actual: [], plan: [] };
    var actual = series.actual.slice();
    // Nothing had reached the stage before its first day: the curve rises from 0 % at the start
    // of the plan.
    if (actual.length && series.plan.length && series.plan[0][0] < actual[0][0]) {
      actual.unshift([series.plan[0][0], "0.00"]);
    }
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      legend: { data: [box.dataset.labelActual, box.dataset.labelPlan] },
      grid: { left: 48, right: 24, top: 36, bottom: 36 },
      xAxis: { type: "time" },
      yAxis: percentAxis(),
      series: [
        { name: box.dataset.labelActual, type: "line", step: "end", symbolSize: 5,
          data: actual, lineStyle: { color: RED }, itemStyle: { color: RED } },
        { name: box.dataset.labelPlan, type: "line", data: series.plan,
          lineStyle: { type: "dashed", color: GREY }, itemStyle: { color: GREY } }
      ]
    };
  }

  function rates(box, all) {
    var r = all.rates || { names: [], signed: [], demolished: [] };
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      legend: { data: [box.dataset.labelSigned, box.dataset.labelDemolished] },
      grid: { left: 48, right: 24, top: 36, bottom: 48 },
      xAxis: { type: "category", data: r.names, axisLabel: { interval: 0, rotate: r.names.length > 8 ? 30 : 0 } },
      yAxis: percentAxis(),
      series: [
        { name: box.dataset.labelSigned, type: "bar", barMaxWidth: 48, data: r.signed, itemStyle: { color: RED } },
        { name: box.dataset.labelDemolished, type: "bar", barMaxWidth: 48, data: r.demolished, itemStyle: { color: GOLD } }
      ]
    };
  }

  function modes(box, all) {
    return {
      tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + p.value + " (" + p.data.share + "%)"; } },
      color: [RED, GOLD, GREY],
      series: [{ type: "pie", radius: ["35%", "65%"], data: all.modes || [],
                 label: { formatter: function (p) { return p.name + " " + p.data.share + "%"; } } }]
    };
  }

  var KINDS = { curve: curve, rates: rates, modes: modes };

  function draw() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var all = data(box);
      var make = KINDS[box.dataset.chart];
      if (!all || !make) { return; }
      var chart = echarts.init(box, null, { renderer: "svg" });
      chart.setOption(make(box, all));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
