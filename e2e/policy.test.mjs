// An admin edits the disclosure policy; finders see the new version with its
// date, the earlier version stays readable, and security.txt follows the edit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setUpFirstAdmin, startDesk, submitAndWait } from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

const ADMIN = { email: 'ada@desk.example', password: 'a long and careful passphrase' };


test('an edited policy is published as a new dated version', async () => {
  const [, setupUrl] = await desk.waitForStdout(/^(http:\/\/\S+\/staff\/setup\/\S+)$/);
  const context = await desk.browser.newContext();
  const page = await context.newPage();
  try {
    // The first version, from the configuration, is already public.
    await page.goto(`${desk.baseUrl}/policy`);
    assert.match(await page.locator('#policy-version').innerText(), /^Version 1, published \d{4}-\d{2}-\d{2}/);
    assert.equal(await page.locator('#policy-history').count(), 0, 'no history with one version');
    await page.goto(`${desk.baseUrl}/`);
    assert.equal(await page.locator('footer a[href="/policy"]').count(), 1, 'the footer links the policy');
    assert.equal(await page.locator('footer a[href="/report"]').count(), 1, 'the footer links the form');

    await setUpFirstAdmin(page, setupUrl, ADMIN);

    await page.goto(`${desk.baseUrl}/staff/policy`);
    // The desk runs on plain http here, so its security.txt is flagged as invalid.
    assert.equal(await page.locator('#security-txt-problems').count(), 1);

    // A mistake is explained and nothing is published.
    await page.locator('#in_scope').fill('shop.example.org\napi.example.org');
    await page.locator('#languages').fill('en, deutsch');
    await submitAndWait(page, page.getByRole('button', { name: 'Publish a new version' }));
    assert.match(await page.locator('#languages-error').innerText(), /deutsch/);
    assert.equal(await page.locator('#in_scope').inputValue(), 'shop.example.org\napi.example.org', 'typed text kept');

    await page.locator('#languages').fill('en, de');
    await page.locator('#rewards').check();
    await submitAndWait(page, page.getByRole('button', { name: 'Publish a new version' }));
    assert.match(await page.getByRole('status').innerText(), /Version 2 is published/);

    await page.goto(`${desk.baseUrl}/policy`);
    const today = new Date().toISOString().slice(0, 10);
    assert.match(await page.locator('#policy-version').innerText(), new RegExp(`^Version 2, published ${today}`));
    assert.deepEqual(await page.locator('#in-scope li').allInnerTexts(), ['shop.example.org', 'api.example.org']);
    assert.match(await page.locator('main').innerText(), /Valid reports may receive a monetary reward/);
    assert.equal(await page.locator('#policy-history li').count(), 2);

    await page.locator('#policy-history a', { hasText: 'Version 1' }).click();
    await page.waitForLoadState('load');
    assert.match(await page.locator('#policy-version').innerText(), /Version 1.*earlier version/s);
    assert.match(await page.locator('main').innerText(), /We do not pay monetary rewards/);

    const securityTxt = await (await fetch(`${desk.baseUrl}/.well-known/security.txt`)).text();
    assert.match(securityTxt, /^Preferred-Languages: en, de$/m);
    assert.match(securityTxt, /^Policy: .*\/policy$/m);
  } finally {
    await context.close();
  }
});
