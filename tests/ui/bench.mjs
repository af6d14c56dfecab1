// Benchmark of the web UI (bench/ui_latency.sh runs it inside the host's namespace):
// 1. time from `ep add` returning... and from its start, to the endpoint drawn in an open
//    topology page; 2. the events page under a stream of drops: events counted by the page
//    against packets sent, and how late the page's timers run meanwhile.
// Environment: UI_URL, UI_TOKEN, UI_WORK, BENCH_EP_ADD (a command; %N is replaced by the
// endpoint's number), BENCH_EPS (how many), BENCH_FLOOD (a command sending the drops; prints
// the number sent on its last line), BENCH_DROPS (a command printing the policy-deny counter).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { launch } from './browser.mjs';

const { UI_URL, UI_TOKEN, UI_WORK, BENCH_EP_ADD, BENCH_FLOOD, BENCH_DROPS } = process.env;
const EPS = Number(process.env.BENCH_EPS || 10);
const sh = async (cmd) => (await promisify(execFile)('sh', ['-c', cmd], { maxBuffer: 1 << 20 })).stdout;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]} ms, min ${s[0]} ms, max ${s[s.length - 1]} ms (n=${s.length})`;
};

const browser = await launch(UI_WORK);
const page = await browser.newPage();
page.setDefaultTimeout(10000);
await page.goto(`${UI_URL}/`);
await page.evaluate((t) => sessionStorage.setItem('cbpfnet-token', t), UI_TOKEN);
await page.goto(`${UI_URL}/#topology`);
await page.reload();
await page.locator('#topo [data-id="net:neta"]').waitFor();

const fromStart = [];
const fromReturn = [];
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

await page.goto(`${UI_URL}/#events`);
await page.locator('#ev-state', { hasText: 'live' }).waitFor();
// How late a 50 ms timer fires in the page while it draws the stream: its responsiveness.
await page.evaluate(() => {
  window.lag = { max: 0, sum: 0, n: 0 };
  let last = performance.now();
  window.lagTimer = setInterval(() => {
    const now = performance.now();
    const late = now - last - 50;
    last = now;
    window.lag.max = Math.max(window.lag.max, late);
    window.lag.sum += late;
    window.lag.n++;
  }, 50);
});
const before = Number(await sh(BENCH_DROPS));
const t0 = Date.now();
const out = await sh(BENCH_FLOOD);
const secs = (Date.now() - t0) / 1000;
const sent = Number(out.trim().split('\n').pop());
const dropped = Number(await sh(BENCH_DROPS)) - before;
const clickStart = Date.now();
// Every event the agent emitted must reach the page; wait up to 5 s for the tail.
await page.waitForFunction((n) => Number(document.getElementById('ev-received').textContent) >= n, dropped, { timeout: 5000 }).catch(() => null);
const received = Number(await page.locator('#ev-received').textContent());
const lost = Number(await page.locator('#ev-lost').textContent());
await page.locator('#ev-filter').fill('a2');
const filterMs = Date.now() - clickStart;
const lag = await page.evaluate(() => ({ max: window.lag.max, mean: window.lag.sum / window.lag.n }));
console.log(`flood: ${sent} packets sent in ${secs.toFixed(1)} s (${Math.round(sent / secs)}/s), ` +
  `${dropped} counted as policy-deny, ${received} events received by the page, ${lost} reported lost`);
console.log(`page timer lateness during the flood: mean ${lag.mean.toFixed(1)} ms, max ${lag.max.toFixed(0)} ms; ` +
  `filter typed and applied ${filterMs} ms after the flood`);
await browser.close();
process.exit(received === dropped && lost === 0 ? 0 : 1);
