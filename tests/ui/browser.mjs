// Debian's chromium driven by playwright-core, Debian's firefox-esr by puppeteer-core over
// WebDriver BiDi (playwright-core drives only its own patched Firefox); no browser download.
// And TAP output.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A browser with a fresh profile under dir; close() ends it.
export async function launch(dir) {
  const profile = mkdtempSync(join(dir, 'chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, args: ARGS,
    viewport: { width: 1366, height: 800 }, ignoreHTTPSErrors: false,
  });
}

// Firefox with a fresh profile under dir.
export async function launchFirefox(dir) {
  return puppeteer.launch({
    browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true,
    userDataDir: mkdtempSync(join(dir, 'firefox-')), defaultViewport: { width: 1366, height: 800 },
  });
}

let failures = 0;
export function ok(desc) {
  console.log(`ok - ${desc}`);
}
export function notOk(desc, detail) {
  failures++;
  console.log(`not ok - ${desc}`);
  if (detail) for (const line of String(detail).split('\n').slice(0, 15)) console.log(`#   ${line}`);
}
export async function check(desc, fn) {
  try {
    const detail = await fn();
    if (detail === false) notOk(desc);
    else ok(desc);
  } catch (e) {
    notOk(desc, e.stack || e.message);
  }
}
export function failed() {
  return failures;
}
