// Fetches the /v1/dashboard API and draws it; refreshes itself every data-refresh-ms.
// The token comes from the page's fragment (/dashboard#token=...), which browsers never send to
// the server or write to its logs, and is kept in sessionStorage for reloads.
// Every card says its scope and time ("last 7 days, as of 07:04:05"); rewards are shown per
// 1,000 decisions, so small rates read as plain numbers.
"use strict";

(() => {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) sessionStorage.setItem("offerbandit-token", fromHash);
  const token = sessionStorage.getItem("offerbandit-token");
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const $ = (id) => document.getElementById(id);
  const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);
  const ms = (v) => (v === null || v === undefined ? "–" : `${(1000 * v).toFixed(1)} ms`);
  const per1000 = (v) => (v === null || v === undefined ? null : 1000 * v);
  const signed = (v) => (v === null ? "–" : `${v >= 0 ? "+" : ""}${Charts.fmt(v)}`);
  const clock = (t, seconds) => new Date(t * 1000).toLocaleTimeString("en-GB",
    seconds ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
      : { hour: "2-digit", minute: "2-digit" });
  const asOf = (t) => `as of ${clock(t, true)}`;
  // clock-aligned tick steps (seconds) for the time axis
  const STEPS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
                 172800, 604800];

  async function getJSON(path) {
    const r = await fetch(path, { headers, cache: "no-store" });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  }

  function scope(id, text, t) { $(id).textContent = `${text} · ${asOf(t)}`; }

  function drawSummary(s) {
    const total = s.decisions.treatment + s.decisions.holdout;
    $("tile-decisions").textContent = total.toLocaleString("en");
    $("tile-decisions-split").textContent =
      `treatment ${s.decisions.treatment.toLocaleString("en")} · holdout ` +
      `${s.decisions.holdout.toLocaleString("en")} · rewarded ` +
      `${s.rewarded_decisions.toLocaleString("en")} (${s.default_rewards} by default)`;
    const lift = s.lift;
    $("tile-lift").textContent = lift.difference === null ? "–" : signed(per1000(lift.difference));
    $("tile-lift-ci").textContent = lift.verdict.text;
    $("tile-lift-ci").dataset.word = lift.verdict.word || "";
    $("tile-exploration").textContent = pct(s.exploration_rate);
    $("tile-latency").textContent = `${ms(s.latency.p50)} / ${ms(s.latency.p99)}`;
    for (const [id, key] of [["scope-decisions", "decisions"], ["scope-lift", "lift"],
                             ["scope-exploration", "exploration"], ["scope-latency", "latency"],
                             ["scope-mix", "action_mix"]]) {
      scope(id, s.scope[key], s.as_of);
    }
    drawLearners(s.learners, s.scope.learners, s.as_of);
    const mix = (m) => Object.entries(m).map(([label, value]) => ({ label, value }));
    for (const [axis, i] of [["message", 0], ["channel", 1], ["timing", 2]]) {
      Charts.bars($(`chart-mix-${axis}`), mix(s.action_mix[axis] || {}),
                  { color: Charts.color(i), valueTitle: "decisions",
                    emptyText: "no treatment decisions in the window" });
    }
  }

  const ESTIMATE_NAMES = { dr: "doubly robust", dr_cv: "control-variate doubly robust",
                           ips: "inverse propensity" };

  function learnerLabel(name, c) {
    const part = c.share != null && c.share > 0 && c.share < 1
      ? `, ${Math.round(100 * c.share)} % of decisions` : "";
    if (c.serving) return `${name} (serving${part})`;
    return c.on_trial ? `${name} (on trial${part})` : name;
  }

  function drawLearners(l, where, asOf) {
    scope("scope-learners", `${where}; serving: ${l.serving || "–"}`, asOf);
    // the estimate the switch rule reads: on many actions DR's interval can be far wider
    // than the rule's own (docs/engine.md, "DR's reward model on many actions")
    const est = l.estimator || "dr";
    const rows = Object.entries(l.candidates || {}).filter(([, c]) => c[est] != null);
    if (!rows.length) {
      Charts.empty($("chart-learners"), "no reward learned yet");
    } else {
      Charts.intervals($("chart-learners"), rows.map(([name, c]) => ({
        // a challenger on trial serves its share of decisions (selection.trial_share, which
        // grows up to trial_share_max with the evidence): shown beside each name that has one
        label: learnerLabel(name, c),
        value: per1000(c[est]),
        lo: per1000(c[`${est}_low`]), hi: per1000(c[`${est}_high`]), muted: !c.serving })),
        { valueTitle: `estimated reward per 1,000 decisions (${ESTIMATE_NAMES[est] || est}, ` +
                      "95% CI)" });
    }
    const list = $("learner-switches");
    list.replaceChildren();
    for (const sw of l.switches || []) {
      const li = document.createElement("li");
      li.textContent = `${clock(sw.at, false)}: ${sw.from} → ${sw.to} (reward #${sw.seq}; ` +
        `${sw.evidence.rule || "evidence in the log"})`;
      list.append(li);
    }
    if (!list.children.length) {
      const li = document.createElement("li");
      li.textContent = "no switch yet: the first candidate has served throughout";
      list.append(li);
    }
  }

  function drawRewardRate(r) {
    scope("scope-reward-rate", `${r.scope}, buckets of ${r.bucket_label} (local time)`, r.as_of);
    const ts = r.treatment.map((b) => b.t);
    const span = ts.length ? ts[ts.length - 1] - ts[0] + r.bucket_s : r.bucket_s;
    const step = STEPS.find((s) => s >= r.bucket_s && span / s <= 6) || STEPS[STEPS.length - 1];
    Charts.lines($("chart-reward-rate"), ["treatment", "holdout"].map((g) => ({
      label: g, x: r[g].map((b) => b.t), y: r[g].map((b) => per1000(b.rate)),
    })), { xFormat: (t) => clock(t, step < 60), xStep: step,
           xMin: ts.length ? Math.floor((ts[0] - r.bucket_s / 2) / step) * step : undefined,
           xMax: ts.length ? Math.ceil((ts[ts.length - 1] + r.bucket_s / 2) / step) * step : undefined,
           xTitle: "decision time (bucket start)", yTitle: "reward per 1,000 decisions",
           emptyText: "no rewarded decisions yet" });
  }

  function drawAlternatives(a) {
    const note = $("alternatives-note");
    note.replaceChildren();
    if (!a.available) {
      Charts.empty($("chart-alternatives"), a.reason || "not available");
      $("scope-alternatives").textContent = "";
      return;
    }
    scope("scope-alternatives", `${a.scope}, ${a.n.toLocaleString("en")} decisions, ${a.estimator}`,
          a.as_of);
    Charts.intervals($("chart-alternatives"), a.estimates.map((e) => ({
      label: e.name, value: per1000(e.value), lo: per1000(e.lo), hi: per1000(e.hi),
      muted: !e.trusted })), { valueTitle: "estimated reward per 1,000 decisions (95% CI)" });
    for (const e of a.estimates) {
      const li = document.createElement("li");
      li.className = e.trusted ? "" : "muted";
      li.dataset.name = e.name;
      const regret = e.regret === null ? "" : `; regret vs it ${signed(per1000(e.regret))}`;
      li.textContent = `${e.name}: effective sample size ${Charts.fmt(e.ess)}, max weight ` +
        `${Charts.fmt(e.max_weight)}${regret}` +
        (e.trusted ? "" : ` (greyed: below ${Charts.fmt(a.min_ess)}, too few comparable decisions)`);
      note.appendChild(li);
    }
  }

  // Chart.js x axis of times: a clock-aligned step fitted to the span of the data.
  function timeAxis(ts) {
    const lo = Math.min(...ts), hi = Math.max(...ts);
    const span = Math.max(hi - lo, 60);
    const step = STEPS.find((s) => span / s <= 6) || STEPS[STEPS.length - 1];
    return { xFormat: (t) => clock(t, step < 60), xStep: step,
             xMin: Math.floor(lo / step) * step, xMax: Math.ceil(hi / step) * step };
  }

  const THRESHOLD_COLOR = { warn: "#a15c00", alert: "#b3261e" };

  function drawDrift(d) {
    const panel = $("drift-panel");
    if (!d.available) {
      $("drift-verdict").textContent = d.reason;
      $("drift-verdict").dataset.level = "";
      $("scope-drift").textContent = "";
      for (const id of ["chart-drift-psi", "chart-drift-reward"]) Charts.empty($(id), d.reason);
      return;
    }
    panel.dataset.phase = d.phase;
    scope("scope-drift", d.scope, d.as_of);
    $("drift-verdict").textContent = d.verdict.text;
    $("drift-verdict").dataset.level = d.verdict.level;

    const psiTimes = d.psi_series.flatMap((s) => s.x);
    const psi = d.psi_series.map((s) => ({ label: s.label, x: s.x, y: s.y }));
    if (psiTimes.length) {
      const [lo, hi] = [Math.min(...psiTimes), Math.max(...psiTimes)];
      for (const [name, value] of [["warn", d.psi_warn], ["alert", d.psi_alert]]) {
        psi.push({ label: `${name} threshold (${value})`, x: [lo, hi], y: [value, value],
                   dash: [6, 4], color: THRESHOLD_COLOR[name] });
      }
    }
    Charts.lines($("chart-drift-psi"), psi, {
      ...(psiTimes.length ? timeAxis(psiTimes) : {}), xTitle: "decision time (end of window)",
      yTitle: "PSI", emptyText: `no PSI yet: ${d.phase}` });

    const rewardTimes = d.reward_series.flatMap((s) => s.x);
    const rewardValues = d.reward_series.flatMap((s) => s.y);
    const top = rewardValues.length ? Math.max(...rewardValues) : 1;
    const lines = d.reward_series.map((s) => ({ label: s.label, x: s.x, y: s.y }));
    for (const c of d.changes) {
      lines.push({ label: `${c.stream} ${c.direction} (changed ${clock(c.t)}, seen ` +
                  `${clock(c.detected_at)})`, x: [c.t, c.t], y: [0, top], dash: [3, 3],
                  marker: true, color: c.level === "alert" ? "#b3261e" : "#7f7f7f" });
    }
    Charts.lines($("chart-drift-reward"), lines, {
      ...(rewardTimes.length ? timeAxis([...rewardTimes, ...d.changes.map((c) => c.t)]) : {}),
      xTitle: "time the block's last reward arrived", yTitle: "reward per 1,000 decisions",
      emptyText: "no reward stream has a full block yet" });

    const body = $("drift-features").querySelector("tbody");
    body.replaceChildren(...d.features.slice(0, 12).map((f) => {
      const tr = document.createElement("tr");
      tr.dataset.feature = f.name;
      const moved = (f.bins || []).map((label, i) => [label, f.reference[i], f.recent[i]])
        .sort((a, b) => Math.abs(b[2] - b[1]) - Math.abs(a[2] - a[1])).slice(0, 2)
        .map(([label, r, q]) => `${label}: ${pct(r)} → ${pct(q)}`).join("; ");
      const last = f.last_moved;
      const cells = [f.name, f.kind || "", f.psi === null ? "–" : f.psi.toFixed(3), f.level,
                     last ? `${clock(last.at)} (${last.psi.toFixed(3)}, ${last.level})` : "",
                     moved];
      tr.replaceChildren(...cells.map((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i === 2) td.className = "num";
        if (i === 3) td.className = `lvl-${f.level}`;
        return td;
      }));
      return tr;
    }));

    const l = d.lift;
    $("drift-lift").textContent = l.slope === null || l.slope === undefined
      ? `lift trend: not enough windows with both groups yet (${l.windows} of 3)`
      : `lift trend over the last ${l.windows} windows of ${l.window.toLocaleString("en")} ` +
        `rewards: ${l.direction}, ${signed(per1000(l.slope))} per 1,000 decisions per window ` +
        `(95% CI ${signed(per1000(l.slope_lo))} to ${signed(per1000(l.slope_hi))}); last ` +
        `window ${signed(per1000(l.lift))} per 1,000`;

    $("drift-response").textContent = d.response;

    $("drift-events").replaceChildren(...(d.events.length ? d.events : [null]).map((e) => {
      const li = document.createElement("li");
      if (e === null) {
        li.textContent = "no drift event yet";
        return li;
      }
      li.className = `lvl-${e.level === "action" ? "ok" : e.level === "info" ? "" : e.level}`;
      li.dataset.kind = e.kind;
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = clock(e.at);
      li.append(when, `${e.level}: ${e.message}`);
      return li;
    }));
  }

  function drawLatest(x) {
    if (!x.available) return;
    scope("scope-latest", x.scope, x.as_of);
    $("latest-explanation").textContent = x.decision.explanation.text;
  }

  function drawExperiment(x) {
    $("experiment-panel").hidden = !x.available;
    if (!x.available) return;
    $("experiment-name").textContent = x.name;
    $("experiment-metric").textContent = `${x.metric}${x.unit ? `, in ${x.unit}` : ""}; ` +
      "right of each chart: every policy's 95% CI at the end of the run";
    const scenarioOf = (c) => c.scenario || c.label.split(" / ")[0];
    const policyOf = (c) => c.policy || c.label.split(" / ").slice(1).join(" / ");
    const policies = [...(x.policies || [])];
    x.curves.forEach((c) => policies.includes(policyOf(c)) || policies.push(policyOf(c)));
    const colors = Object.fromEntries(policies.map((p, i) => [p, Charts.color(i)]));
    $("experiment-legend").replaceChildren(...policies.map((p) => {
      const span = document.createElement("span");
      const sw = document.createElement("i");
      sw.style.background = colors[p];
      span.append(sw, p);
      return span;
    }));
    const scenarios = [...new Set(x.curves.map(scenarioOf))];
    const holder = $("experiment-charts");
    if (holder.children.length !== scenarios.length) {
      holder.replaceChildren(...scenarios.map((s) => {
        const div = document.createElement("div");
        div.className = "chart";
        div.dataset.scenario = s;
        return div;
      }));
    }
    scenarios.forEach((s, i) => {
      const curves = x.curves.filter((c) => scenarioOf(c) === s)
        .map((c) => ({ ...c, policy: policyOf(c) }))
        .sort((a, b) => policies.indexOf(a.policy) - policies.indexOf(b.policy));
      Charts.regret(holder.children[i], curves, colors,
                    { title: `${s}: regret so far`, yTitle: x.unit || "regret" });
    });
  }

  async function refresh() {
    try {
      const [summary, rate, alts, exp, latest, drift] = await Promise.all([
        getJSON("/v1/dashboard/summary"), getJSON("/v1/dashboard/reward-rate"),
        getJSON("/v1/dashboard/alternatives"), getJSON("/v1/dashboard/experiment"),
        getJSON("/v1/dashboard/latest-decision"), getJSON("/v1/dashboard/drift")]);
      drawSummary(summary);
      drawRewardRate(rate);
      drawAlternatives(alts);
      drawExperiment(exp);
      drawLatest(latest);
      drawDrift(drift);
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
