// A finder reports a vulnerability from the home page and follows it on the
// tracking page; the same works with JavaScript turned off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  REFERENCE_PATTERN,
  answerChallengeQuestion,
  fillMinimalReport,
  makeAttachment,
  startDesk,
  submitReport,
} from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

test('a finder reports a vulnerability and follows it on the tracking page', { timeout: 60_000 }, async () => {
  const attachment = await makeAttachment();
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/`);
    await page.locator('main').getByRole('link', { name: 'Report a vulnerability' }).click();
    await page.waitForURL(`${desk.baseUrl}/report`);

    const report = {
      title: 'Reflected XSS in the shop search',
      asset: 'shop.example, search page',
      weakness: 'CWE-79',
      severity: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N',
      summary: 'The q parameter of /search is echoed into the page without escaping.',
      steps_to_reproduce: '1. Open /search?q=<script>alert(1)</script>\n2. The script runs.',
      impact: 'An attacker can run script in the shop origin and read the session.',
      mitigation: 'Escape the parameter when rendering the results heading.',
      contact_name: 'Ada Finder',
      contact_email: 'ada@finder.example',
      contact_pgp_key: '',
    };
    for (const [field, value] of Object.entries(report)) {
      await page.locator(`#${field}`).fill(value);
    }
    await page.locator('#attachments').setInputFiles(attachment.filePath);
    await page.locator('#credit').check();

    const response = await submitReport(page);
    assert.equal(response.status(), 201);
    const reference = (await page.locator('#reference').textContent()).trim();
    assert.match(reference, REFERENCE_PATTERN);

    const trackingLink = page.locator('a#tracking-url');
    const trackingUrl = await trackingLink.getAttribute('href');
    assert.match(trackingUrl, /\/track\/[A-Za-z0-9_-]{22,}$/);
    await trackingLink.click();
    await page.waitForURL(trackingUrl);

    assert.equal((await page.locator('#reference').textContent()).trim(), reference);
    assert.equal((await page.locator('h1').textContent()).trim(), report.title);
    assert.ok((await page.locator('#status').textContent()).trim().length > 0, 'status is shown');
    assert.equal(await page.locator('#status').getAttribute('data-state'), 'new');
    const main = await page.locator('main').innerText();
    for (const text of [report.summary, report.impact, report.mitigation, report.weakness, report.severity]) {
      assert.ok(main.includes(text), `tracking page shows ${JSON.stringify(text)}`);
    }
    // Multi-line text keeps its line breaks.
    assert.ok(main.includes(report.steps_to_reproduce), 'steps keep their line breaks');

    const fileLink = page.getByRole('link', { name: attachment.name });
    await assert.doesNotReject(fileLink.waitFor(), 'attachment is listed');
    const href = await fileLink.getAttribute('href');
    const download = await page.request.get(new URL(href, page.url()).toString());
    assert.equal(download.status(), 200);
    const headers = download.headers();
    assert.equal(headers['content-type'], 'application/octet-stream');
    assert.match(headers['content-disposition'], /^attachment\b/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal((await download.body()).toString('utf8'), attachment.content);
  } finally {
    await context.close();
    await attachment.cleanup();
  }
});

test('an anonymous report can be sent with JavaScript turned off', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    await fillMinimalReport(page);
    await answerChallengeQuestion(page);
    const response = await submitReport(page);
    assert.equal(response.status(), 201);
    assert.match((await page.locator('#reference').textContent()).trim(), REFERENCE_PATTERN);
    assert.match(await page.locator('a#tracking-url').getAttribute('href'), /\/track\//);
  } finally {
    await context.close();
  }
});
