// The month's daily chart, drawn by the vendored Chart.js from the figures the page embeds as
// JSON (no inline script: the content security policy forbids it).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("e-daily");
  const source = document.getElementById("e-daily-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const lang = document.documentElement.lang || "en";
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: data.names.conversations, data: data.conversations,
          backgroundColor: "#9db4ee", yAxisID: "y", order: 1 },
        { type: "line", label: data.names.earned, data: data.earned, borderColor: "#146c2e",
          backgroundColor: "#146c2e", yAxisID: "money", tension: 0, order: 0 },
      ],
    },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: {
        y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
        money: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                 ticks: { callback: (v) => new Intl.NumberFormat(lang).format(v) } },
      },
    },
  });
});
