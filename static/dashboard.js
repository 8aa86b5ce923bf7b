// Draws the group's trend charts with uPlot from the data attributes the
// server rendered. The numbers are only plotted; every figure the user
// reads comes from the server-rendered tables, in exact decimals.
(function () {
  "use strict";
  function draw(el) {
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-series"));
    } catch (e) {
      return;
    }
    var xs = data.months.map(function (m) {
      var p = m.split("-");
      return Date.UTC(+p[0], +p[1] - 1, 15) / 1000;
    });
    var series = [{}];
    var columns = [xs];
    var colours = ["#1f5f8b", "#b5651d", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#5d4037"];
    data.series.forEach(function (s, i) {
      series.push({
        label: s.name,
        stroke: colours[i % colours.length],
        width: s.bold ? 3 : 1.5,
        value: function (u, v) {
          return v == null ? "-" : v.toLocaleString(undefined, { maximumFractionDigits: 0 });
        },
      });
      columns.push(s.values.map(function (v) { return v === null ? null : Number(v); }));
    });
    var width = Math.max(320, el.clientWidth || 600);
    var plot = new uPlot(
      {
        width: width,
        height: 220,
        series: series,
        axes: [{}, { size: 90, values: function (u, vals) {
          return vals.map(function (v) { return v.toLocaleString(); });
        } }],
      },
      columns,
      el
    );
    plots.push({ el: el, plot: plot });
  }
  var plots = [];
  // Choosing the KPIs' period shows it at once (Go is for pages without
  // JavaScript).
  var picker = document.querySelector("#kpi-period select[name=period]");
  if (picker) {
    picker.addEventListener("change", function () {
      picker.form.submit();
    });
  }
  document.querySelectorAll("[data-series]").forEach(draw);
  // Follow the window (a tablet turned, a sidebar opened), once it settles.
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      plots.forEach(function (p) {
        p.plot.setSize({ width: Math.max(320, p.el.clientWidth || 600), height: 220 });
      });
    }, 150);
  });
})();
