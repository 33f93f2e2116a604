// Every public page a finder sees is sent with a strict Content Security
// Policy and the other security headers, and needs nothing the policy forbids.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fillMinimalReport, startDesk, submitReport } from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

function assertSecurityHeaders(name, response) {
  const headers = response.headers();
  const csp = headers['content-security-policy'];
  assert.ok(csp, `${name}: has a content-security-policy`);
  assert.match(csp, /(^|;)\s*default-src 'none'\s*(;|$)/, `${name}: CSP starts from default-src 'none'`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${name}: CSP allows no inline code`);
  assert.equal(headers['referrer-policy'], 'no-referrer', `${name}: referrer-policy`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${name}: x-content-type-options`);
}

async function assertNoInlineCode(name, page) {
  const inlineScripts = await page.locator('script:not([src])').count();
  assert.equal(inlineScripts, 0, `${name}: no inline <script>`);
  const styled = await page.locator('[style]').evaluateAll((elements) => elements.map((e) => e.outerHTML.slice(0, 120)));
  assert.deepEqual(styled, [], `${name}: no style attributes`);
  const handlers = await page.evaluate(() =>
    [...document.querySelectorAll('*')].flatMap((element) =>
      [...element.attributes].filter((a) => a.name.startsWith('on')).map((a) => `${element.tagName}[${a.name}]`),
    ),
  );
  assert.deepEqual(handlers, [], `${name}: no inline event handlers`);
  const inlineStyles = await page.locator('style').count();
  assert.equal(inlineStyles, 0, `${name}: no <style> elements`);
}

test('public pages send strict security headers and contain no inline code', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext();
  const violations = [];
  const foreignRequests = [];
  const origin = new URL(desk.baseUrl).origin;
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy|Refused to/i.test(message.text())) {
        violations.push(`${page.url()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => violations.push(`${page.url()}: page error ${error.message}`));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol.startsWith('http') && url.origin !== origin) foreignRequests.push(request.url());
    });

    const home = await page.goto(`${desk.baseUrl}/`);
    assertSecurityHeaders('home', home);
    await assertNoInlineCode('home', page);

    const form = await page.goto(`${desk.baseUrl}/report`);
    assertSecurityHeaders('report form', form);
    await assertNoInlineCode('report form', page);

    // The form shown again with errors is rendered by another path.
    const invalid = await submitReport(page);
    assert.equal(invalid.status(), 422);
    assertSecurityHeaders('report form with errors', invalid);
    await assertNoInlineCode('report form with errors', page);

    await fillMinimalReport(page);
    const receipt = await submitReport(page);
    assert.equal(receipt.status(), 201);
    assertSecurityHeaders('receipt', receipt);
    await assertNoInlineCode('receipt', page);
    // The receipt carries the one-time tracking link: it must not be cached.
    assert.match(receipt.headers()['cache-control'] ?? '', /no-store/, 'receipt: cache-control no-store');

    const trackingUrl = await page.locator('a#tracking-url').getAttribute('href');
    const tracking = await page.goto(trackingUrl);
    assert.equal(tracking.status(), 200);
    assertSecurityHeaders('tracking page', tracking);
    await assertNoInlineCode('tracking page', page);
    assert.match(tracking.headers()['cache-control'] ?? '', /no-store/, 'tracking page: cache-control no-store');

    const unknown = await page.goto(`${desk.baseUrl}/track/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    assert.equal(unknown.status(), 404);
    assertSecurityHeaders('unknown tracking link', unknown);
    await assertNoInlineCode('unknown tracking link', page);

    // Let late console messages (e.g. a blocked stylesheet) arrive.
    await page.waitForLoadState('networkidle');
    assert.deepEqual(violations, [], 'no CSP violations or page errors');
    assert.deepEqual(foreignRequests, [], 'no request leaves the site');
  } finally {
    await context.close();
  }
});

test('the stylesheet is served and applied under the policy', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    const stylesheets = [];
    page.on('response', (response) => {
      if (response.request().resourceType() === 'stylesheet') stylesheets.push(response);
    });
    await page.goto(`${desk.baseUrl}/report`);
    assert.ok(stylesheets.length > 0, 'a stylesheet is loaded');
    for (const response of stylesheets) {
      assert.equal(response.status(), 200, `${response.url()} is served`);
      assert.match(response.headers()['content-type'] ?? '', /^text\/css/, `${response.url()} is text/css`);
    }
    // The browser parsed the rules rather than blocking the sheet.
    const rules = await page.evaluate(() => [...document.styleSheets].reduce((n, sheet) => n + sheet.cssRules.length, 0));
    assert.ok(rules > 0, 'stylesheet rules are in effect');
  } finally {
    await context.close();
  }
});
