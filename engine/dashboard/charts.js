// Hand-written SVG charts: lines and bars, nothing else, so the page needs no library.
// Every drawn series keeps its data on the element (data-values, data-label) so a test, or a
// curious operator, can read back exactly what is plotted.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2f6fdf", "#d9822b", "#2a9d6f", "#b3261e", "#7b4fd6", "#5f6b7a", "#c2185b"];
  const H = 240, PAD = { l: 48, r: 16, t: 14, b: 28 };
  let W = 640;  // set per chart to the container's width, so text is drawn at its real size

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function frame(container) {
    W = Math.max(320, Math.round(container.clientWidth || 640));
    container.replaceChildren();
    return el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" }, container);
  }

  function empty(container, text) {
    const svg = frame(container);
    const t = el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, svg);
    t.textContent = text;
  }

  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (a !== 0 && (a < 0.01 || a >= 1e5)) return v.toExponential(1);
    return (Math.round(v * 1000) / 1000).toString();
  }

  function ticks(lo, hi, n) {
    if (hi === lo) return [lo];
    return Array.from({ length: n + 1 }, (_, i) => lo + (i * (hi - lo)) / n);
  }

  function legend(container, labels) {
    const div = document.createElement("div");
    div.className = "legend";
    labels.forEach((label, i) => {
      const span = document.createElement("span");
      const sw = document.createElement("i");
      sw.style.background = PALETTE[i % PALETTE.length];
      span.append(sw, label);
      div.appendChild(span);
    });
    container.appendChild(div);
  }

  // series: [{label, x: [...], y: [...], lo?: [...], hi?: [...]}]; y may hold null for gaps;
  // lo/hi, when given, are drawn as a translucent band (a confidence interval).
  function lines(container, series, opts = {}) {
    const drawn = series.filter((s) => s.y.some((v) => v !== null));
    if (!drawn.length) return empty(container, opts.emptyText || "no data yet");
    const xs = drawn.flatMap((s) => s.x);
    const ys = drawn.flatMap((s) => [...s.y, ...(s.lo || []), ...(s.hi || [])])
      .filter((v) => v !== null && v !== undefined && Number.isFinite(v));
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) y1 = y0 + 1;
    const sx = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
    const sy = (y) => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
    const svg = frame(container);
    for (const v of ticks(y0, y1, 4)) {
      el("line", { x1: PAD.l, x2: W - PAD.r, y1: sy(v), y2: sy(v), class: "axis" }, svg);
      el("text", { x: PAD.l - 6, y: sy(v) + 4, "text-anchor": "end" }, svg).textContent = fmt(v);
    }
    for (const v of ticks(x0, x1, 4)) {
      const t = el("text", { x: sx(v), y: H - 8, "text-anchor": "middle" }, svg);
      t.textContent = opts.xFormat ? opts.xFormat(v) : fmt(v);
    }
    series.forEach((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      if (s.lo && s.hi) {
        const idx = s.x.map((_, j) => j).filter((j) => Number.isFinite(s.lo[j])
                                                 && Number.isFinite(s.hi[j]));
        if (idx.length > 1) {
          const pts = [...idx.map((j) => `${sx(s.x[j]).toFixed(1)},${sy(s.hi[j]).toFixed(1)}`),
                       ...idx.reverse().map((j) => `${sx(s.x[j]).toFixed(1)},${sy(s.lo[j]).toFixed(1)}`)];
          el("polygon", { points: pts.join(" "), fill: color, "fill-opacity": 0.15,
                          class: "band", "data-label": s.label }, svg);
        }
      }
      let d = "", pen = false;
      s.y.forEach((v, j) => {
        if (v === null) { pen = false; return; }
        d += `${pen ? "L" : "M"}${sx(s.x[j]).toFixed(1)},${sy(v).toFixed(1)}`;
        pen = true;
      });
      el("path", { d: d || "M0,0", fill: "none", stroke: color,
                   "stroke-width": 2, class: "series", "data-label": s.label,
                   "data-values": JSON.stringify(s.y), "data-x": JSON.stringify(s.x) }, svg);
      // Dots where there are few points: a single bucket is otherwise an invisible line.
      if (s.y.length <= 60) {
        s.y.forEach((v, j) => v !== null && el("circle", {
          cx: sx(s.x[j]), cy: sy(v), r: 3, fill: color }, svg));
      }
    });
    legend(container, series.map((s) => s.label));
  }

  // bars: [{label, value, lo?, hi?}]; whiskers drawn where lo/hi are given.
  function bars(container, items, opts = {}) {
    if (!items.length) return empty(container, opts.emptyText || "no data yet");
    const vals = items.flatMap((b) => [b.value, b.lo ?? b.value, b.hi ?? b.value]);
    const y0 = Math.min(0, ...vals), y1 = Math.max(...vals) === y0 ? y0 + 1 : Math.max(...vals);
    const sy = (y) => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
    const svg = frame(container);
    for (const v of ticks(y0, y1, 4)) {
      el("line", { x1: PAD.l, x2: W - PAD.r, y1: sy(v), y2: sy(v), class: "axis" }, svg);
      el("text", { x: PAD.l - 6, y: sy(v) + 4, "text-anchor": "end" }, svg).textContent = fmt(v);
    }
    const slot = (W - PAD.l - PAD.r) / items.length, bw = Math.min(60, slot * 0.6);
    items.forEach((b, i) => {
      const cx = PAD.l + slot * (i + 0.5), top = sy(Math.max(b.value, 0)), base = sy(Math.min(b.value, 0));
      el("rect", { x: cx - bw / 2, y: top, width: bw, height: Math.max(base - top, 0.5),
                   fill: PALETTE[((opts.colorOffset || 0) + (opts.oneColor ? 0 : i)) % PALETTE.length],
                   class: "bar", "data-label": b.label, "data-value": String(b.value) }, svg);
      if (b.lo !== undefined && b.hi !== undefined && b.lo !== null && b.hi !== null) {
        el("line", { x1: cx, x2: cx, y1: sy(b.lo), y2: sy(b.hi), stroke: "#1d2430",
                     "stroke-width": 1.5, class: "whisker" }, svg);
      }
      const name = el("text", { x: cx, y: H - 8, "text-anchor": "middle" }, svg);
      const room = Math.max(4, Math.floor(slot / 6.5));  // ~6.5 px per character at 11 px
      name.textContent = b.label.length > room ? `${b.label.slice(0, room - 1)}…` : b.label;
      el("title", {}, name).textContent = b.label;
      el("text", { x: cx, y: top - 4, "text-anchor": "middle" }, svg).textContent = fmt(b.value);
    });
  }

  return { lines, bars, empty, fmt };
})();
