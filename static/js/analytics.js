// Charts of the cancellation analytics (Chart.js, vendored): the data is the page's JSON, and every
// chart has its table beside it, so nothing is lost without JavaScript.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    var source = document.getElementById("analytics-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var weeks = document.getElementById("chart-weeks");
    if (weeks && data.weeks.length) {
      new window.Chart(weeks, {
        type: "bar",
        data: { labels: data.weeks, datasets: data.series },
        options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
      });
    }
    function grouped(id, source, stacked) {
      var canvas = document.getElementById(id);
      if (!canvas || !source || !source.labels.length) { return; }
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: source.labels, datasets: source.series },
        options: { animation: false, responsive: true, scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true, ticks: stacked ? { precision: 0 } : {} } } }
      });
    }
    grouped("chart-queues", data.queues, true);
    grouped("chart-hours", data.hours, false);
    document.querySelectorAll("canvas[data-pairs]").forEach(function (canvas) {
      var pairs = data[canvas.dataset.pairs];
      var total = pairs ? pairs.data.reduce(function (a, b) { return a + b; }, 0) : 0;
      if (!total) { canvas.parentNode.hidden = true; return; }
      new window.Chart(canvas, {
        type: "doughnut",
        data: { labels: pairs.labels, datasets: [{ data: pairs.data }] },
        options: { animation: false, responsive: true, aspectRatio: 2, plugins: { legend: { position: "right" } } }
      });
    });
    document.querySelectorAll("canvas[data-table]").forEach(function (canvas) {
      var table = data.tables[canvas.dataset.table];
      if (!table || !table.data.length) { return; }
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: table.labels, datasets: [{ label: canvas.getAttribute("aria-label"), data: table.data }] },
        options: { animation: false, indexAxis: "y", responsive: true, aspectRatio: 3, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
    });
  });
})();
