// Fetches the /v1/dashboard API and draws it; refreshes itself every data-refresh-ms.
// The token comes from the page's fragment (/dashboard#token=...), which browsers never send to
// the server or write to its logs, and is kept in sessionStorage for reloads.
"use strict";

(() => {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) sessionStorage.setItem("offerbandit-token", fromHash);
  const token = sessionStorage.getItem("offerbandit-token");
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const $ = (id) => document.getElementById(id);
  const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);
  const ms = (v) => (v === null || v === undefined ? "–" : `${(1000 * v).toFixed(1)} ms`);

  async function getJSON(path) {
    const r = await fetch(path, { headers, cache: "no-store" });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  }

  function drawSummary(s) {
    const total = s.decisions.treatment + s.decisions.holdout;
    $("tile-decisions").textContent = total.toLocaleString("en");
    $("tile-decisions-split").textContent =
      `treatment ${s.decisions.treatment} · holdout ${s.decisions.holdout} · ` +
      `rewarded ${s.rewarded_decisions} (${s.default_rewards} by default)`;
    const lift = s.lift;
    $("tile-lift").textContent = lift.difference === null ? "–"
      : `${lift.difference >= 0 ? "+" : ""}${Charts.fmt(lift.difference)}`;
    $("tile-lift-ci").textContent = lift.difference === null ? "needs rewards in both groups"
      : `95% CI [${Charts.fmt(lift.lo)}, ${Charts.fmt(lift.hi)}] · relative ${pct(lift.relative)}`;
    $("tile-exploration").textContent = pct(s.exploration_rate);
    $("tile-latency").textContent = `${ms(s.latency.p50)} / ${ms(s.latency.p99)}`;
    const mix = (m) => Object.entries(m).map(([label, value]) => ({ label, value }));
    Charts.bars($("chart-mix-channel"), mix(s.action_mix.channel), { oneColor: true });
    Charts.bars($("chart-mix-timing"), mix(s.action_mix.timing), { oneColor: true, colorOffset: 1 });
  }

  function drawRewardRate(r) {
    const clock = (t) => new Date(t * 1000).toISOString().slice(11, 16);
    Charts.lines($("chart-reward-rate"), ["treatment", "holdout"].map((g) => ({
      label: g, x: r[g].map((b) => b.t), y: r[g].map((b) => b.rate),
    })), { xFormat: clock, emptyText: "no rewarded decisions yet" });
  }

  function drawAlternatives(a) {
    if (!a.available) {
      Charts.empty($("chart-alternatives"), a.reason || "not available");
      $("alternatives-note").textContent = "";
      return;
    }
    Charts.bars($("chart-alternatives"), a.estimates.map((e) => ({
      label: e.name, value: e.value, lo: e.lo, hi: e.hi })));
    $("alternatives-note").textContent = a.estimates.filter((e) => e.regret !== null)
      .map((e) => `regret vs ${e.name}: ${Charts.fmt(e.regret)}`).join(" · ") +
      ` (${a.estimator}, ${a.n} logged decisions)`;
  }

  function drawExperiment(x) {
    $("experiment-panel").hidden = !x.available;
    if (!x.available) return;
    $("experiment-name").textContent = x.name;
    $("experiment-metric").textContent = x.metric || "";
    Charts.lines($("chart-experiment"), x.curves.map((c) => ({
      label: c.label, x: c.steps, y: c.regret, lo: c.lo, hi: c.hi })));
  }

  async function refresh() {
    try {
      const [summary, rate, alts, exp] = await Promise.all([
        getJSON("/v1/dashboard/summary"), getJSON("/v1/dashboard/reward-rate"),
        getJSON("/v1/dashboard/alternatives"), getJSON("/v1/dashboard/experiment")]);
      drawSummary(summary);
      drawRewardRate(rate);
      drawAlternatives(alts);
      drawExperiment(exp);
      $("status").textContent = `updated ${new Date().toLocaleTimeString("en-GB")}`;
      $("status").className = "status";
      document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
    } catch (err) {
      $("status").textContent = `${err.message}${token ? "" : " (open /dashboard#token=...)"}`;
      $("status").className = "status error";
      console.error(err);
    }
  }

  refresh();
  setInterval(refresh, Number(document.body.dataset.refreshMs) || 5000);
})();
