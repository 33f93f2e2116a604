// A disclosure to a vendor, in the browser: the vendor is added on the directory's page
// (refused first, with its input kept), its contacts found from the security.txt a local
// server serves and accepted, and the case opened from the staff form (refused first);
// axe-core finds no WCAG 2.1 A or AA violation on any of these pages. The case is then
// reviewed on its staff page with every item of the initial inquiry; sending it in clear
// is refused until the box is ticked; the vendor's reply and the released fix are
// recorded; the write-up is published with its timeline, in the feed, as CSAF with
// publisher category discoverer, beside the researcher's disclosure policy.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { setUpFirstAdmin, startDesk, submitAndWait } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const ADMIN = { email: 'researcher@research.example', password: 'correct horse battery staple' };
const CONFIG = '[outbound]\nresearcher_name = "Ada Lovelace"\nresearcher_email = "ada@research.example"\n';

// The vendor's security.txt, served on loopback: the desk may fetch from private addresses.
const EXPIRES = new Date(Date.now() + 180 * 86_400_000).toISOString().replace(/\.\d+Z$/, '.000Z');
const SECURITY_TXT = `Contact: mailto:psirt@acme.example\nExpires: ${EXPIRES}\nPolicy: https://acme.example/security-policy\nPreferred-Languages: en, da\n`;

let desk;
let vendorSite;
before(async () => {
  vendorSite = createServer((request, response) => {
    if (request.url === '/.well-known/security.txt') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(SECURITY_TXT);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((resolve) => vendorSite.listen(0, '127.0.0.1', resolve));
  process.env.CVDESK_OUTBOUND_ALLOW_PRIVATE = 'on';
  desk = await startDesk({ config: CONFIG });
});
after(async () => {
  await desk?.close();
  vendorSite?.close();
});

/** Fails with the list when axe-core finds WCAG 2.1 A or AA violations on the page. */
async function assertAccessible(page, what) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG_21_AA,
  );
  const violations = results.violations.map(
    (violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(violations, [], `${what} meets WCAG 2.1 AA`);
}

async function record(page, kind, fields) {
  await page.locator('#kind').selectOption(kind);
  for (const [id, value] of Object.entries(fields)) {
    if (id === 'channel') await page.locator('#channel').selectOption(value);
    else await page.locator(`#${id}`).fill(value);
  }
  await submitAndWait(page, page.getByRole('button', { name: 'Record' }));
}

test('a case is reviewed, sent, answered, fixed and published from its staff page', { timeout: 180_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    const [, setupUrl] = await desk.waitForStdout(/^(http:\/\/\S+\/staff\/setup\/\S+)$/);
    await setUpFirstAdmin(page, setupUrl, ADMIN);

    // The directory is reached from Outbound; a vendor without a name is refused, with
    // the message beside the field and everything typed kept.
    await page.goto(`${desk.baseUrl}/staff/cases`);
    await assertAccessible(page, 'Outbound');
    await submitAndWait(page, page.getByRole('link', { name: 'Vendors', exact: true }));
    assert.equal(new URL(page.url()).pathname, '/staff/vendors');
    await assertAccessible(page, 'the vendor directory');
    await page.locator('#domains').fill('acme.example');
    await page.locator('#contacts').fill('email: psirt@acme.example\nemail: not-an-address');
    await submitAndWait(page, page.getByRole('button', { name: 'Add the vendor' }));
    assert.equal(await page.locator('#name-error').innerText(), 'required');
    assert.match(await page.locator('#contacts-error').innerText(), /line 2: 'not-an-address'/);
    assert.equal(await page.locator('#domains').inputValue(), 'acme.example');
    assert.equal(await page.locator('#name').getAttribute('aria-describedby'), 'name-hint name-error');
    await assertAccessible(page, 'the refused vendor form');
    await page.locator('#name').fill('Acme');
    await page.locator('#contacts').fill('');
    await submitAndWait(page, page.getByRole('button', { name: 'Add the vendor' }));
    assert.match(new URL(page.url()).pathname, /^\/staff\/vendors\/\d+$/);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Acme');
    await assertAccessible(page, "the vendor's page");

    // Its contacts are looked for on its (local) site; nothing changes until accepted.
    const vendorDomain = `127.0.0.1:${vendorSite.address().port}`;
    await page.locator('#domain').fill(vendorDomain);
    await submitAndWait(page, page.getByRole('button', { name: 'Look for contacts' }));
    const found = await page.locator('#discovery').innerText();
    assert.match(found, /psirt@acme\.example/);
    assert.match(found, /not signed/);
    assert.match(found, /https:\/\/acme\.example\/security-policy/);
    assert.equal(await page.locator('#contacts').inputValue(), 'email: psirt@acme.example');
    assert.equal(await page.locator('#languages').inputValue(), 'en, da');
    assert.doesNotMatch(await page.locator('#vendor-facts').innerText(), /psirt@acme\.example/, 'not saved yet');
    await assertAccessible(page, 'the discovery proposal');
    await submitAndWait(page, page.getByRole('button', { name: 'Accept and save' }));
    assert.match(await page.locator('#vendor-facts').innerText(), /email: psirt@acme\.example/);

    // The case is opened from the vendor's page; a vector that cannot be scored is refused.
    await submitAndWait(page, page.getByRole('link', { name: 'Open a case with this vendor' }));
    assert.equal(new URL(page.url()).pathname, '/staff/cases/new');
    assert.equal(await page.locator('#vendor_id option:checked').innerText(), 'Acme');
    await assertAccessible(page, 'the new case form');
    const fields = {
      title: 'Remote code execution in the upload handler',
      product: 'Acme Router',
      versions_tested: '4.2.1',
      vulnerability_type: 'Remote Code Execution',
      severity: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H',
      attack_vector: 'An unauthenticated POST to /upload.',
      ease_of_exploitation: 'Trivial: one request.',
      technical_details: 'The uploaded file name reaches a shell command.',
    };
    for (const [id, value] of Object.entries(fields)) await page.locator(`#${id}`).fill(value);
    await submitAndWait(page, page.getByRole('button', { name: 'Open the case as a draft' }));
    assert.ok(await page.locator('#severity-error').isVisible(), 'the vector is refused beside its field');
    assert.equal(await page.locator('#technical_details').inputValue(), fields.technical_details);
    await assertAccessible(page, 'the refused case form');
    await page.locator('#severity').fill('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    await submitAndWait(page, page.getByRole('button', { name: 'Open the case as a draft' }));
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    assert.match(id, /^CVD-OUT-\d{4}-\d{4}$/);

    // Outbound lists it; its page shows the inquiry with every item a-k for review.
    await page.goto(`${desk.baseUrl}/staff/cases`);
    await submitAndWait(page, page.getByRole('link', { name: id, exact: true }));
    assert.equal((await page.locator('#case-state').innerText()).trim(), 'draft');
    const inquiry = await page.locator('#inquiry').innerText();
    for (const item of [
      '/disclosure-policy', 'Ada Lovelace', 'ada@research.example', 'Acme Router', '4.2.1',
      'Remote Code Execution', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'An unauthenticated POST to /upload.',
      'Trivial: one request.', 'The uploaded file name reaches a shell command.',
    ]) {
      assert.ok(inquiry.includes(item), `the inquiry carries ${item}:\n${inquiry}`);
    }
    assert.equal(await page.locator('.panel.error').count(), 0, 'no item of the inquiry is missing');

    // The vendor has no key: sending in clear needs the box ticked, and is recorded as such.
    await submitAndWait(page, page.getByRole('button', { name: 'Send the inquiry by e-mail' }));
    assert.equal((await page.locator('#case-state').innerText()).trim(), 'draft', 'not sent without the box');
    assert.match(await page.getByRole('alert').first().innerText(), /unencrypted|encrypt|key/i);
    await page.locator('#confirm_unencrypted').check();
    await submitAndWait(page, page.getByRole('button', { name: 'Send the inquiry by e-mail' }));
    assert.equal((await page.locator('#case-state').innerText()).trim(), 'reported');
    assert.match(await page.locator('#case-log').innerText(), /unencrypted|in clear/i);

    // The vendor's reply acknowledges the case; the released fix makes it fixed.
    await record(page, 'vendor_reply', { channel: 'email', body: 'Thank you, we are looking into it.' });
    assert.equal((await page.locator('#case-state').innerText()).trim(), 'acknowledged');
    await record(page, 'fix_released', { version: '4.2.2', body: 'Firmware 4.2.2 is out.' });
    assert.equal((await page.locator('#case-state').innerText()).trim(), 'fixed');

    // The write-up, with the whole communication.
    await page.locator('#description').fill('The upload handler of Acme Router passed file names to a shell.');
    await page.locator('#include_communication').check();
    await submitAndWait(page, page.getByRole('button', { name: 'Publish the write-up' }));
    assert.equal(new URL(page.url()).pathname, `/disclosures/${id}`, 'publishing shows the public write-up');
    const writeUp = await page.locator('main').innerText();
    for (const line of ['Acme Router', '4.2.1', '4.2.2', 'The upload handler of Acme Router passed file names to a shell.',
      'Thank you, we are looking into it.']) {
      assert.ok(writeUp.includes(line), `the write-up says ${line}:\n${writeUp}`);
    }
    assert.match(writeUp, /reported[\s\S]*acknowledged[\s\S]*fix[\s\S]*published/i, 'the timeline in order');
    await page.goto(`${desk.baseUrl}/staff/cases/${id}`);
    assert.equal((await page.locator('#case-state').innerText()).trim(), 'published');
    const reader = await context.newPage();
    await reader.goto(`${desk.baseUrl}/disclosures`);
    assert.equal(await reader.getByRole('link', { name: new RegExp(id) }).count() > 0, true, 'listed');
    const atom = await (await fetch(`${desk.baseUrl}/disclosures.atom`)).text();
    assert.ok(atom.includes(`/disclosures/${id}`), atom);
    const csaf = await (await fetch(`${desk.baseUrl}/disclosures/${id}/${id.toLowerCase()}.json`)).json();
    assert.equal(csaf.document.publisher.category, 'discoverer');
    assert.equal(csaf.document.tracking.id, id);
    await reader.goto(`${desk.baseUrl}/disclosure-policy`);
    assert.match(await reader.locator('main').innerText(), /5 business days[\s\S]*90/);
  } finally {
    await context.close();
  }
});
