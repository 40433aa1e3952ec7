// A first start as a new user makes it (issue 27): the release binary (what the README's
// `cargo run --release` runs), started in an empty folder with nothing but
// PLUSMARKT_DATABASE_URL=sqlite://plusmarkt.sqlite and a port. Every role logs in and walks
// its start page and daily pages on the demo: none empty, no English message, no stale
// contract (next year's contracts are there), municipalities by name. Screenshots go to
// tests/e2e/screenshots/first-start-*.png.
//
// Run: `npm ci && node --test` in tests/e2e (see README.md, "Test it").

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { checkPage, launchBrowser, login, openSession } from './lib/browser.mjs';
import { buildBinary, startServer } from './lib/server.mjs';

const year = new Date().getFullYear();
const lastMonth = (() => {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
})();

// Words of English messages that a Dutch page must not show (serde, Rocket, sea-orm and
// our own code in English); matched as whole words in the visible text of <main>.
const ENGLISH =
  /\b(the|error|invalid|unknown|expected|failed|not found|missing field|unable|internal server|null|undefined|NaN)\b/i;

// Per role: the pages of a working day, and what each must show. `rows`: at least that
// many table rows in <main>; `text`: a pattern the visible text must match.
const ROLES = [
  {
    email: 'casemanager@boxtel.example',
    pages: [
      { path: '/', text: /voor de gemeente Boxtel\b/ },
      { path: '/cafetaria', text: /Jobcoaching/i },
      { path: '/klanten', rows: 5 },
      { path: '/trajecten', rows: 10, text: /aangevraagd/ },
      { path: '/facturen', rows: 3, text: /betaald/ },
      { path: '/inzicht', rows: 5 },
      { path: '/contract', rows: 5 },
    ],
  },
  {
    email: 'consulent@wsd.example',
    pages: [
      { path: '/', text: /Trajecten/ },
      { path: '/wsd/intake', text: /Accepteren/ },
      { path: '/wsd/trajecten', rows: 10, text: /gestart/ },
    ],
  },
  {
    email: 'financien@wsd.example',
    pages: [
      { path: '/', text: /Factuurrun/ },
      { path: '/financien', text: /Kies een maand/ },
      // Last month is left for finance to run on first start.
      { path: `/financien?periode=${lastMonth}`, rows: 2, text: /Run uitvoeren/ },
      { path: '/facturen', rows: 10, text: /Creditnota/ },
    ],
  },
  {
    email: 'prijzen@wsd.example',
    pages: [
      { path: '/', text: /Contracten/ },
      // Not stale: next year's contracts are agreed.
      { path: '/prijzen/contracten', rows: 10, text: new RegExp(`t/m 31-12-${year + 1}`) },
      { path: '/prijzen/producten', rows: 10 },
    ],
  },
  {
    email: 'beheer@wsd.example',
    pages: [
      { path: '/', text: /Gebruikers/ },
      { path: '/beheer/gebruikers', rows: 5, text: /Boxtel/ },
      { path: '/beheer/aanbieders', rows: 1 },
    ],
  },
  {
    email: 'consulent@werkpad.example',
    pages: [{ path: '/wsd/trajecten', rows: 10 }],
  },
  {
    email: 'financien@werkpad.example',
    pages: [{ path: '/facturen', rows: 5, text: /WERKPAD-/ }],
  },
];

describe('a first start of the release binary in an empty folder (issue 27)', { timeout: 30 * 60_000 }, () => {
  let server;
  let browser;

  before(async () => {
    const bin = buildBinary({ release: true });
    server = await startServer(bin, { bare: true });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('creates its database beside it and prints the demo logins', () => {
    assert.ok(fs.existsSync(path.join(server.dir, 'plusmarkt.sqlite')), server.log());
    assert.match(server.log(), /casemanager@boxtel\.example/);
    assert.doesNotMatch(server.log(), /\b(ERROR|panicked)\b/);
  });

  for (const role of ROLES) {
    it(`${role.email}: every daily page shows something, in Dutch`, async () => {
      const session = await openSession(browser);
      try {
        await login(session, server.baseUrl, role.email);
        for (const p of role.pages) {
          const response = await session.page.goto(`${server.baseUrl}${p.path}`);
          assert.equal(response.status(), 200, `${p.path} as ${role.email}`);
          const shot = `first-start-${role.email.replace(/[@.]/g, '-')}${p.path.replace(/\//g, '-')}`;
          const text = await checkPage(session, `${p.path} (${role.email})`, { shot });
          const english = text.match(ENGLISH);
          assert.equal(english, null, `English on ${p.path} as ${role.email}: "${english?.[0]}"`);
          assert.doesNotMatch(text, /(?<!\()\bGM\d{4}\b/, `a GM code instead of a name on ${p.path}`);
          if (p.rows) {
            const rows = await session.page.locator('main tbody tr').count();
            assert.ok(rows >= p.rows, `${p.path} as ${role.email}: ${rows} rows, expected at least ${p.rows}`);
          }
          if (p.text) assert.match(text, p.text, `${p.path} as ${role.email}`);
        }
      } finally {
        await session.context.close();
      }
    });
  }
});
