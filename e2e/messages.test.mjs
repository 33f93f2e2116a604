// The finder and the security team talk on the report: the finder replies on the
// tracking page with a file, staff see the reply and its file on the report page and
// answer, and the finder sees the answer signed by the security team.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  fillMinimalReport,
  makeAttachment,
  setUpFirstAdmin,
  startDesk,
  submitAndWait,
  submitReport,
} from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk();
});
after(async () => {
  await desk?.close();
});

const ADMIN = { email: 'lin@desk.example', password: 'another long passphrase' };


test('the finder replies on the tracking page and the staff see it and answer', async () => {
  const [, setupUrl] = await desk.waitForStdout(/^(http:\/\/\S+\/staff\/setup\/\S+)$/);
  const finderContext = await desk.browser.newContext();
  const staffContext = await desk.browser.newContext();
  const attachment = await makeAttachment('reply-poc.txt');
  try {
    const finder = await finderContext.newPage();
    await finder.goto(`${desk.baseUrl}/report`);
    await fillMinimalReport(finder, 'Stored XSS in the profile page');
    const receipt = await submitReport(finder);
    assert.equal(receipt.status(), 201);
    const reference = (await finder.locator('#reference').innerText()).trim();
    const trackingUrl = await finder.locator('#tracking-url').getAttribute('href');

    await finder.goto(trackingUrl);
    assert.match(await finder.locator('#messages').innerText(), /No messages yet/);
    await finder.locator('#body').fill('I can also show it with a **payload** in the bio field.');
    await finder.locator('#attachments').setInputFiles(attachment.filePath);
    await submitAndWait(finder, finder.getByRole('button', { name: 'Send message' }));
    const mine = finder.locator('#messages article.from-finder');
    assert.equal(await mine.count(), 1);
    assert.match(await mine.innerText(), /You ·/);
    assert.equal(await mine.locator('strong').innerText(), 'payload', 'Markdown is rendered');
    assert.equal(await mine.locator('ul.files a').innerText(), 'reply-poc.txt');

    const staff = await staffContext.newPage();
    await setUpFirstAdmin(staff, setupUrl, ADMIN);

    await staff.goto(`${desk.baseUrl}/staff/reports/${reference}`);
    const conversation = staff.locator('#messages');
    assert.match(await conversation.innerText(), /Finder ·[\s\S]*payload in the bio field/);
    const sentFile = conversation.locator('article.from-finder ul.files a');
    assert.equal(await sentFile.innerText(), 'reply-poc.txt');
    const download = await staff.request.get(new URL(await sentFile.getAttribute('href'), desk.baseUrl).href);
    assert.equal(download.status(), 200);
    assert.equal(download.headers()['content-type'], 'application/octet-stream');
    assert.match(download.headers()['content-disposition'], /^attachment;/);
    assert.equal(await download.text(), attachment.content);
    await staff.locator('#message-body').fill('Thanks! We reproduced it and are working on a fix.');
    await submitAndWait(staff, staff.getByRole('button', { name: 'Send to the finder' }));
    assert.match(await staff.locator('.panel.success').innerText(), /Message sent to the finder/);

    await finder.reload();
    const answer = finder.locator('#messages article:not(.from-finder)');
    assert.match(await answer.innerText(), /Security team ·[\s\S]*reproduced it and are working on a fix/);
    assert.doesNotMatch(await finder.locator('#messages').innerText(), new RegExp(ADMIN.email));
  } finally {
    await finderContext.close();
    await staffContext.close();
    await attachment.cleanup();
  }
});
