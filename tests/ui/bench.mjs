// Benchmark of the web UI (bench/ui_topology.sh runs it inside the host's namespace):
// 1. time from `ep add` (its start, and its return) to the endpoint drawn in an open topology
//    page, p50 and p99 over BENCH_EPS endpoints; 2. the events page under a flood of drops:
//    events the page received against the drop counters' delta and the stream's lost reports,
//    how late the page's timers ran, and how fast clicks during the flood were answered.
// Environment: UI_URL, UI_TOKEN, UI_WORK, BENCH_EP_ADD (a command; %N is replaced by the
// endpoint's number), BENCH_EPS (how many), BENCH_FLOOD (a command sending the drops; prints
// the number sent and the seconds it took on its last line), BENCH_DROPS (a command printing {reason: packets}).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { launch } from './browser.mjs';

const { UI_URL, UI_TOKEN, UI_WORK, BENCH_EP_ADD, BENCH_FLOOD, BENCH_DROPS } = process.env;
const EPS = Number(process.env.BENCH_EPS || 100);
const CLICK_EVERY_MS = 250;
const sh = async (cmd) => (await promisify(execFile)('sh', ['-c', cmd], { maxBuffer: 1 << 20 })).stdout;
// Nearest rank: the smallest value with at least p of them at or below it.
const pct = (sorted, p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 0.5)} ms, p99 ${pct(s, 0.99)} ms, min ${s[0]} ms, max ${s[s.length - 1]} ms (n=${s.length})`;
};

const browser = await launch(UI_WORK);
const page = await browser.newPage();
page.setDefaultTimeout(10000);
let requests = 0;
page.on('request', (r) => {
  const path = new URL(r.url()).pathname;
  if (path.startsWith('/v1/') && path !== '/v1/events') requests++;
});
await page.goto(`${UI_URL}/`);
await page.evaluate((t) => sessionStorage.setItem('cbpfnet-token', t), UI_TOKEN);
await page.goto(`${UI_URL}/#topology`);
await page.reload();
await page.locator('#topo [data-id="net:neta"]').waitFor();

const fromStart = [];
const fromReturn = [];
const r0 = requests;
for (let i = 1; i <= EPS; i++) {
  const t0 = Date.now();
  await sh(BENCH_EP_ADD.replaceAll('%N', String(i)));
  const t1 = Date.now();
  await page.locator(`#topo [data-id="ep:b${i}"]`).waitFor();
  const t2 = Date.now();
  fromStart.push(t2 - t0);
  fromReturn.push(t2 - t1);
}
console.log(`ep add -> drawn in the topology page, from the command's start: ${stats(fromStart)}`);
console.log(`ep add -> drawn in the topology page, after the command returned: ${stats(fromReturn)}`);
console.log(`API requests of the topology page meanwhile: ${requests - r0} (${((requests - r0) / EPS).toFixed(1)} per endpoint)`);
const r1 = requests;
await page.waitForTimeout(5000);
console.log(`API requests of the topology page in 5 s without a change: ${requests - r1}`);

await page.goto(`${UI_URL}/#events`);
await page.locator('#ev-state', { hasText: 'live' }).waitFor();
// How late a 50 ms timer fires in the page while it draws the stream, and how long a click
// waits from its input event to the next frame after its handler ran.
await page.evaluate(() => {
  window.lag = { max: 0, sum: 0, n: 0 };
  window.clicks = [];
  let last = performance.now();
  window.lagTimer = setInterval(() => {
    const now = performance.now();
    const late = now - last - 50;
    last = now;
    window.lag.max = Math.max(window.lag.max, late);
    window.lag.sum += late;
    window.lag.n++;
  }, 50);
  document.addEventListener('click', (e) => {
    requestAnimationFrame(() => window.clicks.push(performance.now() - e.timeStamp));
  });
});
// The renderer's own busy time (seconds of its main thread), which the machine's load barely moves.
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const busy = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics
  .filter((m) => ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration'].includes(m.name))
  .map((m) => [m.name, m.value]));
const counters = async () => JSON.parse(await sh(BENCH_DROPS));
const busy0 = await busy();
const before = await counters();
let flooding = true;
const flood = sh(BENCH_FLOOD).finally(() => { flooding = false; });
const roundTrips = [];
while (flooding) {
  const c0 = Date.now();
  await page.locator('#ev-state').click();
  roundTrips.push(Date.now() - c0);
  await page.waitForTimeout(CLICK_EVERY_MS);
}
const out = await flood;
const busy1 = await busy();
const [sent, secs] = out.trim().split('\n').pop().split(' ').map(Number);
const after = await counters();
const deltas = Object.entries(after).map(([r, n]) => [r, n - (before[r] || 0)]).filter(([, d]) => d);
const dropped = deltas.reduce((sum, [, d]) => sum + d, 0);
console.log(`drop counters' deltas: ${deltas.map(([r, d]) => `${r} ${d}`).join(', ')}`);
const tail0 = Date.now();
// Every event the agent emitted must reach the page; wait up to 10 s for the tail.
await page.waitForFunction((n) => Number(document.getElementById('ev-received').textContent) >= n, dropped, { timeout: 10000 }).catch(() => null);
const tailMs = Date.now() - tail0;
const received = Number(await page.locator('#ev-received').textContent());
const lost = Number(await page.locator('#ev-lost').textContent());
const f0 = Date.now();
await page.locator('#ev-filter').fill('a2');
const filterMs = Date.now() - f0;
const { lag, clicks } = await page.evaluate(() => ({ lag: { max: window.lag.max, mean: window.lag.sum / window.lag.n }, clicks: window.clicks }));
console.log(`flood: ${sent} packets sent in ${secs.toFixed(1)} s (${Math.round(sent / secs)}/s), ` +
  `${dropped} counted as drops, ${received} events received by the page (${received - dropped >= 0 ? '+' : ''}${received - dropped}), ` +
  `${lost} reported lost; the last arrived ${tailMs} ms after the sender ended`);
const ms = (k) => Math.round((busy1[k] - busy0[k]) * 1000);
console.log(`page main thread busy during the flood: ${ms('TaskDuration')} ms (script ${ms('ScriptDuration')}, ` +
  `layout ${ms('LayoutDuration')}, style ${ms('RecalcStyleDuration')}) of ${Math.round(secs * 1000)} ms`);
console.log(`page timer lateness during the flood: mean ${lag.mean.toFixed(1)} ms, max ${lag.max.toFixed(0)} ms`);
console.log(`clicks during the flood, input to next frame: ${stats(clicks.map(Math.round))}`);
console.log(`clicks during the flood, playwright's round trip: ${stats(roundTrips)}`);
console.log(`filter typed and applied after the flood: ${filterMs} ms`);
await browser.close();
process.exit(received === dropped && lost === 0 ? 0 : 1);
