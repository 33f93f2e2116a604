// The dashboards read without JavaScript: every dashboard page (all products, one
// product, a chosen period) loads in a browser with JavaScript off, draws each chart as
// SVG with no script that parses as XML beside its table, and axe-core finds no WCAG 2.1
// A or AA violation in the document that browser shows.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { REFERENCE_PATTERN, apiChallengeHeaders, setUpFirstAdmin, startDesk, submitAndWait } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const ADMIN = { email: 'lead@desk.example', password: 'correct horse battery staple' };

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

async function submitReportByApi(report) {
  const response = await fetch(`${desk.baseUrl}/api/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await apiChallengeHeaders(desk.baseUrl)) },
    body: JSON.stringify(report),
  });
  const body = await response.json();
  assert.equal(response.status, 201, `report accepted: ${JSON.stringify(body)}`);
  assert.match(body.reference, REFERENCE_PATTERN);
  return body.reference;
}

/** Moves the open report page to `to` through the triage panel. */
async function move(page, to, { reason = '', duplicateOf = '' } = {}) {
  const panel = page.getByRole('complementary', { name: 'Triage' });
  await panel.locator('#to').selectOption(to);
  if (duplicateOf) await panel.locator('#duplicate_of').fill(duplicateOf);
  if (reason) await panel.locator('#reason').fill(reason);
  await submitAndWait(page, panel.getByRole('button', { name: 'Move', exact: true }));
  const problem = page.locator('.error-summary');
  if (await problem.count()) assert.fail(`move to ${to} refused: ${await problem.innerText()}`);
}

/** The admin signed in, a product, and reports in several states, so every panel has rows. */
async function seed(page) {
  const [, setupUrl] = await desk.waitForStdout(/^(http:\/\/\S+\/staff\/setup\/\S+)$/);
  await setUpFirstAdmin(page, setupUrl, ADMIN);
  assert.equal(new URL(page.url()).pathname, '/staff');
  await page.goto(`${desk.baseUrl}/staff/products`);
  await page.locator('#name').fill('Shop');
  await page.locator('#team').fill('Web');
  await page.locator('#criticality').selectOption('high');
  await page.locator('#hostnames').fill('shop.example.org');
  await submitAndWait(page, page.getByRole('button', { name: 'Save product' }));
  assert.equal(await page.locator('.error-summary').count(), 0, 'the product is accepted');

  const report = (title) => ({
    title,
    asset: 'https://shop.example.org/cart',
    weakness: 'CWE-79',
    severity: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N',
    summary: 'The gift note of a cart item is rendered without escaping on the cart page.',
    steps_to_reproduce: '1. Add any item to the cart.\n2. Set its gift note to <img src=x onerror=alert(1)>.\n3. Open /cart.',
    impact: 'Script runs in the shop origin for anyone who views the shared cart.',
  });
  const triaged = await submitReportByApi(report('Stored XSS in the cart item note'));
  const duplicate = await submitReportByApi(report('XSS through the gift note'));
  await submitReportByApi(report('Gift note shown unescaped'));

  await page.goto(`${desk.baseUrl}/staff/reports/${triaged}`);
  await page.locator('#message-body').fill('Thank you, we can reproduce it and are working on a fix.');
  await submitAndWait(page, page.getByRole('button', { name: 'Send to the finder' }));
  await move(page, 'triaged', { reason: 'Reproduced on the live shop.' });
  await page.goto(`${desk.baseUrl}/staff/reports/${duplicate}`);
  await move(page, 'duplicate', { duplicateOf: triaged, reason: `Same flaw as ${triaged}.` });
}

/**
 * axe-core's WCAG 2.1 A and AA violations in the document a browser without JavaScript
 * shows, as readable lines. axe needs timers, which do not run while scripts are off, so
 * the document is audited in `auditor` (scripts on) at the same address, with the same
 * headers and stylesheets, exactly as the scriptless browser received and built it.
 */
async function wcagViolations(auditor, url, headers, html) {
  const page = await auditor.newPage();
  try {
    await page.route(url, (route) => route.fulfill({ status: 200, headers, body: html }));
    await page.goto(url);
    return await runAxe(page);
  } finally {
    await page.close();
  }
}

async function runAxe(page) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG_21_AA,
  );
  return results.violations.map(
    (violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  );
}

/** Each chart's SVG: no script, no event handler, and well-formed XML. */
async function chartProblems(page) {
  return page.locator('.chart svg').evaluateAll((charts) =>
    charts.flatMap((chart, index) => {
      const problems = [];
      const source = new XMLSerializer().serializeToString(chart);
      const parsed = new DOMParser().parseFromString(source, 'image/svg+xml');
      if (parsed.getElementsByTagName('parsererror').length > 0) problems.push(`chart ${index}: not XML`);
      if (chart.querySelector('script, foreignObject')) problems.push(`chart ${index}: script or foreign content`);
      for (const element of [chart, ...chart.querySelectorAll('*')]) {
        for (const attribute of element.attributes) {
          if (/^on/i.test(attribute.name) || /javascript:/i.test(attribute.value)) {
            problems.push(`chart ${index}: ${element.localName} ${attribute.name}`);
          }
        }
      }
      return problems;
    }),
  );
}

test('every dashboard page reads with JavaScript off and meets WCAG 2.1 AA', { timeout: 180_000 }, async () => {
  const seeding = await desk.browser.newContext();
  const storageState = await (async () => {
    try {
      await seed(await seeding.newPage());
      return await seeding.storageState();
    } finally {
      await seeding.close();
    }
  })();

  const context = await desk.browser.newContext({ javaScriptEnabled: false, storageState });
  // axe is put into the page by the test, past the page's script policy.
  const auditor = await desk.browser.newContext({ storageState, bypassCSP: true });
  try {
    const page = await context.newPage();
    const scripts = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(request.url());
    });
    await page.goto(`${desk.baseUrl}/staff/insights`);
    assert.equal(await page.locator('h1').innerText(), 'Dashboard: all products');
    const productId = await page.locator('#product option', { hasText: 'Shop' }).getAttribute('value');
    assert.match(productId, /^\d+$/);

    // The product and the period are chosen with the form, which needs no script.
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10);
    await page.locator('#product').selectOption(productId);
    await page.locator('#from').fill(from);
    await page.locator('#to').fill(today);
    await submitAndWait(page, page.getByRole('button', { name: 'Show' }));
    const chosen = new URL(page.url());
    assert.equal(chosen.pathname, '/staff/insights');
    assert.equal(chosen.searchParams.get('product'), productId);
    assert.equal(await page.locator('h1').innerText(), 'Dashboard: Shop');

    const pages = [
      '/staff/insights',
      `/staff/insights?product=${productId}`,
      `/staff/insights?from=${from}&to=${today}`,
      `/staff/insights?from=${from}&to=${today}&product=${productId}`,
    ];
    for (const path of pages) {
      const response = await page.goto(`${desk.baseUrl}${path}`);
      assert.equal(response.status(), 200, path);
      const panels = await page.locator('section.insight').count();
      assert.ok(panels >= 8, `${path}: the dashboards' panels (${panels})`);
      assert.equal(await page.locator('section.insight .chart svg').count(), panels, `${path}: a chart in every panel`);
      assert.equal(await page.locator('section.insight table').count(), panels, `${path}: a table beside every chart`);
      const rows = await page.locator('section.insight table tbody tr').count();
      assert.ok(rows > 0, `${path}: the tables have numbers`);
      assert.deepEqual(await chartProblems(page), [], `${path}: charts`);
      assert.equal(await page.evaluate(() => document.scripts.length), 0, `${path}: no script element`);
      const html = await page.content();
      const violations = await wcagViolations(auditor, page.url(), await response.allHeaders(), html);
      assert.deepEqual(violations, [], `${path}: WCAG 2.1 AA violations`);
    }
    assert.deepEqual(scripts, [], 'the dashboards load no script');
  } finally {
    await auditor.close();
    await context.close();
  }
});
