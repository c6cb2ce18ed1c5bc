// The sp-serve dashboard: one uPlot chart per --chart field, one series per key, and a table
// of the latest record per key; filled from /api/recent and /api/latest, then kept current by
// the Server-Sent Events of /api/stream. Plain script, no build step: sp-serve inlines it.
(function () {
  "use strict";
  const config = window.SP_CONFIG;
  const token = new URLSearchParams(location.search).get("access_token");
  const MAX_POINTS = 3000;  // per chart; the oldest are dropped
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                  "#bcbd22", "#7f7f7f"];

  function url(path) {
    return token ? path + (path.includes("?") ? "&" : "?") + "access_token=" + encodeURIComponent(token) : path;
  }

  // Field paths as in the shared expression language: a.b.c, a[0].
  function field(record, path) {
    if (!path) return undefined;
    let v = record;
    for (const part of path.match(/[^.[\]]+/g) || []) {
      if (v === null || typeof v !== "object") return undefined;
      v = v[part];
    }
    return v;
  }

  function keyOf(record) {
    if (!config.key) return "";
    const k = field(record, config.key);
    return k === undefined || k === null ? null : typeof k === "string" ? k : JSON.stringify(k);
  }

  // Event time in seconds (uPlot's x unit), else arrival time.
  function timeOf(record) {
    const t = field(record, config.time);
    if (typeof t === "number") return t < 1e11 ? t : t / 1000;
    if (typeof t === "string") {
      const ms = Date.parse(t);
      if (!isNaN(ms)) return ms / 1000;
    }
    return Date.now() / 1000;
  }

  // ---- charts
  const charts = config.charts.map((name) => {
    const card = document.createElement("div");
    card.className = "card";
    card.innerHTML = "<h2></h2><div class=\"plot\"></div>";
    card.querySelector("h2").textContent = name;
    card.dataset.field = name;
    document.getElementById("charts").appendChild(card);
    return { name, card, keys: [], rows: [], plot: null, dirty: false };
  });

  function chartOptions(chart) {
    const width = Math.max(300, chart.card.clientWidth - 20);
    return {
      width, height: 260,
      scales: { x: { time: true } },
      series: [{}].concat(chart.keys.map((k, i) => ({
        label: k === "" ? "all" : k, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
      }))),
      legend: { live: false },
    };
  }

  function chartData(chart) {
    const rows = chart.rows;
    const data = [rows.map((r) => r[0])];
    chart.keys.forEach((_, i) => data.push(rows.map((r) => (r[1] === i ? r[2] : null))));
    return data;
  }

  function addPoint(chart, key, t, y) {
    let i = chart.keys.indexOf(key);
    if (i < 0) {
      chart.keys.push(key);
      i = chart.keys.length - 1;
      if (chart.plot) { chart.plot.destroy(); chart.plot = null; }
    }
    // Rows stay ordered by time; late records are inserted in place.
    let at = chart.rows.length;
    while (at > 0 && chart.rows[at - 1][0] > t) at--;
    chart.rows.splice(at, 0, [t, i, y]);
    if (chart.rows.length > MAX_POINTS) chart.rows.splice(0, chart.rows.length - MAX_POINTS);
    chart.dirty = true;
  }

  function redraw() {
    for (const chart of charts) {
      if (!chart.dirty) continue;
      chart.dirty = false;
      if (!chart.plot) chart.plot = new uPlot(chartOptions(chart), chartData(chart), chart.card.querySelector(".plot"));
      else chart.plot.setData(chartData(chart));
    }
  }

  // ---- the table of the latest record per key
  const latest = new Map();
  const columns = [];
  let tableDirty = false;
  const freshKeys = new Set();

  function setLatest(key, record) {
    latest.set(key, record);
    if (record && typeof record === "object" && !Array.isArray(record))
      for (const name of Object.keys(record))
        if (!columns.includes(name) && columns.length < 12 && name !== "_sp") columns.push(name);
    freshKeys.add(key);
    tableDirty = true;
  }

  function cell(v) {
    if (v === undefined) return "";
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function renderTable() {
    if (!tableDirty) return;
    tableDirty = false;
    const table = document.getElementById("latest");
    const cols = config.key ? [config.key].concat(columns.filter((c) => c !== config.key)) : columns;
    const head = document.createElement("tr");
    for (const c of cols) {
      const th = document.createElement("th");
      th.textContent = c;
      head.appendChild(th);
    }
    table.tHead.replaceChildren(head);
    const body = [];
    for (const key of [...latest.keys()].sort()) {
      const record = latest.get(key);
      const tr = document.createElement("tr");
      tr.dataset.key = key;
      if (freshKeys.has(key)) tr.className = "fresh";
      for (const c of cols) {
        const td = document.createElement("td");
        td.textContent = c === config.key ? (key === "" ? "all" : key) : cell(field(record, c));
        tr.appendChild(td);
      }
      body.push(tr);
    }
    freshKeys.clear();
    table.tBodies[0].replaceChildren(...body);
    document.getElementById("empty").hidden = latest.size > 0;
  }

  // ---- records in
  let received = 0;
  let windowStart = performance.now(), windowCount = 0;

  function add(record, live) {
    received++;
    windowCount++;
    const key = keyOf(record);
    if (key === null) return;
    const t = timeOf(record);
    for (const chart of charts) {
      const y = field(record, chart.name);
      if (typeof y === "number" && isFinite(y)) addPoint(chart, key, t, y);
    }
    if (live) setLatest(key, record);
  }

  function tick() {
    redraw();
    renderTable();
    document.getElementById("received").textContent = received;
    const now = performance.now();
    if (now - windowStart >= 1000) {
      document.getElementById("rate").textContent = Math.round((windowCount * 1000) / (now - windowStart));
      windowStart = now;
      windowCount = 0;
    }
  }
  setInterval(tick, 250);

  function setStatus(on, text) {
    const s = document.getElementById("status");
    s.className = "status " + (on ? "on" : "off");
    s.textContent = text;
  }

  function connect() {
    const source = new EventSource(url("/api/stream"));
    source.onopen = () => setStatus(true, "live");
    source.onmessage = (ev) => {
      try {
        add(JSON.parse(ev.data), true);
      } catch (e) {
        console.warn("sp-serve: not JSON:", ev.data);
      }
    };
    source.addEventListener("dropped", () => setStatus(false, "dropped (too slow), reconnecting"));
    source.onerror = () => setStatus(false, "disconnected, retrying");
  }

  async function start() {
    document.getElementById("title").textContent = config.title;
    document.title = config.title;
    connect();
    try {
      const recent = await (await fetch(url("/api/recent?limit=" + MAX_POINTS))).json();
      for (const r of recent) add(r, false);
      const last = await (await fetch(url("/api/latest"))).json();
      for (const [key, record] of Object.entries(last)) if (!latest.has(key)) setLatest(key, record);
    } catch (e) {
      setStatus(false, "cannot read the API: " + e);
    }
    tick();
  }

  // For tests and curious users: what the page holds.
  window.spDashboard = {
    received: () => received,
    keys: () => [...latest.keys()],
    points: (name) => { const c = charts.find((x) => x.name === name); return c ? c.rows.length : -1; },
    series: (name) => { const c = charts.find((x) => x.name === name); return c ? c.keys.slice() : []; },
  };
  start();
})();
