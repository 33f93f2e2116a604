// A report with mistakes is answered with the form again: every problem named,
// every word the finder typed still there, and a second try goes through.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { REFERENCE_PATTERN, startDesk, submitReport } from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

// Text that would break if it were not escaped or if line breaks were lost.
const typed = {
  title: 'SQL injection in "order" export <b>not bold</b> & more',
  asset: 'https://shop.example/export?format=csv&sort=desc',
  severity: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N',
  summary: "The sort parameter reaches the SQL query as is.\n\nIt's 'quoted' and \"double quoted\" — ünïcödé ✓.",
  steps_to_reproduce: '1. Log in as any customer.\n2. Request /export?sort=id;SELECT pg_sleep(5)--\n   (indented line)\n3. The answer takes five seconds.',
  mitigation: 'Use a bound parameter or an allow-list of columns.\n</textarea><script>alert(1)</script>',
  contact_name: 'Grace <Hopper> & Co',
  contact_email: 'grace@finder.example',
  // A throwaway key (ed25519 with a cv25519 encryption subkey) for finder@example.invalid.
  contact_pgp_key: (await readFile(new URL('./fixtures/finder-public-key.asc', import.meta.url), 'utf8')).trim(),
};

test('an invalid report keeps the finder\'s text and names each problem', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    for (const [field, value] of Object.entries(typed)) {
      await page.locator(`#${field}`).fill(value);
    }
    await page.locator('#weakness').fill('CWE-99999999');
    await page.locator('#credit').check();
    // Impact, a required field, stays empty.

    const rejected = await submitReport(page);
    assert.equal(rejected.status(), 422);

    const summary = page.locator('.error-summary');
    await assert.doesNotReject(summary.waitFor(), 'error summary is shown');
    const summaryLinks = await summary.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    assert.ok(summaryLinks.includes('#impact'), `summary links to impact: ${summaryLinks}`);
    assert.ok(summaryLinks.includes('#weakness'), `summary links to weakness: ${summaryLinks}`);
    // A problem in a field the page cannot point to would be a dead link.
    for (const href of summaryLinks) {
      assert.equal(await page.locator(href).count(), 1, `${href} points to a field`);
    }

    for (const field of ['impact', 'weakness']) {
      const message = page.locator(`#${field}-error`);
      assert.ok((await message.textContent()).trim().length > 0, `#${field}-error has a message`);
      const describedBy = await page.locator(`#${field}`).getAttribute('aria-describedby');
      assert.ok(describedBy.split(/\s+/).includes(`${field}-error`), `#${field} is described by its error`);
    }

    for (const [field, value] of Object.entries(typed)) {
      assert.equal(await page.locator(`#${field}`).inputValue(), value, `${field} keeps what was typed`);
    }
    assert.equal(await page.locator('#weakness').inputValue(), 'CWE-99999999', 'the wrong CWE is kept to be corrected');
    assert.ok(await page.locator('#credit').isChecked(), 'credit stays checked');
    // Fields without a problem are not marked as having one.
    assert.equal(await page.locator('#title-error').count(), 0);

    await page.locator('.error-summary a[href="#impact"]').click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'impact', 'summary link moves focus to the field');

    await page.locator('#impact').fill('Read and change every order in the database.');
    await page.locator('#weakness').fill('CWE-89');
    const accepted = await submitReport(page);
    assert.equal(accepted.status(), 201);
    assert.match((await page.locator('#reference').textContent()).trim(), REFERENCE_PATTERN);

    // What was kept across the failed attempt is what was stored.
    await page.locator('a#tracking-url').click();
    await page.waitForURL(/\/track\//);
    assert.equal((await page.locator('h1').textContent()).trim(), typed.title);
    const main = await page.locator('main').innerText();
    for (const field of ['summary', 'steps_to_reproduce', 'mitigation']) {
      assert.ok(main.includes(typed[field]), `tracking page shows the ${field} as typed`);
    }
  } finally {
    await context.close();
  }
});
