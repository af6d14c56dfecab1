// The overview of a cluster (agents with --etcd) in Debian's chromium: every node with its state
// and heartbeat, and a node whose agent is killed shows as dead within TTL + 2 s with no reload
// (the agent's event stream says so: a node's state is no change of the store). Environment: UI_URL, UI_TOKEN, UI_WORK, UI_TTL (the lease TTL in seconds), UI_KILL (a
// command that kill -9s node h2's agent).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { launch, check, failed } from './browser.mjs';

const { UI_URL, UI_TOKEN, UI_WORK, UI_TTL, UI_KILL } = process.env;
const run = promisify(execFile);
const T = 5000;

const browser = await launch(UI_WORK);
const page = await browser.newPage();
page.setDefaultTimeout(T);
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));

const nodeRow = (name) => page.locator('#ov-nodes tr').filter({ has: page.locator('td', { hasText: new RegExp(`^${name}$`) }) });

await check('cluster overview: nodes h1 and h2 are listed as ready, each with its last heartbeat', async () => {
  await page.goto(`${UI_URL}/`);
  await page.locator('#auth-token').fill(UI_TOKEN);
  await page.locator('#auth-token').press('Enter');
  for (const name of ['h1', 'h2']) {
    const row = nodeRow(name);
    await row.filter({ hasText: 'ready' }).waitFor({ timeout: T });
    const text = await row.innerText();
    if (!/\d+\.\d s before/.test(text)) throw new Error(`no heartbeat age in the row of ${name}: ${text}`);
  }
});

await check(`kill -9 of h2's agent: the overview shows h2 dead within TTL + 2 s (${UI_TTL} + 2 s), no reload`, async () => {
  const loads = [];
  page.on('load', () => loads.push(Date.now()));
  const start = Date.now();
  await run('sh', ['-c', UI_KILL]);
  await nodeRow('h2').filter({ hasText: 'dead' }).waitFor({ timeout: (Number(UI_TTL) + 2) * 1000 });
  console.log(`# h2 shown dead ${Date.now() - start} ms after the kill`);
  if (loads.length) throw new Error('the page was reloaded');
  if ((await nodeRow('h1').filter({ hasText: 'ready' }).count()) !== 1) throw new Error(`h1 is not ready: ${await nodeRow('h1').innerText()}`);
});

await check('no script error on the cluster overview', async () => {
  if (errors.length) throw new Error(errors.join('\n'));
});

await browser.close();
process.exit(failed() ? 1 : 0);
