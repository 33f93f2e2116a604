// The first admin sets up the desk from the link printed on first start,
// turns on two-factor sign-in, signs in again with a one-time code, adds a
// product, and triages two reports: one moves on to its product's team, the
// other is closed as its duplicate.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { REFERENCE_PATTERN, apiChallengeHeaders, startDesk, submitAndWait } from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

const ADMIN = { email: 'grace@desk.example', password: 'correct horse battery staple' };

/** RFC 4648 base32, as authenticator apps read it: case and spaces do not matter. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(char)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP: HMAC-SHA1, 30 s step, 6 digits, for the step holding `atMs`. */
function totp(key, atMs = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(number % 1_000_000).padStart(6, '0');
}

test('TOTP codes match the RFC 6238 test vectors', () => {
  // RFC 6238 appendix B, SHA-1 key, last six digits.
  const key = Buffer.from('12345678901234567890');
  assert.equal(totp(key, 59_000), '287082');
  assert.equal(totp(key, 1_111_111_109_000), '081804');
  assert.equal(totp(key, 2_000_000_000_000), '279037');
  assert.equal(totp(base32Decode('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ'), 59_000), '287082');
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

async function stateOf(page) {
  return page.locator('#state').getAttribute('data-state');
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

async function allowedMoves(page) {
  return page.locator('#to option').evaluateAll((options) => options.map((o) => o.value));
}

test('the first admin sets up two-factor sign-in and triages reports', { timeout: 120_000 }, async () => {
  // The set-up link is printed on stdout, after the line announcing it.
  const [, setupUrl] = await desk.waitForStdout(/^(http:\/\/\S+\/staff\/setup\/\S+)$/);
  const lines = desk.stdoutLines();
  const announcement = lines[lines.indexOf(setupUrl) - 1];
  assert.match(announcement, /^No staff account yet\. Create the first admin within 24 hours at:$/);
  assert.equal(new URL(setupUrl).origin, new URL(desk.baseUrl).origin, 'set-up link points at this desk');

  const context = await desk.browser.newContext();
  const origin = new URL(desk.baseUrl).origin;
  const violations = [];
  const foreignRequests = [];
  const failedPages = [];
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
    page.on('response', (response) => {
      if (response.request().resourceType() === 'document' && response.status() >= 500) {
        failedPages.push(`${response.request().method()} ${response.url()}: ${response.status()}`);
      }
    });

    // The first admin chooses an e-mail and a password.
    await page.goto(setupUrl);
    await page.locator('#email').fill(ADMIN.email);
    await page.locator('#password').fill(ADMIN.password);
    await page.locator('#confirmation').fill(ADMIN.password);
    await submitAndWait(page, page.getByRole('button', { name: 'Save password' }));
    assert.equal(new URL(page.url()).pathname, '/staff/login');

    // The set-up link works once only.
    const again = await context.request.post(setupUrl, {
      form: { email: 'mallory@desk.example', password: ADMIN.password, confirmation: ADMIN.password },
      maxRedirects: 0,
    });
    assert.equal(again.status(), 422, 'a used set-up link creates no second admin');
    assert.match(await again.text(), /already used/);

    // Sign in with the password alone.
    await page.locator('#email').fill(ADMIN.email);
    await page.locator('#password').fill(ADMIN.password);
    await submitAndWait(page, page.getByRole('button', { name: 'Sign in' }));
    assert.equal(new URL(page.url()).pathname, '/staff');
    assert.ok((await page.locator('.site-header').innerText()).includes(ADMIN.email), 'signed in as the admin');

    // Enrol two-factor sign-in from the account page.
    await page.locator('.site-header').getByRole('link', { name: ADMIN.email }).click();
    await page.waitForURL(`${desk.baseUrl}/staff/account`);
    await submitAndWait(page, page.getByRole('button', { name: 'Set up two-factor sign-in' }));
    assert.equal(await page.locator('.qr svg').count(), 1, 'the key is shown as a QR code');
    const shownKey = (await page.locator('#totp-secret').textContent()).trim();
    assert.match(shownKey, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/, 'the key is base32 in groups');
    const key = base32Decode(shownKey);
    assert.ok(key.length >= 20, `the key has at least 160 bits (${key.length * 8})`);
    const enrolmentCode = totp(key);
    await page.locator('#code').fill(enrolmentCode);
    await submitAndWait(page, page.getByRole('button', { name: 'Turn two-factor on' }));
    const recoveryCodes = await page.locator('#recovery-codes li').allInnerTexts();
    assert.equal(recoveryCodes.length, 10, 'ten recovery codes are shown');
    assert.equal(new Set(recoveryCodes).size, 10, 'the recovery codes differ');
    assert.match(await page.locator('#two-factor-status').innerText(), /^On\b/);

    // Sign out from the header.
    await submitAndWait(page, page.locator('.site-header').getByRole('button', { name: 'Sign out' }));
    assert.equal(new URL(page.url()).pathname, '/staff/login');
    const signedOut = await context.request.get(`${desk.baseUrl}/staff`, { maxRedirects: 0 });
    assert.notEqual(signedOut.status(), 200, 'the queue is closed once signed out');

    // Signing in again asks for a one-time code after the password.
    await page.locator('#email').fill(ADMIN.email);
    await page.locator('#password').fill(ADMIN.password);
    await submitAndWait(page, page.getByRole('button', { name: 'Sign in' }));
    assert.equal(new URL(page.url()).pathname, '/staff/login/code');
    // The code used to turn two-factor on cannot be used again.
    await page.locator('#code').fill(enrolmentCode);
    await submitAndWait(page, page.getByRole('button', { name: 'Continue' }));
    assert.equal(new URL(page.url()).pathname, '/staff/login/code', 'a used code is refused');
    assert.equal(await page.locator('.error-summary').count(), 1, 'the refusal is explained');
    // The next step's code is accepted (one step of drift is allowed).
    await page.locator('#code').fill(totp(key, Date.now() + 30_000));
    await submitAndWait(page, page.getByRole('button', { name: 'Continue' }));
    assert.equal(new URL(page.url()).pathname, '/staff', 'signed in with the code');

    // Add a product that owns shop.example.org.
    await page.locator('.site-header').getByRole('link', { name: 'Products' }).click();
    await page.waitForURL(`${desk.baseUrl}/staff/products`);
    await page.locator('#name').fill('Shop');
    await page.locator('#team').fill('Web');
    await page.locator('#criticality').selectOption('high');
    await page.locator('#hostnames').fill('shop.example.org');
    await submitAndWait(page, page.getByRole('button', { name: 'Save product' }));
    assert.equal(await page.locator('.error-summary').count(), 0, 'the product is accepted');
    const productRow = page.locator('table.queue tbody tr', { hasText: 'Shop' });
    assert.equal(await productRow.count(), 1, 'the product is listed');
    assert.match(await productRow.innerText(), /Web[\s\S]*high[\s\S]*shop\.example\.org/);

    // Two finders report the same flaw in the shop.
    const first = await submitReportByApi({
      title: 'Stored XSS in the cart item note',
      asset: 'https://shop.example.org/cart',
      summary: 'The gift note of a cart item is rendered without escaping on the cart page.',
      steps_to_reproduce: '1. Add any item to the cart.\n2. Set its gift note to <img src=x onerror=alert(1)>.\n3. Open /cart: the script runs.',
      impact: 'Script runs in the shop origin for anyone who views the shared cart.',
    });
    const second = await submitReportByApi({
      title: 'XSS through the gift note in the cart',
      asset: 'https://shop.example.org/cart',
      summary: 'A gift note on a cart item is shown unescaped on the cart page, so HTML in it runs.',
      steps_to_reproduce: '1. Put an item in the cart.\n2. Write <svg onload=alert(document.domain)> as the gift note.\n3. Reload /cart and the script runs.',
      impact: 'Script runs in the shop origin; shared carts spread it to other customers.',
    });
    assert.notEqual(first, second);

    // The first report, from the queue: triage it and assign it to its product.
    await page.locator('.site-header').getByRole('link', { name: 'Queue' }).click();
    await page.waitForURL(`${desk.baseUrl}/staff`);
    for (const reference of [first, second]) {
      assert.equal(await page.getByRole('link', { name: reference, exact: true }).count(), 1, `${reference} is queued`);
    }
    await page.getByRole('link', { name: first, exact: true }).click();
    await page.waitForURL(`${desk.baseUrl}/staff/reports/${first}`);
    assert.equal((await page.locator('#reference').textContent()).trim(), first);
    assert.equal(await stateOf(page), 'new');
    assert.equal((await page.locator('#product').textContent()).trim(), 'Shop', 'routed to its product by host name');
    assert.equal(
      await page.locator('#product_id option:checked').textContent(),
      'Shop',
      'the product form shows the routed product',
    );
    const fromNew = await allowedMoves(page);
    for (const state of ['triaged', 'duplicate', 'informative', 'not_applicable']) {
      assert.ok(fromNew.includes(state), `a new report may move to ${state} (${fromNew})`);
    }
    assert.ok(!fromNew.includes('assigned'), 'a new report is triaged before it is assigned');

    await move(page, 'triaged', { reason: 'Reproduced on the live shop.' });
    assert.equal(await stateOf(page), 'triaged');
    assert.ok((await allowedMoves(page)).includes('assigned'), 'a triaged report with a product may be assigned');
    await move(page, 'assigned', { reason: 'For the Web team.' });
    assert.equal(await stateOf(page), 'assigned');
    assert.match(await page.locator('ol.history').innerText(), /triaged[\s\S]*assigned/);

    // The second report: the first is suggested as its original, and it is closed as a duplicate.
    await page.locator('.site-header').getByRole('link', { name: 'Queue' }).click();
    await page.waitForURL(`${desk.baseUrl}/staff`);
    await page.getByRole('link', { name: second, exact: true }).click();
    await page.waitForURL(`${desk.baseUrl}/staff/reports/${second}`);
    assert.equal(await stateOf(page), 'new');
    const suggestions = page.locator('section', { has: page.getByRole('heading', { name: 'Possible duplicates' }) });
    assert.equal(
      await suggestions.getByRole('link', { name: first, exact: true }).count(),
      1,
      `the first report is suggested: ${await suggestions.innerText()}`,
    );
    await move(page, 'duplicate', { duplicateOf: first, reason: `Same flaw as ${first}.` });
    assert.equal(await stateOf(page), 'duplicate');
    const original = page.locator('.facts').getByRole('link', { name: first, exact: true });
    assert.equal(await original.count(), 1, 'the page links the original');
    assert.equal(await original.getAttribute('href'), `/staff/reports/${first}`);
    await original.click();
    await page.waitForURL(`${desk.baseUrl}/staff/reports/${first}`);
    assert.equal(await stateOf(page), 'assigned', 'the original stays assigned');

    // Let late console messages (e.g. a blocked style) arrive.
    await page.waitForLoadState('networkidle');
    assert.deepEqual(violations, [], 'no CSP violations or page errors');
    assert.deepEqual(foreignRequests, [], 'no request leaves the site');
    assert.deepEqual(failedPages, [], 'no page fails on the server');
  } finally {
    await context.close();
  }
});
