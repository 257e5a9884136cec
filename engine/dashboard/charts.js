// The dashboard's charts, drawn by Chart.js (vendored in vendor/, see vendor/VENDORED.md).
// Each chart is a <canvas>; Chart.getChart(canvas).data is exactly what it was given, which the
// browser test reads back. Axes use Chart.js's nice 1-2-5 ticks and fit their labels; every
// axis that carries a quantity has a title with its unit.
"use strict";

const Charts = (() => {
  // matplotlib's tab10, as in the experiment report: a policy has the same colour in both
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                   "#7f7f7f", "#bcbd22", "#17becf"];
  const MUTED = "#c4c9d0";
  const number = new Intl.NumberFormat("en", { maximumSignificantDigits: 3 });
  const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return Math.abs(v) >= 1000 ? integer.format(v) : number.format(v);
  }

  function color(i) { return PALETTE[i % PALETTE.length]; }

  // The canvas inside container (made once); a previous chart on it is replaced.
  function canvas(container) {
    let c = container.querySelector("canvas");
    if (!c) {
      container.replaceChildren();
      c = document.createElement("canvas");
      container.appendChild(c);
    }
    const old = Chart.getChart(c);
    if (old) old.destroy();
    return c;
  }

  function empty(container, text) {
    const old = container.querySelector("canvas");
    if (old && Chart.getChart(old)) Chart.getChart(old).destroy();
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = text;
    container.replaceChildren(p);
  }

  // A long category name on two lines, broken before its parenthesis ("best fixed action" /
  // "(winback20/email/evening)"), so the axis keeps its width.
  const wrap = (label) => (label.length > 18 && label.includes(" (")
    ? [label.slice(0, label.indexOf(" (")), label.slice(label.indexOf(" (") + 1)] : label);

  const axisTitle = (text) => ({ display: Boolean(text), text: text || "", color: "#5f6b7a" });

  function base(opts) {
    return {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { display: opts.legend !== false, labels: { boxWidth: 14 } },
                 tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt(c.parsed.y ?? c.parsed.x)}` } } },
    };
  }

  // series: [{label, x: [...], y: [...], dash?, color?, marker?}], y may hold null for gaps;
  // a series with dash is drawn dashed (a threshold, a change point), one with marker is left
  // out of the legend. opts: {xTitle, yTitle, xFormat, xStep, xMin, xMax, colors, emptyText}
  function lines(container, series, opts = {}) {
    if (!series.some((s) => s.y.some((v) => v !== null))) {
      return empty(container, opts.emptyText || "no data yet");
    }
    const cfg = base(opts);
    cfg.scales = {
      x: { type: "linear", title: axisTitle(opts.xTitle), min: opts.xMin, max: opts.xMax,
           ticks: { stepSize: opts.xStep, callback: (v) => (opts.xFormat || fmt)(v),
                    maxRotation: 0 } },
      y: { beginAtZero: true, title: axisTitle(opts.yTitle), ticks: { callback: fmt } },
    };
    cfg.plugins.legend.labels.filter = (item, data) => !data.datasets[item.datasetIndex].marker;
    return new Chart(canvas(container), {
      type: "line", options: cfg,
      data: { datasets: series.map((s, i) => {
        const c = s.color || (opts.colors || [])[i] || color(i);
        return {
          label: s.label, data: s.x.map((x, j) => ({ x, y: s.y[j] })), borderColor: c,
          backgroundColor: c, borderDash: s.dash || [], marker: Boolean(s.marker),
          pointRadius: s.dash || s.y.length > 60 ? 0 : 3, spanGaps: false,
          borderWidth: s.dash ? 1.5 : 2 };
      }) },
    });
  }

  // items: [{label, value}] as horizontal bars (long names fit on the left); counts by default.
  function bars(container, items, opts = {}) {
    if (!items.length) return empty(container, opts.emptyText || "no data yet");
    const cfg = base({ ...opts, legend: false });
    cfg.indexAxis = "y";
    cfg.scales = {
      x: { beginAtZero: true, title: axisTitle(opts.valueTitle),
           ticks: { precision: opts.integer === false ? undefined : 0, callback: fmt } },
      y: { ticks: { autoSkip: false } },
    };
    return new Chart(canvas(container), {
      type: "bar", options: cfg,
      data: { labels: items.map((b) => b.label),
              datasets: [{ label: opts.label || "decisions", data: items.map((b) => b.value),
                           backgroundColor: opts.color || color(0) }] },
    });
  }

  // items: [{label, value, lo, hi, muted}]: a bar per estimate and its 95% interval over it;
  // muted items (too little evidence) are drawn grey.
  function intervals(container, items, opts = {}) {
    if (!items.length) return empty(container, opts.emptyText || "no data yet");
    const cfg = base({ ...opts, legend: false });
    cfg.indexAxis = "y";
    cfg.scales = {
      x: { beginAtZero: true, title: axisTitle(opts.valueTitle), ticks: { callback: fmt } },
      y: { ticks: { autoSkip: false } },
    };
    return new Chart(canvas(container), {
      type: "bar", options: cfg,
      data: { labels: items.map((b) => wrap(b.label)), datasets: [
        { label: "estimate", data: items.map((b) => b.value), grouped: false,
          backgroundColor: items.map((b, i) => (b.muted ? MUTED : color(i))) },
        { label: "95% CI", data: items.map((b) => (b.lo === null || b.hi === null ? null : [b.lo, b.hi])),
          grouped: false, barPercentage: 0.18, backgroundColor: "#1d2430" },
      ] },
    });
  }

  // One scenario's regret curves (small multiple): a line per policy, and right of the last
  // decision each policy's 95% interval at the end of the run as a short vertical bar.
  // curves: [{policy, steps, regret, lo, hi}], colors: {policy: color}.
  function regret(container, curves, colors, opts = {}) {
    const last = Math.max(...curves.map((c) => c.steps[c.steps.length - 1]));
    const gap = (last || 1) * 0.035;
    const datasets = curves.map((c) => ({
      label: c.policy, data: c.steps.map((x, j) => ({ x, y: c.regret[j] })), borderWidth: 2,
      borderColor: colors[c.policy], backgroundColor: colors[c.policy], pointRadius: 0 }));
    curves.forEach((c, i) => {
      const j = c.steps.length - 1;
      if (c.lo[j] === null || c.hi[j] === null) return;
      const x = last + gap * (i + 1.5);
      datasets.push({ label: `${c.policy}: 95% CI at the end`, interval: true,
                      data: [{ x, y: Math.max(c.lo[j], 0) }, { x, y: c.hi[j] }],
                      borderColor: colors[c.policy], borderWidth: 3, pointRadius: 0 });
    });
    const cfg = base({ legend: false });
    cfg.plugins.title = { display: true, text: opts.title || "", align: "start" };
    cfg.scales = {
      x: { type: "linear", min: 0, max: last + gap * (curves.length + 2),
           title: axisTitle("decisions so far"),
           afterBuildTicks: (axis) => { axis.ticks = axis.ticks.filter((t) => t.value <= last); },
           ticks: { callback: fmt, maxRotation: 0 } },
      y: { title: axisTitle(opts.yTitle), ticks: { callback: fmt } },
    };
    return new Chart(canvas(container), { type: "line", options: cfg, data: { datasets } });
  }

  return { bars, color, empty, fmt, intervals, lines, regret };
})();
