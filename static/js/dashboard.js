// The dashboard's charts, drawn from the tables of their numbers: the page works
// without this file (the tables are the charts then). A table says what it is with
// data-chart (stacked-bar, hbar, doughnut, line) and data-canvas; its header cells
// name the series (data-series: the colour --chart-<key>, data-plot="false": table
// only); its cells carry unlocalised numbers in data-value; a row's data-key colours
// a doughnut slice. No inline code: the CSP forbids it.
(() => {
  "use strict";
  if (!window.Chart) return;

  const body = getComputedStyle(document.body);
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.font.family = body.fontFamily;
  Chart.defaults.color = body.getPropertyValue("--bs-secondary-color").trim() || "#6c757d";
  Chart.defaults.borderColor = body.getPropertyValue("--bs-border-color-translucent").trim() || "rgba(0,0,0,.1)";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = reduced ? false : { duration: 300 };
  Chart.defaults.locale = document.documentElement.lang || "en";
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  const colour = (element, key) =>
    getComputedStyle(element).getPropertyValue(`--chart-${key}`).trim() || "#6c757d";

  function read(table) {
    const heads = [...table.tHead.rows[0].cells].slice(1);
    const rows = [...table.tBodies[0].rows];
    return {
      labels: rows.map((row) => row.cells[0].textContent.trim()),
      keys: rows.map((row) => row.dataset.key || ""),
      series: heads
        .map((th, index) => ({
          key: th.dataset.series,
          label: th.textContent.trim(),
          plot: th.dataset.plot !== "false",
          data: rows.map((row) => Number(row.cells[index + 1].dataset.value || 0)),
        }))
        .filter((series) => series.plot),
    };
  }

  const counts = { beginAtZero: true, ticks: { precision: 0 } };
  // Day and hour labels stay level; Chart.js skips some when they do not fit.
  const categories = { ticks: { maxRotation: 0, autoSkipPadding: 12 } };

  function config(table) {
    const { labels, keys, series } = read(table);
    const kind = table.dataset.chart;
    if (kind === "doughnut") {
      return {
        type: "doughnut",
        data: {
          labels,
          datasets: [{
            label: series[0].label,
            data: series[0].data,
            backgroundColor: keys.map((key) => colour(table, key)),
          }],
        },
        options: {
          cutout: "55%",
          plugins: { legend: { position: window.innerWidth < 576 ? "bottom" : "right" } },
        },
      };
    }
    const datasets = series.map((one) => ({
      label: one.label,
      data: one.data,
      backgroundColor: colour(table, one.key),
      borderColor: colour(table, one.key),
    }));
    if (kind === "line") {
      for (const dataset of datasets) {
        dataset.tension = 0.25;
        dataset.pointRadius = labels.length > 45 ? 0 : 2;
      }
      return {
        type: "line",
        data: { labels, datasets },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: { x: categories, y: counts },
        },
      };
    }
    if (kind === "hbar") {
      return {
        type: "bar",
        data: { labels, datasets },
        options: { indexAxis: "y", scales: { x: counts } },
      };
    }
    return {
      type: "bar",
      data: { labels, datasets },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: { x: { ...categories, stacked: true }, y: { ...counts, stacked: true } },
      },
    };
  }

  for (const table of document.querySelectorAll("table[data-chart]")) {
    const canvas = document.getElementById(table.dataset.canvas);
    if (!canvas) continue;
    const box = canvas.parentElement;
    box.hidden = false;
    try {
      new Chart(canvas, config(table));
    } catch (error) {
      box.hidden = true; // the table stays open: the numbers are still there
      console.error(error);
      continue;
    }
    const details = table.closest("details");
    if (details) details.open = false;
  }
})();
