// The UI's main paths in Debian's firefox-esr (puppeteer-core, WebDriver BiDi), after
// ui.test.mjs ran in chromium against the same agent: load and token, overview, topology pushed
// by the event stream, events page with a drop and a log line. Environment as ui.test.mjs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { launchFirefox, check, failed } from './browser.mjs';

const { UI_URL, UI_TOKEN, UI_WORK, UI_PING, UI_EP_ADD, UI_EP_DEL } = process.env;
const run = promisify(execFile);
const T = 5000;

// Waits until an element matching selector holds text (or, with gone, until none does).
function waitText(page, selector, text, timeout = T, gone = false) {
  return page.waitForFunction((sel, t, g) => [...document.querySelectorAll(sel)].some((n) => n.textContent.includes(t)) !== g,
    { timeout, polling: 50 }, selector, text, gone);
}

async function login(page, token) {
  await page.click('#auth-token', { count: 3 });
  await page.type('#auth-token', token);
  await page.keyboard.press('Enter');
}

const browser = await launchFirefox(UI_WORK);
console.log(`# ${await browser.version()}`);
const page = await browser.newPage();
page.setDefaultTimeout(T);
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
const requests = [];
page.on('request', (r) => {
  const path = new URL(r.url()).pathname;
  if (path.startsWith('/v1/') && path !== '/v1/events') requests.push(`${Date.now()} ${r.method()} ${path}`);
});
const since = (t) => requests.filter((r) => Number(r.split(' ')[0]) >= t);

await check('firefox: the UI loads and asks for the token when the agent answers 401', async () => {
  await page.goto(`${UI_URL}/`);
  await page.waitForSelector('#auth', { visible: true });
  await waitText(page, '#auth-message', '401 Unauthorized');
});

await check('firefox: a wrong token: the UI says the agent refused it', async () => {
  await login(page, 'wrong-token-0123456789');
  await waitText(page, '#auth-message', 'refused this token (401 Unauthorized)');
});

await check('firefox: the right token: the overview lists network neta and endpoint a2', async () => {
  await login(page, UI_TOKEN);
  await page.waitForSelector('#auth', { hidden: true });
  // Until now the event stream was refused (401), which Firefox reports as a page error.
  errors.length = 0;
  await waitText(page, '#ov-nets td', 'neta');
  await waitText(page, '#ov-eps td', 'a2');
});

await check('firefox: topology draws neta and the denied edge a1 -> a2, and no request while idle', async () => {
  await page.goto(`${UI_URL}/#topology`);
  await page.waitForSelector('#topo[data-stream="live"] [data-id="net:neta"]');
  await page.waitForSelector('#topo path.denied[data-from="ep:a1"][data-to="ep:a2"]');
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  if (since(t0).length) throw new Error(`requests while idle:\n${since(t0).join('\n')}`);
});

await check('firefox: ep add c1 is drawn within 1 s without a reload, ep del takes it away', async () => {
  await page.evaluate(() => { window.notReloaded = true; });
  await run('sh', ['-c', UI_EP_ADD]);
  await page.waitForSelector('#topo [data-id="ep:c1"]', { timeout: 1000 });
  await run('sh', ['-c', UI_EP_DEL]);
  await page.waitForSelector('#topo [data-id="ep:c1"]', { hidden: true, timeout: 1000 });
  if (!(await page.evaluate(() => window.notReloaded))) throw new Error('the page was reloaded');
});

await check('firefox: clicking endpoint a1 shows its details', async () => {
  await page.click('#topo [data-id="ep:a1"]');
  await waitText(page, '#topo-details', '10.1.0.2');
});

await check('firefox: events page: a dropped packet appears within 2 s with its reason', async () => {
  await page.goto(`${UI_URL}/#events`);
  await waitText(page, '#ev-state', 'live');
  const ping = run('sh', ['-c', UI_PING]).catch(() => null);
  await waitText(page, '#ev-rows tr', 'policy-deny', 2000);
  await ping;
});

await check('firefox: events page: the log line of a failed net create appears', async () => {
  const res = await fetch(`${UI_URL}/v1/networks`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${UI_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'fxbad', subnet: '10.1.0.0/24' }),
  });
  if (res.ok) throw new Error('net create fxbad with neta\'s subnet succeeded');
  await waitText(page, '#log-rows tr', 'fxbad', 2000);
  await page.select('#log-level', 'warn');
  await waitText(page, '#log-rows tr', 'fxbad', T, true);
});

await check('firefox: no script error on any page', async () => {
  if (errors.length) throw new Error(errors.join('\n'));
});

await browser.close();
process.exit(failed() ? 1 : 0);
