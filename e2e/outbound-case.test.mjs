// A disclosure to a vendor, in the browser: a case made through the API is reviewed on its
// staff page with every item of the initial inquiry; sending it in clear is refused until
// the box is ticked; the vendor's reply and the released fix are recorded; the write-up is
// published with its timeline, in the feed, as CSAF with publisher category discoverer,
// beside the researcher's disclosure policy.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { serverBinary, setUpFirstAdmin, startDesk, submitAndWait } from './harness.mjs';

const run = promisify(execFile);
const ADMIN = { email: 'researcher@research.example', password: 'correct horse battery staple' };
const CONFIG = '[outbound]\nresearcher_name = "Ada Lovelace"\nresearcher_email = "ada@research.example"\n';

let desk;
before(async () => {
  desk = await startDesk({ config: CONFIG });
});
after(async () => {
  await desk?.close();
});

async function api(token, method, path, body) {
  const response = await fetch(`${desk.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
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
    const { stdout } = await run(serverBinary(), ['token', 'create', '--email', ADMIN.email, '--data', desk.dataDir]);
    const token = stdout.trim().split('\n').pop().trim();
    await api(token, 'POST', '/api/v1/vendors', {
      name: 'Acme',
      domains: ['acme.example'],
      contacts: [{ kind: 'email', value: 'psirt@acme.example' }],
    });
    const created = await api(token, 'POST', '/api/v1/cases', {
      vendor_id: 1,
      title: 'Remote code execution in the upload handler',
      product: 'Acme Router',
      versions_tested: ['4.2.1'],
      vulnerability_type: 'Remote Code Execution',
      severity: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      attack_vector: 'An unauthenticated POST to /upload.',
      ease_of_exploitation: 'Trivial: one request.',
      technical_details: 'The uploaded file name reaches a shell command.',
    });
    const id = created.id;
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
