// The web UI in a real browser against a running agent. Environment: UI_URL (http://ADDR:PORT),
// UI_TOKEN, UI_WORK (scratch directory), UI_SHOTS (where page screenshots go), UI_PING (a
// command that sends one packet policy denies, for the events page), UI_EP_ADD and UI_EP_DEL
// (commands adding and deleting endpoint c1 through the agent).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { launch, check, failed } from './browser.mjs';

const { UI_URL, UI_TOKEN, UI_WORK, UI_SHOTS, UI_PING, UI_EP_ADD, UI_EP_DEL } = process.env;
const run = promisify(execFile);
const T = 5000;

async function api(method, path, body) {
  const res = await fetch(UI_URL + path, {
    method,
    headers: { Authorization: `Bearer ${UI_TOKEN}`, ...(method !== 'GET' ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const doc = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(doc)}`);
  return doc;
}

async function expectText(locator, text, timeout = T) {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}

async function login(page, token) {
  await page.locator('#auth-token').fill(token);
  await page.locator('#auth-token').press('Enter');
}

const browser = await launch(UI_WORK);
const page = await browser.newPage();
page.setDefaultTimeout(T);
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));

await check('the UI loads and asks for the token when the agent answers 401', async () => {
  await page.goto(`${UI_URL}/`);
  await page.locator('#auth').waitFor({ state: 'visible', timeout: T });
  await expectText(page.locator('#auth-message'), '401 Unauthorized');
});

await check('a wrong token: the agent answers 401 and the UI says so', async () => {
  await login(page, 'wrong-token-0123456789');
  await expectText(page.locator('#auth-message'), 'refused this token (401 Unauthorized)');
  if (!(await page.locator('#auth').isVisible())) throw new Error('the token form is hidden');
});

await check('the right token: the overview lists network neta and endpoints a1, a2', async () => {
  await login(page, UI_TOKEN);
  await page.locator('#auth').waitFor({ state: 'hidden', timeout: T });
  await expectText(page.locator('#ov-nets td'), 'neta');
  await expectText(page.locator('#ov-eps td'), 'a2');
});

await check('the token is kept for the tab: a reload asks for nothing', async () => {
  await page.reload();
  await expectText(page.locator('#ov-nets td'), 'neta');
  if (await page.locator('#auth').isVisible()) throw new Error('asked again');
});

await check('new network form: security 11 is refused with a message and nothing is sent', async () => {
  await page.goto(`${UI_URL}/#new`);
  await page.locator('#nn-name').fill('webbad');
  await page.locator('#nn-subnet').fill('10.77.0.0/24');
  await page.locator('#nn-security').fill('11');
  for (const k of ['scale', 'efficiency', 'extensibility']) await page.locator(`#nn-${k}`).fill('5');
  await page.locator('#nn-ask').press('Enter');
  await expectText(page.locator('#nn-refused'), 'Security must be a whole number from 1 to 10');
  if ((await page.locator('#nn-security').getAttribute('aria-invalid')) !== 'true') throw new Error('field not marked invalid');
  const hist = await api('GET', '/v1/model/history');
  if (hist.some((r) => r.network === 'webbad')) throw new Error('a decision was recorded for webbad');
});

await check('new network form: the classifier answers overlay with its probability and explanation', async () => {
  await page.locator('#nn-name').fill('webui');
  await page.locator('#nn-subnet').fill('10.77.0.0/24');
  for (const [k, v] of [['security', '9'], ['scale', '2'], ['efficiency', '2'], ['extensibility', '9']]) await page.locator(`#nn-${k}`).fill(v);
  await page.locator('#nn-ask').click();
  await expectText(page.locator('#nn-choice'), 'overlay');
  const p = Number(await page.locator('#nn-prob').textContent());
  if (!(p > 0.9)) throw new Error(`probability ${p}`);
  await page.locator('#nn-answer figure svg rect').first().waitFor({ timeout: T });
});

await check('create it from the form: the agent has network webui as overlay, the history says confirmed', async () => {
  await page.locator('#nn-create').click();
  await expectText(page.locator('#nn-created'), 'Network webui created: overlay');
  const nets = await api('GET', '/v1/networks');
  const net = nets.find((n) => n.name === 'webui');
  if (!net || net.model !== 'overlay' || net.subnet !== '10.77.0.0/24') throw new Error(JSON.stringify(nets));
  await expectText(page.locator('#nn-history tr'), 'confirmed overlay');
  if (UI_SHOTS) await page.screenshot({ path: `${UI_SHOTS}/new-network.png`, fullPage: true });
});

await check('and the topology page draws it', async () => {
  await page.goto(`${UI_URL}/#topology`);
  await page.locator('#topo [data-id="net:webui"]').waitFor({ timeout: T });
});

await check('a deny rule added through the API is drawn as a denied edge a1 -> a2', async () => {
  await api('POST', '/v1/policy/rules', { from: 'a1', to: 'a2', verdict: 'deny' });
  await page.locator('#topo path.denied[data-from="ep:a1"][data-to="ep:a2"]').waitFor({ timeout: T });
});

await check('clicking endpoint a1 shows its details; Enter on a network does too', async () => {
  await page.locator('#topo [data-id="ep:a1"]').click();
  await expectText(page.locator('#topo-details'), '10.1.0.2');
  await expectText(page.locator('#topo-details'), 'Denied');
  await page.locator('#topo [data-id="net:neta"]').focus();
  await page.keyboard.press('Enter');
  await expectText(page.locator('#topo-details h2'), 'Network neta');
  if (UI_SHOTS) await page.screenshot({ path: `${UI_SHOTS}/topology.png` });
});

// The API requests the page makes, the event stream's aside: what a poller would show.
const requests = [];
page.on('request', (r) => {
  const path = new URL(r.url()).pathname;
  if (path.startsWith('/v1/') && path !== '/v1/events') requests.push(`${Date.now()} ${r.method()} ${path}`);
});
const since = (t) => requests.filter((r) => Number(r.split(' ')[0]) >= t);

await check('topology is pushed: no request for 3 s while nothing changes', async () => {
  await page.reload();
  await page.locator('#topo[data-stream="live"] [data-id="ep:a2"]').waitFor({ timeout: T });
  await page.waitForTimeout(500);
  const t0 = Date.now();
  await page.waitForTimeout(3000);
  if (since(t0).length) throw new Error(`requests while idle:\n${since(t0).join('\n')}`);
});

await check('ep add c1 appears in the open topology page within 1 s, without a reload', async () => {
  let reloaded = false;
  page.once('load', () => { reloaded = true; });
  await run('sh', ['-c', UI_EP_ADD]);
  const t0 = Date.now();
  await page.locator('#topo [data-id="ep:c1"]').waitFor({ timeout: 1000 });
  console.log(`# c1 drawn ${Date.now() - t0} ms after ep add returned; requests meanwhile: ${since(t0).length}`);
  if (reloaded) throw new Error('the page was reloaded');
});

await check('ep del c1 disappears from the open topology page within 1 s', async () => {
  await run('sh', ['-c', UI_EP_DEL]);
  await page.locator('#topo [data-id="ep:c1"]').waitFor({ state: 'detached', timeout: 1000 });
  const t0 = Date.now();
  await page.waitForTimeout(2000);
  if (since(t0).length) throw new Error(`requests after the change settled:\n${since(t0).join('\n')}`);
});

// The endpoints' own IPv6 start-up packets are dropped (and pushed as drop events) for a while:
// the overview reads its drop counters again for them, at most once a second, and nothing else.
await check('overview is pushed too: ep add c1 shows in its endpoint table; while idle only drop counters, once a second', async () => {
  await page.goto(`${UI_URL}/#overview`);
  await expectText(page.locator('#ov-eps td'), 'a2');
  await page.waitForTimeout(500);
  const t0 = Date.now();
  await page.waitForTimeout(3000);
  const idle = since(t0);
  if (idle.some((r) => !r.endsWith('GET /v1/status')) || idle.length > 4) throw new Error(`requests while idle:\n${idle.join('\n')}`);
  await run('sh', ['-c', UI_EP_ADD]);
  await expectText(page.locator('#ov-eps td'), 'c1', 1000);
  await run('sh', ['-c', UI_EP_DEL]);
  await page.locator('#ov-eps td', { hasText: /^c1$/ }).waitFor({ state: 'detached', timeout: 1000 });
});

await check('events page: the dropped packet appears within 2 s, with reason and rule', async () => {
  await page.goto(`${UI_URL}/#events`);
  await expectText(page.locator('#ev-state'), 'live');
  const t0 = Date.now();
  const ping = run('sh', ['-c', UI_PING]).catch(() => null);
  await expectText(page.locator('#ev-rows tr'), 'policy-deny', 2000);
  const ms = Date.now() - t0;
  await ping;
  const row = await page.locator('#ev-rows tr').filter({ hasText: 'policy-deny' }).first().textContent();
  if (!row.includes('a1') || !row.includes('a2') || !row.includes('policy set rule')) throw new Error(`row: ${row}`);
  console.log(`# drop event drawn ${ms} ms after the packet was sent`);
});

await check('events filter: a filter on another endpoint hides the row, clearing it shows it', async () => {
  await page.locator('#ev-filter').fill('nosuchendpoint');
  await page.locator('#ev-rows tr').first().waitFor({ state: 'detached', timeout: T });
  await page.locator('#ev-filter').fill('a2');
  await expectText(page.locator('#ev-rows tr'), 'policy-deny');
});

await check('events page: the agent log line of a failed net create appears live, with its level', async () => {
  const failed = await api('POST', '/v1/networks', { name: 'logbad', subnet: '10.1.0.0/24' }).then(() => false, () => true);
  if (!failed) throw new Error('net create logbad with neta\'s subnet succeeded');
  const row = page.locator('#log-rows tr').filter({ hasText: 'logbad' }).first();
  await row.waitFor({ timeout: 2000 });
  const cells = await row.locator('td').allTextContents();
  if (cells[1] !== 'info' || !cells[2].includes('net create: failed')) throw new Error(`row: ${cells.join(' | ')}`);
});

await check('events page: the level filter hides info lines at "warn", the text filter keeps only matches', async () => {
  await page.locator('#log-level').selectOption('warn');
  await page.locator('#log-rows tr', { hasText: 'logbad' }).waitFor({ state: 'detached', timeout: T });
  await page.locator('#log-level').selectOption('debug');
  await page.locator('#log-filter').fill('logbad');
  await page.locator('#log-rows tr', { hasText: 'logbad' }).first().waitFor({ timeout: T });
  const others = await page.locator('#log-rows tr').filter({ hasNotText: 'logbad' }).count();
  if (others) throw new Error(`${others} rows without the text`);
  await page.locator('#log-filter').fill('');
  if (UI_SHOTS) await page.screenshot({ path: `${UI_SHOTS}/events.png`, fullPage: true });
});

await check('events page: a page opened later gets the recent log lines too (a policy reload refused)', async () => {
  const refused = await api('POST', '/v1/policy/reload').then(() => false, () => true);
  if (!refused) throw new Error('policy reload without --policy succeeded');
  await page.reload();
  await expectText(page.locator('#log-rows tr'), 'logbad');
  await expectText(page.locator('#log-rows tr'), 'policy reload: failed');
});

await check('policy page: the rule with its hit counter, and explain says deny by it', async () => {
  await page.goto(`${UI_URL}/#policy`);
  const row = page.locator('#rules tr').filter({ hasText: 'ep:a1' });
  await row.first().waitFor({ timeout: T });
  const text = await row.first().textContent();
  if (!text.includes('deny') || !text.includes('policy set rule')) throw new Error(text);
  await page.locator('#ex-from').fill('a1');
  await page.locator('#ex-to').fill('a2');
  await page.locator('#ex-proto').selectOption('tcp');
  await page.locator('#ex-port').fill('80');
  await page.locator('#ex-port').press('Enter');
  await expectText(page.locator('#explain-verdict'), 'deny');
  await expectText(page.locator('#explain-out'), 'policy set rule');
  if (UI_SHOTS) await page.screenshot({ path: `${UI_SHOTS}/policy.png`, fullPage: true });
});

await check('overview: the policy-deny drop counter is above 0', async () => {
  await page.goto(`${UI_URL}/#overview`);
  const row = page.locator('#ov-drops tr').filter({ hasText: 'policy-deny' });
  await row.locator('td.nonzero').first().waitFor({ timeout: T });
  if (UI_SHOTS) await page.screenshot({ path: `${UI_SHOTS}/overview.png`, fullPage: true });
});

await check('no script error on any page', async () => {
  if (errors.length) throw new Error(errors.join('\n'));
});

await browser.close();
process.exit(failed() ? 1 : 0);
