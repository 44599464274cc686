// A pilot's funnel drawn by the vendored Chart.js from the counts the page embeds; the table of
// bars under it stays the figure of record (and what is shown without scripts).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("pilot-funnel");
  const source = document.getElementById("pilot-funnel-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ data: data.counts, backgroundColor: "#2f6fdf" }],
    },
    options: {
      indexAxis: "y",
      animation: false,
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
});
