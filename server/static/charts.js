// Line charts for time series on entity pages: each <canvas data-chart=ID> reads its data
// from the JSON block with that id ({title, labels, values}) and draws it with Chart.js.
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var data = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{ label: data.title, data: data.values, borderColor: "#1f6f8b",
                     backgroundColor: "rgba(31,111,139,0.15)", fill: true, tension: 0.15 }],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true } } },
    });
    canvas.dataset.drawn = "true";
  });
})();
