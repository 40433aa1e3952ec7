// Sign-on with the organisation's OpenID provider (issue 24) in Chromium: the provider is
// tests/oidc-provider/server.mjs (oidc-provider, its development login page accepts any
// name), plusmarkt is configured for it with PLUSMARKT_OIDC_*. A casemanager clicks
// "Inloggen met je organisatie", logs in at the provider and lands on plusmarkt's start page;
// someone without a plusmarkt account gets the Dutch page that says so.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';

import { assertText, checkPage, launchBrowser, openSession } from './lib/browser.mjs';
import { buildBinary, freePort, repoRoot, startServer } from './lib/server.mjs';
import { suite } from './lib/suite.mjs';

const CASEMANAGER = 'casemanager@boxtel.example';
const providerDir = path.join(repoRoot, 'tests', 'oidc-provider');

// Starts the test provider for plusmarkt's redirect URI; its npm packages are installed on
// first use. Returns { issuer, stop() }.
async function startProvider(redirectUri) {
  if (!fs.existsSync(path.join(providerDir, 'node_modules', 'oidc-provider'))) {
    const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: providerDir, stdio: 'inherit' });
    if (npm.status !== 0) throw new Error(`npm ci in ${providerDir} failed (${npm.error || npm.status})`);
  }
  const port = await freePort();
  const child = spawn(process.execPath, ['server.mjs', String(port), redirectUri], {
    cwd: providerDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  const issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (d) => {
      output += d;
      const m = /listening (\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.stderr.on('data', (d) => { output += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the OpenID provider stopped (${code}):\n${output}`)); });
  });
  return {
    issuer,
    async stop() {
      process.removeListener('exit', killOnExit);
      child.kill('SIGTERM');
    },
  };
}

let server;
let browser;
let provider;
const { step, closeSessions } = suite({}, () => ({ server, browser }));

// At the provider's (English, development) login page: any name, any password.
async function loginAtProvider(page, name) {
  await page.waitForURL((url) => url.href.startsWith(`${provider.issuer}/interaction/`));
  await page.locator('input[name="login"]').fill(name);
  await page.locator('input[name="password"]').fill('geheim');
  await page.locator('button[type="submit"]').click();
}

describe('plusmarkt in Chromium: sign-on with the organisation (issue 24)', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    const bin = buildBinary();
    const port = await freePort();
    provider = await startProvider(`http://127.0.0.1:${port}/login/oidc/callback`);
    server = await startServer(bin, {
      port,
      env: {
        PLUSMARKT_OIDC_ISSUER: provider.issuer,
        PLUSMARKT_OIDC_CLIENT_ID: 'plusmarkt',
        PLUSMARKT_OIDC_CLIENT_SECRET: 'plusmarkt-geheim',
      },
    });
    browser = await launchBrowser();
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await closeSessions();
    if (browser) await browser.close();
    if (server) await server.stop();
    if (provider) await provider.stop();
  });

  step('a casemanager clicks "Inloggen met je organisatie" and lands on the start page', async () => {
    const s = await openSession(browser);
    try {
      const { page } = s;
      await page.goto(`${server.baseUrl}/login`);
      await checkPage(s, 'login with sign-on');
      await page.getByRole('link', { name: 'Inloggen met je organisatie' }).click();
      await loginAtProvider(page, CASEMANAGER);
      await page.waitForURL(`${server.baseUrl}/`);
      s.errors.splice(0); // the provider's page is not ours to check
      await assertText(page.getByRole('heading', { level: 1 }), /^Welkom, /);
      const text = await checkPage(s, 'start after sign-on');
      assert.match(text, /Casemanager/);
      assert.match(await page.locator('header').innerText(), /Boxtel/);
    } finally {
      await s.context.close();
    }
  });

  step('someone without a plusmarkt account gets the Dutch page', async () => {
    const s = await openSession(browser);
    try {
      const { page } = s;
      await page.goto(`${server.baseUrl}/login`);
      await page.getByRole('link', { name: 'Inloggen met je organisatie' }).click();
      await loginAtProvider(page, 'onbekend@boxtel.example');
      await page.waitForURL((url) => url.pathname === '/login/oidc/callback');
      s.errors.splice(0, s.errors.length, ...s.errors.filter((e) => e.url.startsWith(server.baseUrl)));
      await assertText(page.getByRole('heading', { level: 1 }), /^Inloggen is niet gelukt$/);
      const text = await checkPage(s, 'sign-on refused', { refused: 401 });
      assert.match(text, /nog geen account in plusmarkt/);
      assert.match(text, /Vraag de beheerder van plusmarkt/);
      // Nothing left behind: the start page still asks to log in.
      await page.goto(`${server.baseUrl}/`);
      await page.waitForURL(`${server.baseUrl}/login`);
    } finally {
      await s.context.close();
    }
  });
});
