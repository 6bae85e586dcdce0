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
