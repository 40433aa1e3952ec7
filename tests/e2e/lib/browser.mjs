// Debian's Chromium through playwright-core, and the checks every visited page must pass.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const screenshotDir = path.resolve(here, '..', 'screenshots');
export const DEMO_PASSWORD = 'plusmarkt-demo-2026';

export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

// Everything the checks found over the whole run, for the closing figures.
export const tally = {
  pages: new Set(),
  checks: 0,
  violations: [], // { page, id, impact, nodes, help }
  review: [], // axe's "incomplete": could not decide, a person should look
};

// A logged-out browser context for one user, with Dutch locale and the console watched.
// Returns { context, page, errors } where errors collects console errors and page errors.
export async function openSession(browser, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({
    locale: 'nl-NL',
    timezoneId: Intl.DateTimeFormat().resolvedOptions().timeZone,
    viewport,
  });
  context.setDefaultTimeout(15_000);
  const errors = [];
  context.on('page', (p) => watch(p, errors));
  const page = await context.newPage();
  return { context, page, errors };
}

function watch(page, errors) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      errors.push({ text: `console: ${msg.text()}`, url: msg.location().url || page.url() });
    }
  });
  page.on('pageerror', (err) => errors.push({ text: `pageerror: ${err.message}`, url: page.url() }));
}

export async function login(session, baseUrl, email, shots, name) {
  const { page } = session;
  await page.goto(`${baseUrl}/login`);
  await checkPage(session, `login (${email})`, { shot: shots && `${shots}-login` });
  await page.getByLabel('E-mailadres').fill(email);
  await page.getByLabel('Wachtwoord').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Inloggen' }).click();
  await page.waitForURL(`${baseUrl}/`);
  await assertText(page.getByRole('heading', { level: 1 }), /^Welkom, /);
  await checkPage(session, `start (${name || email})`);
}

export async function assertText(locator, pattern) {
  const text = (await locator.innerText()).trim();
  assert.match(text, pattern, `"${text}" does not match ${pattern}`);
  return text;
}

// The checks on every page: axe-core (no serious or critical violations), no console
// errors since the last check, Dutch money and dates where shown, and a screenshot.
//
// `refused`: the page is a form sent back with its errors, under that HTTP status (422);
// Chromium logs that status of the document itself as a console error, which is then
// expected. Any other console error still fails.
export async function checkPage(session, label, { shot, money = false, dates = false, refused } = {}) {
  const { page, errors } = session;
  await page.waitForLoadState('load');
  const url = new URL(page.url());
  tally.pages.add(`${url.pathname.replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/gi, '<id>')}`);
  tally.checks += 1;

  // The pages allow only same-origin scripts (CSP script-src 'self'), so axe cannot be
  // added as an inline <script>; evaluating it through the DevTools protocol is not
  // subject to the page's CSP and leaves the page as it is.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document),
  );
  assert.ok(result.passes.length > 10, `axe did not run its rules on ${label}`);
  for (const v of result.incomplete) {
    tally.review.push({ page: label, id: v.id, impact: v.impact, nodes: v.nodes.length, targets: v.nodes.map((n) => `${n.target.join(' ')}: ${n.any.concat(n.all, n.none).map((c) => c.message).join('; ')}`) });
  }
  for (const v of result.violations) {
    tally.violations.push({ page: label, id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help });
  }
  const grave = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const describe = (vs) =>
    vs
      .map((v) => `  ${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n')}`)
      .join('\n');
  const minor = result.violations.filter((v) => !grave.includes(v));
  if (minor.length) console.log(`axe, ${label}: minor/moderate findings\n${describe(minor)}`);

  if (shot) {
    fs.mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, `${shot}.png`), fullPage: true });
  }

  assert.equal(grave.length, 0, `axe found serious or critical violations on ${label} (${page.url()}):\n${describe(grave)}`);
  const seen = errors
    .splice(0)
    .filter((e) => !(refused && e.url === page.url() && e.text.includes(`status of ${refused} `)))
    .map((e) => `${e.text} (${e.url})`);
  assert.deepEqual(seen, [], `console errors on ${label}`);

  const text = await page.locator('main').innerText();
  if (money) assertDutchMoney(text, label);
  if (dates) assertDutchDates(text, label);
  // Never an ISO date or an English amount in what people read, whether asked or not.
  assert.doesNotMatch(text, /\b\d{4}-\d{2}-\d{2}\b/, `${label}: an ISO date (jjjj-mm-dd) on the page`);
  assert.doesNotMatch(text, /€\s*\d+(,\d{3})*\.\d{2}(?!\d)/, `${label}: an amount in English notation`);
  return text;
}

const MONEY = /€\s-?\d{1,3}(\.\d{3})*,\d{2}(?!\d)/;
const DATE = /\b(0[1-9]|[12]\d|3[01])-(0[1-9]|1[0-2])-\d{4}\b/;

export function assertDutchMoney(text, label) {
  assert.match(text, MONEY, `${label}: no amount in the form € 1.234,56`);
}

export function assertDutchDates(text, label) {
  assert.match(text, DATE, `${label}: no date in the form dd-mm-jjjj`);
}

// `€ 1.234,56` → 123456 and `-€ 1.234,56` → -123456 (cents, to stay exact).
export function cents(text) {
  const m = text.match(/(-?)€\s(-?)([\d.]+),(\d{2})/);
  assert.ok(m, `no amount in "${text}"`);
  return (m[1] || m[2] ? -1 : 1) * (Number(m[3].replace(/\./g, '')) * 100 + Number(m[4]));
}

// At a narrow viewport: no horizontal scrolling, and each given control is visible and
// fits within the width.
export async function assertFitsWidth(page, label, controls) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${label}: scrolls sideways at ${innerWidth} px (page is ${scrollWidth} px wide)`);
  for (const control of controls) {
    await control.scrollIntoViewIfNeeded();
    assert.ok(await control.isVisible(), `${label}: ${control} not visible`);
    const box = await control.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= innerWidth + 0.5, `${label}: ${control} sticks out (${JSON.stringify(box)})`);
  }
}

// Presses Tab (at most `max` times) until the focused element matches `selector`, and
// checks that it shows a visible focus outline.
export async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const hit = await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
    if (hit) {
      const outline = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement);
        return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
      assert.ok(outline.style !== 'none' && outline.width >= 2, `focus on ${selector} is not visible (${JSON.stringify(outline)})`);
      return;
    }
  }
  throw new Error(`${selector} not reached with ${max} Tab presses`);
}

// Types a date into the focused date field with the keyboard. The order of the field's
// parts follows the browser's language (Debian's Chromium without chromium-l10n has only
// en-US: mm/dd/jjjj), so a first entry finds the order, and the arrow keys go back.
export async function typeDate(page, selector, date) {
  const field = page.locator(selector);
  await page.keyboard.type('01022000');
  const probe = await field.inputValue();
  const dayFirst = probe === '2000-02-01';
  assert.ok(dayFirst || probe === '2000-01-02', `unknown order of the date field's parts (${probe})`);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const [y, m, d] = date.split('-');
  await page.keyboard.type(dayFirst ? `${d}${m}${y}` : `${m}${d}${y}`);
  assert.equal(await field.inputValue(), date, `date typed into ${selector}`);
}

// After a refused form: the field is marked invalid and its message is next to it, tied
// to the field with aria-describedby, so a screen reader reads it with the field.
export async function assertFieldError(field, pattern) {
  assert.equal(await field.getAttribute('aria-invalid'), 'true', `${field} is not marked aria-invalid`);
  const description = await field.evaluate((el) =>
    (el.getAttribute('aria-describedby') || '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' ')
      .trim(),
  );
  assert.match(description, pattern, `${field}: its error message is not tied to it`);
}
