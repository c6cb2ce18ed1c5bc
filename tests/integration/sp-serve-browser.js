// The sp-serve dashboard in a real browser: Debian's headless Chromium driven by
// playwright-core. Starts sp-serve, feeds it records on stdin, opens the page, and checks that
// the table and the charts fill from the API and then follow the live stream (SSE).
//   node sp-serve-browser.js SP_SERVE SCREENSHOT.png
// Exits 1 with the reason on any failure, including a browser that cannot start.
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const [spServe, screenshot] = process.argv.slice(2);
const CHROMIUM = process.env.SP_CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SERVICES = ["api", "web", "search"];

// A deterministic record of `service` at time t (ms), with a latency that wanders.
function record(service, i, t, extra = {}) {
  const s = SERVICES.indexOf(service) + 1;
  const latency = Math.round((20 * s + 12 * Math.sin(i / 7 + s) + 4 * Math.sin(i / 2.3 * s)) * 1000) / 1000;
  return JSON.stringify({ ts: new Date(t).toISOString(), service, status: i % 17 === 0 ? 503 : 200,
    latency_ms: latency, bytes: Math.round(500 * s + 150 * Math.sin(i / 9 + 2 * s) + 40 * Math.sin(i / 1.7)),
    ...extra }) + "\n";
}

function startServer() {
  const child = spawn(spServe, ["--listen", "127.0.0.1:0", "--key", "service", "--time", "ts",
    "--chart", "latency_ms", "--chart", "bytes", "--title", "sp-serve: requests per service"],
    { stdio: ["pipe", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error("sp-serve did not start: " + err)), 10000);
    child.stderr.on("data", (d) => {
      err += d;
      const m = err.match(/listening on (http:\/\/[^ \n]+)/);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.on("exit", (code) => reject(new Error(`sp-serve exited (${code}): ${err}`)));
  });
}

async function main() {
  const { child, url } = await startServer();
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let context;
  try {
    // Two minutes of history before the page opens: the charts start from /api/recent.
    const now = Date.now();
    let history = "";
    for (let i = 0; i < 120; i++)
      for (const s of SERVICES) history += record(s, i, now - (120 - i) * 1000);
    child.stdin.write(history);

    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-chromium-"));
    try {
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 860 },
      });
    } catch (e) {
      throw new Error(`Chromium (${CHROMIUM}) did not start: ${e.message}`);
    }
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("requestfailed", (r) => { if (!r.url().includes("/api/stream")) problems.push("request failed: " + r.url()); });

    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => window.spDashboard && window.spDashboard.keys().length === 3, null, { timeout: 10000 });
    await page.waitForSelector("#status.on", { timeout: 10000 });
    const rows = await page.$$eval("#latest tbody tr", (trs) => trs.map((tr) => tr.dataset.key));
    if (rows.join(",") !== "api,search,web") throw new Error("table rows: " + rows);
    const before = await page.evaluate(() => window.spDashboard.points("latency_ms"));
    if (before !== 360) throw new Error(`latency_ms chart: ${before} points from /api/recent, expected 360`);
    for (const field of ["latency_ms", "bytes"])
      if (!(await page.$(`.card[data-field="${field}"] canvas`))) throw new Error(`no chart canvas for ${field}`);

    // Live: new records, and a key the page has not seen, arrive over SSE.
    let live = "";
    for (let i = 120; i < 150; i++) for (const s of SERVICES) live += record(s, i, now + (i - 120) * 100);
    live += JSON.stringify({ ts: new Date(now + 3000).toISOString(), service: "checkout", status: 200,
      latency_ms: 123.456, bytes: 999 }) + "\n";
    child.stdin.write(live);
    await page.waitForFunction(() => window.spDashboard.keys().length === 4, null, { timeout: 10000 });
    await page.waitForFunction(() => window.spDashboard.points("latency_ms") === 451, null, { timeout: 10000 });
    const series = await page.evaluate(() => window.spDashboard.series("latency_ms"));
    if (!series.includes("checkout")) throw new Error("no checkout series: " + series);
    // The table shows the new key's record (it is redrawn 4 times a second).
    await page.waitForFunction(() => {
      const tr = document.querySelector('#latest tbody tr[data-key="checkout"]');
      return tr && tr.textContent.includes("123.456");
    }, null, { timeout: 5000 });
    // Chart legends name every key.
    const legend = await page.$$eval('.card[data-field="latency_ms"] .u-legend .u-series', (s) => s.map((x) => x.textContent.trim()));
    for (const k of ["api", "web", "search", "checkout"])
      if (!legend.some((l) => l.includes(k))) throw new Error(`legend lacks ${k}: ${legend}`);
    await page.waitForTimeout(600);  // let the last redraw and the highlight settle
    await page.screenshot({ path: screenshot, fullPage: true });
    if (problems.length) throw new Error(problems.join("\n"));
    console.log(`ok: 4 keys, ${await page.evaluate(() => window.spDashboard.points("latency_ms"))} points, screenshot ${screenshot}`);
  } finally {
    if (context) await context.close();
    child.kill("SIGTERM");
  }
  const { code, signal } = await exited;
  if (code !== 0) throw new Error(`sp-serve exited with ${code} (${signal}) after SIGTERM`);
}

const watchdog = setTimeout(() => { console.error("timed out"); process.exit(1); }, 40000);
main().then(() => { clearTimeout(watchdog); process.exit(0); },
  (e) => { console.error("FAIL: " + e.message); process.exit(1); });
