// The report form can be understood by a screen reader and used with a
// keyboard alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { REFERENCE_PATTERN, fillMinimalReport, startDesk, submitReport } from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

test('every field of the report form has a label', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    const fields = await page.locator('form.report-form').locator('input, textarea, select').evaluateAll((elements) =>
      elements
        .filter((element) => element.type !== 'hidden')
        .map((element) => ({
          id: element.id || element.name,
          labels: [...(element.labels ?? [])].map((label) => label.textContent.trim()),
        })),
    );
    const expected = [
      'title', 'asset', 'weakness', 'severity', 'summary', 'steps_to_reproduce', 'impact', 'mitigation',
      'attachments', 'contact_name', 'contact_email', 'contact_pgp_key', 'credit',
    ];
    for (const id of expected) {
      assert.ok(fields.some((field) => field.id === id), `the form has #${id}`);
    }
    const unlabelled = fields.filter((field) => field.labels.length === 0 || field.labels.some((text) => text === ''));
    assert.deepEqual(unlabelled, [], 'fields without a label');

    const ids = await page.locator('[id]').evaluateAll((elements) => elements.map((element) => element.id));
    const duplicated = ids.filter((id, index) => ids.indexOf(id) !== index);
    assert.deepEqual(duplicated, [], 'ids are unique');

    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.locator('h1').count(), 1, 'one h1');
    assert.ok((await page.title()).trim().length > 0, 'the page has a title');
  } finally {
    await context.close();
  }
});

test('the report form can be filled and sent with the keyboard alone', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);

    // The first Tab reaches the skip link, which leads to the content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), '#main', 'skip link comes first');

    await fillMinimalReport(page, 'Sent from the keyboard');
    await page.locator('#title').focus();
    const visited = [];
    for (let presses = 0; presses < 40; presses += 1) {
      const focused = await page.evaluate(() => {
        const element = document.activeElement;
        return { id: element?.id ?? '', submit: element?.matches('button[type=submit]') ?? false };
      });
      if (focused.submit) break;
      visited.push(focused.id);
      await page.keyboard.press('Tab');
    }
    const atSubmit = await page.evaluate(() => document.activeElement?.matches('button[type=submit]') ?? false);
    assert.ok(atSubmit, `Tab reaches the submit button (visited ${visited.join(', ')})`);

    // The fields are visited in reading order and none is skipped (the check's question is
    // hidden while the browser does the check).
    const expectedOrder = await page
      .locator('form.report-form')
      .locator('input:not([type=hidden]), textarea')
      .evaluateAll((elements) => elements.filter((element) => element.checkVisibility()).map((element) => element.id));
    assert.deepEqual(visited, expectedOrder, 'Tab order follows the form');

    const response = await submitReport(page, () => page.keyboard.press('Enter'));
    assert.equal(response.status(), 201);
    assert.match((await page.locator('#reference').textContent()).trim(), REFERENCE_PATTERN);
  } finally {
    await context.close();
  }
});
