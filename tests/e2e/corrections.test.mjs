// Corrections in Chromium (issue 26), on a fresh plusmarkt with the demo data:
//
// 1. A wrong registration (21 hours instead of 12) is corrected on the trajectory page; a
//    second registration for the same month first asks "aanvulling of vergissing?".
// 2. The month is run and finalised; the 12 hours are credited with "Registratie
//    intrekken" (withdraw) and the next preview bills nothing more for that trajectory.
// 3. An already-billed registration of a second trajectory is corrected (8 → 6 hours); the
//    old line is credited with "Opnieuw factureren" (rebill) and the next preview bills the
//    6 hours. A demo line credited with "Niet opnieuw factureren" (waive) is held with its
//    reason.
// 4. Every button that does something irreversible is clicked once: each answers with a
//    confirmation that says what will happen, and "Terug" leaves everything as it was.
//
// Every page is checked as in the journey (axe, console, Dutch money and dates); each step
// leaves a screenshot in tests/e2e/screenshots/ (names starting with "c").

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';

import { assertText, cents, checkPage, launchBrowser, screenshotDir } from './lib/browser.mjs';
import { buildBinary, startServer } from './lib/server.mjs';
import { suite } from './lib/suite.mjs';

const pad = (n) => String(n).padStart(2, '0');
const iso = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const today = new Date();
today.setHours(0, 0, 0, 0);
// As in the journey: the trajectories start on the first of last month (in January on the
// first of this month, inside this year's demo contract), and that month is invoiced.
const start = today.getMonth() > 0
  ? new Date(today.getFullYear(), today.getMonth() - 1, 1)
  : new Date(today.getFullYear(), 0, 1);
const period = `${start.getFullYear()}-${pad(start.getMonth() + 1)}`;
const nextMonth = new Date(today.getFullYear(), today.getMonth() + 1, 1);

const USERS = {
  admin: 'beheer@wsd.example',
  pricing: 'prijzen@wsd.example',
  casemanager: 'casemanager@boxtel.example',
  wsd: 'consulent@wsd.example',
  finance: 'financien@wsd.example',
};
const HOURS = 'JOBCOACH-UUR';
// BSNs far above the demo's (the first valid ones from 999990000 up) and the journey's.
const CLIENTS = {
  withdrawn: { bsn: '999998018', name: 'Iris Dubbelman' },
  corrected: { bsn: '999998031', name: 'Ruben Nagelkerke' },
};

let server;
let browser;
const state = {};
const { step, session, go, closeSessions, broken } = suite(USERS, () => ({ server, browser }), {
  timeout: 180_000,
  // What each role was looking at when a step failed.
  onFailure: async (_name, sessions) => {
    fs.mkdirSync(screenshotDir, { recursive: true });
    for (const [role, s] of Object.entries(sessions)) {
      await s.page.screenshot({ path: path.join(screenshotDir, `c-failed-${role}.png`), fullPage: true }).catch(() => {});
    }
  },
});

// The registration rows of the hours line on the provider staff's trajectory page.
function registrations(page) {
  return page.locator('section.card', { hasText: HOURS }).locator('table tbody tr');
}

// The preview's lines for Boxtel, opened as a reader would.
async function boxtelPreview(s, shot) {
  const { page } = s;
  await go(s, `/financien?periode=${period}`);
  const details = page.locator('details.preview-lines', { hasText: 'Boxtel' });
  if (await details.count()) {
    await details.locator('summary').click();
  }
  const text = await checkPage(s, `voorbeeld ${period}`, { shot, money: true });
  return { text, lines: details.locator('tbody tr') };
}

// A confirmation page: a question as its title, one "Ja, …" button, and a way back.
async function assertAsks(s, label, shot) {
  const { page } = s;
  const title = await assertText(page.getByRole('heading', { level: 1 }), /\?$/);
  assert.equal(await page.getByRole('button', { name: /^Ja, / }).count(), 1, `${label}: no single "Ja, …" button`);
  await checkPage(s, `${label}: bevestiging`, { shot });
  return title;
}

// Clicks "Terug" (or the page's "Nee, terug …") on a confirmation page.
async function goBack(page) {
  const back = page.getByRole('link', { name: /^(Terug|Nee, terug)/ });
  await back.first().click();
  await page.waitForLoadState('load');
}

describe('plusmarkt in Chromium: corrections and confirmations (issue 26)', { timeout: 45 * 60_000 }, () => {
  before(async () => {
    if (fs.existsSync(screenshotDir)) {
      for (const f of fs.readdirSync(screenshotDir)) if (/^c/.test(f)) fs.rmSync(path.join(screenshotDir, f));
    }
    const bin = buildBinary();
    server = await startServer(bin);
    browser = await launchBrowser();
  }, { timeout: 40 * 60_000 });

  after(async () => {
    await closeSessions();
    if (browser) await browser.close().catch(() => {});
    if (server) {
      if (broken()) console.log(`server output:\n${server.log()}`);
      await server.stop();
    }
  });

  step('the casemanager orders hours for two clients', async () => {
    const s = await session('casemanager');
    const { page } = s;
    for (const [key, client] of Object.entries(CLIENTS)) {
      await go(s, '/klanten');
      const form = page.locator('form[action="/klanten"]');
      await form.getByLabel('BSN').fill(client.bsn);
      await form.getByLabel('Naam').fill(client.name);
      await form.getByRole('button', { name: 'Klant registreren' }).click();
      await page.waitForURL(/\/klanten\/[^/?]+/);
      const clientId = new URL(page.url()).pathname.split('/').pop();

      await go(s, `/bestellen?client=${clientId}&product=${HOURS}`);
      await page.locator('#lines-0-start_date').fill(iso(start));
      await page.locator('#lines-0-quantity').fill('40');
      await page.locator('form.order button[type="submit"]').click();
      await page.waitForURL(/\/trajecten\/[^/?]+\?besteld/);
      state[key] = {
        id: new URL(page.url()).pathname.split('/').pop(),
        number: (await page.getByRole('heading', { level: 1 }).innerText()).replace(/^Traject\s+/, '').trim(),
      };
      await checkPage(s, `traject besteld (${client.name})`, { money: true, dates: true });
    }

    // Cancelling asks first; "Terug" leaves the order as it was.
    await go(s, `/trajecten/${state.withdrawn.id}`);
    await page.getByRole('button', { name: 'Annuleren' }).click();
    await assertAsks(s, 'traject annuleren', 'c01-annuleren-bevestigen');
    await goBack(page);
    await go(s, `/trajecten/${state.withdrawn.id}`);
    assert.equal(await page.getByRole('button', { name: 'Annuleren' }).count(), 1, 'the trajectory was cancelled without a confirmation');
  });

  step('WSD staff accept both and start them', async () => {
    const s = await session('wsd');
    const { page } = s;
    for (const t of Object.values(state)) {
      await go(s, '/wsd/intake');
      const card = page.locator('section.card', { has: page.getByRole('link', { name: t.number }) });
      await card.getByRole('button', { name: 'Accepteren' }).click();
      await page.waitForURL(/\/wsd\/intake\?gedaan=/);
      await go(s, `/wsd/trajecten/${t.id}`);
      const line = page.locator('section.card', { hasText: HOURS });
      await line.getByLabel('Startdatum').fill(iso(start));
      await line.getByRole('button', { name: 'Start registreren' }).click();
      await page.waitForURL(/gedaan=/);
    }
    await checkPage(s, 'wsd traject gestart', { dates: true });
  });

  step('a wrong registration is corrected on the page, and a second one for the month asks first', async () => {
    const s = await session('wsd');
    const { page } = s;
    const t = state.withdrawn;
    await go(s, `/wsd/trajecten/${t.id}`);
    const line = () => page.locator('section.card', { hasText: HOURS });
    const register = async (hours, note) => {
      await line().getByLabel('Maand (JJJJ-MM)').fill(period);
      await line().getByLabel(/^Aantal/).fill(hours);
      await line().getByLabel('Toelichting').fill(note);
      await line().getByRole('button', { name: 'Levering registreren' }).click();
    };
    await register('21', 'Verkeerde regel overgenomen');
    await page.waitForURL(/gedaan=/);
    await assertText(registrations(page).filter({ hasText: 'Verkeerde regel overgenomen' }), /21/);
    await checkPage(s, 'wsd: 21 uur geregistreerd', { shot: 'c02-wsd-verkeerde-registratie', dates: true });

    // The same month again: "aanvulling of vergissing?" before anything is saved.
    await register('12', 'Twaalf uur begeleiding');
    await assertText(page.getByRole('heading', { level: 1 }), /^Aanvulling of vergissing\?$/);
    await checkPage(s, 'aanvulling of vergissing', { shot: 'c03-aanvulling-of-vergissing' });
    await page.getByRole('button', { name: 'Annuleren (niets opslaan)' }).click();
    // Back on the trajectory page, with what was typed kept and nothing saved.
    await page.waitForLoadState('load');
    await assertText(page.getByRole('heading', { level: 1 }), new RegExp(`^Traject ${t.number}$`));
    assert.equal(await registrations(page).filter({ hasText: 'Twaalf uur begeleiding' }).count(), 0, 'saved although cancelled');

    // "Corrigeren" on the row: a prefilled form that replaces it.
    const wrong = registrations(page).filter({ hasText: 'Verkeerde regel overgenomen' });
    await wrong.getByRole('link', { name: 'Corrigeren' }).click();
    const form = page.locator('tr.correction form');
    assert.equal(await form.getByLabel(/^Juiste aantal/).inputValue(), '21', 'the correction form is not prefilled');
    await checkPage(s, 'correctieformulier', { shot: 'c04-corrigeren' });
    await form.getByLabel(/^Juiste aantal/).fill('12');
    await form.getByLabel('Toelichting').fill('Twaalf uur begeleiding');
    await form.getByRole('button', { name: 'Correctie opslaan' }).click();
    await page.waitForURL(/gedaan=/);
    // The history stays: the 21 hours struck through, the 12 hours counting.
    const struck = registrations(page).filter({ has: page.locator('del', { hasText: 'Verkeerde regel overgenomen' }) });
    assert.equal(await struck.count(), 1, 'the replaced registration is not shown struck through');
    await assertText(struck, /vervangen/);
    await assertText(registrations(page).filter({ hasText: 'Twaalf uur begeleiding' }).first(), /12/);
    await checkPage(s, 'wsd: gecorrigeerd', { shot: 'c05-wsd-gecorrigeerd', dates: true });

    // The second trajectory: 8 hours, which will be billed and then corrected.
    await go(s, `/wsd/trajecten/${state.corrected.id}`);
    await register('8', 'Acht uur op de werkplek');
    await page.waitForURL(/gedaan=/);
  });

  step('finance preview, run and finalise the month', async () => {
    const s = await session('finance');
    const { page } = s;
    const { lines } = await boxtelPreview(s, 'c06-voorbeeld-met-regels');
    await assertText(lines.filter({ hasText: state.withdrawn.number }), /12/);
    await assertText(lines.filter({ hasText: state.corrected.number }), /8/);
    await page.getByRole('button', { name: /^Run uitvoeren/ }).click();
    await page.waitForURL(/\/facturen\?/);
    await page.locator('tbody tr', { hasText: 'Boxtel' }).getByRole('link').first().click();
    await page.getByRole('button', { name: 'Definitief maken' }).click();
    await assertAsks(s, 'definitief maken', 'c07-definitief-bevestigen');
    await page.getByRole('button', { name: /^Ja, maak de factuur definitief/ }).click();
    const heading = await assertText(page.getByRole('heading', { level: 1 }), /^Factuur \d{4}-\d{6}$/);
    state.invoiceNumber = heading.replace(/^Factuur /, '');
    state.invoicePath = new URL(page.url()).pathname;
    await checkPage(s, 'definitieve factuur', { shot: 'c08-factuur', money: true, dates: true });
  });

  step('an already-billed registration is corrected, and the page says what the next run does', async () => {
    const s = await session('wsd');
    const { page } = s;
    await go(s, `/wsd/trajecten/${state.corrected.id}`);
    const billed = registrations(page).filter({ hasText: 'Acht uur op de werkplek' });
    await assertText(billed, new RegExp(`gefactureerd op factuur ${state.invoiceNumber}`));
    await billed.getByRole('link', { name: 'Corrigeren' }).click();
    const form = page.locator('tr.correction form');
    await form.getByLabel(/^Juiste aantal/).fill('6');
    await form.getByLabel('Toelichting').fill('Zes uur: twee sessies vervielen');
    await form.getByRole('button', { name: 'Correctie opslaan' }).click();
    await page.waitForURL(/gedaan=/);
    await assertText(page.locator('section.card', { hasText: HOURS }).locator('p.note'), /De volgende factuurrun factureert dan de nieuwe registratie/);
    await checkPage(s, 'wsd: gefactureerde registratie gecorrigeerd', { shot: 'c09-wsd-gefactureerd-gecorrigeerd', dates: true });

    const finance = await session('finance');
    const { text, lines } = await boxtelPreview(finance, 'c10-voorbeeld-na-correctie');
    // The new registration is billed; the old line waits for finance to credit it.
    await assertText(lines.filter({ hasText: state.corrected.number }), /6/);
    assert.match(text, /Te beoordelen/);
  });

  step('finance credit with a disposition: withdraw, rebill and waive', async () => {
    const s = await session('finance');
    const { page } = s;
    const credit = async (trajectory, disposition, reason, shot) => {
      await go(s, state.invoicePath);
      const group = page.locator('table.invoice tbody', { hasText: trajectory ?? '' });
      const row = trajectory
        ? group.locator('tr', { has: page.getByRole('checkbox') }).first()
        : page.locator('table.invoice tbody tr', { has: page.getByRole('checkbox') })
          .filter({ hasNotText: state.withdrawn.number })
          .filter({ hasNotText: state.corrected.number })
          .first();
      const amount = cents(await row.locator('td').last().innerText());
      await row.getByRole('checkbox').check();
      await page.getByLabel(disposition, { exact: true }).check();
      await page.getByLabel('Reden van de creditering').fill(reason);
      await page.getByRole('button', { name: 'Creditnota maken' }).click();
      // What will happen is said before the credit note gets its number.
      await assertText(page.locator('main'), new RegExp(`${disposition}: `));
      await assertAsks(s, `crediteren (${disposition})`, `${shot}-bevestigen`);
      await page.getByRole('button', { name: 'Ja, maak de creditnota' }).click();
      await assertText(page.getByRole('heading', { level: 1 }), /^Creditnota \d{4}-\d{6}$/);
      const text = await checkPage(s, `creditnota (${disposition})`, { shot, money: true, dates: true });
      assert.match(text, new RegExp(reason));
      const net = cents(await page.locator('table.totals tr', { hasText: 'Totaal excl. btw' }).innerText());
      assert.equal(net, -amount, 'the credit note is the credited line, negative');
      return { amount, row: await (trajectory ? group : page.locator('table.invoice')).innerText() };
    };
    await credit(state.withdrawn.number, 'Registratie intrekken', 'Cliënt is niet verschenen', 'c11-creditnota-intrekken');
    await credit(state.corrected.number, 'Opnieuw factureren', 'Twee sessies vervielen', 'c12-creditnota-opnieuw');
    state.waived = await credit(null, 'Niet opnieuw factureren', 'Coulance na klacht', 'c13-creditnota-coulance');

    // The invoice says per line what happened.
    await go(s, state.invoicePath);
    const text = await checkPage(s, 'factuur met creditnota\'s', { shot: 'c14-factuur-gecrediteerd', money: true, dates: true });
    assert.match(text, /registratie ingetrokken, niets meer te factureren/);
    assert.match(text, /wordt opnieuw gefactureerd/);
    assert.match(text, /niet opnieuw te factureren/);
  });

  step('the next preview bills nothing more for the withdrawn work, the correction once, and holds the waived', async () => {
    const s = await session('finance');
    const { text, lines } = await boxtelPreview(s, 'c15-voorbeeld-na-creditering');
    assert.equal(await lines.filter({ hasText: state.withdrawn.number }).count(), 0, 'the withdrawn work is billed again');
    const corrected = lines.filter({ hasText: state.corrected.number });
    assert.equal(await corrected.count(), 1, 'the corrected work is not billed exactly once');
    await assertText(corrected, /6/);
    assert.match(text, /Aangehouden/);
    assert.match(text, /Coulance na klacht/);

    // Provider staff see the withdrawal in the history, struck through.
    const wsd = await session('wsd');
    await go(wsd, `/wsd/trajecten/${state.withdrawn.id}`);
    const struck = registrations(wsd.page).filter({ has: wsd.page.locator('del', { hasText: 'Twaalf uur begeleiding' }) });
    assert.equal(await struck.count(), 1, 'the withdrawn registration is not shown struck through');
    await checkPage(wsd, 'wsd: ingetrokken', { shot: 'c16-wsd-ingetrokken', dates: true });
  });

  // -- every irreversible button, once ------------------------------------------------------

  step('finance: finalise, discard, send and mark paid each ask first', async () => {
    const s = await session('finance');
    const { page } = s;
    // Another municipality's draft from the run.
    await go(s, '/facturen?status=draft');
    await page.locator('tbody tr').first().getByRole('link').first().click();
    const draft = new URL(page.url()).pathname;
    for (const [button, shot] of [['Definitief maken', 'c20'], ['Concept weggooien', 'c21']]) {
      await page.getByRole('button', { name: button }).click();
      await assertAsks(s, button, `${shot}-${button.toLowerCase().replace(/ /g, '-')}`);
      await goBack(page);
      await go(s, draft);
      await assertText(page.locator('dl.facts'), /concept/);
    }
    // Sending the final invoice.
    await go(s, state.invoicePath);
    await page.getByRole('button', { name: 'Versturen naar de gemeente' }).click();
    const title = await assertAsks(s, 'versturen', 'c22-versturen');
    assert.match(title, new RegExp(`${state.invoiceNumber} versturen\\?`));
    await assertText(page.locator('main'), /kan niet worden teruggehaald/);
    await goBack(page);
    await go(s, state.invoicePath);
    await assertText(page.locator('dl.facts'), /definitief/);
    // Marking a sent demo invoice as paid.
    await go(s, '/facturen?status=sent');
    await page.locator('tbody tr').first().getByRole('link').first().click();
    const sent = new URL(page.url()).pathname;
    await page.getByRole('button', { name: 'Markeren als betaald' }).click();
    await assertAsks(s, 'betaald', 'c23-betaald');
    await goBack(page);
    await go(s, sent);
    await assertText(page.locator('dl.facts'), /verzonden/);
  });

  step('WSD staff: completing and stopping a line each ask first', async () => {
    const s = await session('wsd');
    const { page } = s;
    for (const [button, fields, shot] of [
      ['Afronden', { 'Afgerond op': iso(today) }, 'c24-afronden'],
      ['Stoppen', { 'Gestopt op': iso(today), Reden: 'Verhuisd' }, 'c25-stoppen'],
    ]) {
      await go(s, `/wsd/trajecten/${state.corrected.id}`);
      const line = page.locator('section.card', { hasText: HOURS });
      for (const [label, value] of Object.entries(fields)) await line.getByLabel(label, { exact: true }).fill(value);
      await line.getByRole('button', { name: button }).click();
      await assertAsks(s, button, shot);
      await goBack(page);
      await go(s, `/wsd/trajecten/${state.corrected.id}`);
      assert.equal(await page.locator('section.card', { hasText: HOURS }).getByRole('button', { name: button }).count(), 1, `${button} happened without a confirmation`);
    }
  });

  step('pricing staff: withdrawing a planned price, retiring a product and activating a contract each ask first', async () => {
    const s = await session('pricing');
    const { page } = s;
    await go(s, '/prijzen/producten/REI-WERKFIT');
    await page.getByLabel('Geldig vanaf (datum)').fill(iso(nextMonth));
    await page.getByLabel(/^Bedrag in euro/).fill('2.400,00');
    await page.getByRole('button', { name: 'Tarief toevoegen' }).click();
    await assertText(page.locator('.flash'), /Het tarief is opgeslagen/);
    await page.getByRole('link', { name: 'Intrekken' }).first().click();
    await assertAsks(s, 'tarief intrekken', 'c26-tarief-intrekken');
    await goBack(page);
    await go(s, '/prijzen/producten/REI-WERKFIT');
    assert.equal(await page.getByRole('link', { name: 'Intrekken' }).count(), 1, 'the planned price was withdrawn without a confirmation');

    await page.getByRole('button', { name: 'Product laten vervallen' }).click();
    await assertAsks(s, 'product laten vervallen', 'c27-product-vervallen');
    await goBack(page);
    await go(s, '/prijzen/producten/REI-WERKFIT');
    assert.equal(await page.getByRole('button', { name: 'Product laten vervallen' }).count(), 1, 'the product was retired without a confirmation');

    // A draft contract two years ahead, then "Contract activeren".
    const year = today.getFullYear() + 2;
    await go(s, '/prijzen/contracten');
    const form = page.locator('form', { has: page.getByRole('button', { name: 'Concept aanmaken' }) });
    const boxtel = await form.locator('#municipality option', { hasText: 'Boxtel' }).getAttribute('value');
    await form.locator('#municipality').selectOption(boxtel);
    await form.locator('#valid_from').fill(`${year}-01-01`);
    await form.locator('#valid_to').fill(`${year}-12-31`);
    await form.getByRole('button', { name: 'Concept aanmaken' }).click();
    await page.waitForURL(/\/prijzen\/contracten\/[^/?]+/);
    const contract = new URL(page.url()).pathname;
    await page.getByRole('button', { name: 'Contract activeren' }).click();
    await assertAsks(s, 'contract activeren', 'c28-contract-activeren');
    await assertText(page.locator('main'), /gaat niet terug naar concept/);
    await goBack(page);
    await go(s, contract);
    assert.equal(await page.getByRole('button', { name: 'Contract activeren' }).count(), 1, 'the contract was activated without a confirmation');
  });

  step('the administrator: deactivating a user and suspending a provider each ask first', async () => {
    const s = await session('admin');
    const { page } = s;
    await go(s, '/beheer/gebruikers');
    await page.getByRole('link', { name: USERS.casemanager }).first().click();
    const user = new URL(page.url()).pathname;
    await page.getByRole('link', { name: 'Deactiveren…' }).click();
    await assertAsks(s, 'gebruiker deactiveren', 'c29-gebruiker-deactiveren');
    await goBack(page);
    await go(s, user);
    assert.equal(await page.getByRole('link', { name: 'Deactiveren…' }).count(), 1, 'the user was deactivated without a confirmation');

    await go(s, '/beheer/aanbieders');
    await page.getByRole('link', { name: 'schorsen' }).first().click();
    await assertAsks(s, 'aanbieder schorsen', 'c30-aanbieder-schorsen');
    await goBack(page);
    await go(s, '/beheer/aanbieders');
    assert.ok(await page.getByRole('link', { name: 'schorsen' }).count() >= 1, 'the provider was suspended without a confirmation');
  });
});
