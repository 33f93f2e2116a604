// The report form checks that a person is sending it. With JavaScript the
// browser does the work and the finder sees only a status line; without
// JavaScript, or when the browser cannot finish, the finder answers a question.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  REFERENCE_PATTERN,
  answerQuestion,
  fillMinimalReport,
  startDesk,
  submitReport,
  zeroBitsOfTry,
} from './harness.mjs';

let desk;
before(async () => {
  desk = await startDesk({ challenge: true });
});
after(async () => {
  await desk?.close();
});

/** How long the browser may take for the check at the server's default difficulty. */
const CHECK_TIMEOUT_MS = 60_000;

function statusText(page) {
  return page.locator('#challenge-status').textContent().then((text) => text.trim());
}

/** Waits until the status line says `text`. */
async function waitForStatus(page, text, timeout = CHECK_TIMEOUT_MS) {
  await page.waitForFunction(
    (expected) => document.getElementById('challenge-status')?.textContent.trim() === expected,
    text,
    { timeout },
  );
}

async function assertReceipt(page, response) {
  assert.equal(response.status(), 201, 'the report is accepted');
  assert.match((await page.locator('#reference').textContent()).trim(), REFERENCE_PATTERN);
}

test('with JavaScript the browser does the check and the question stays out of the way', { timeout: 90_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    const scriptErrors = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    await page.goto(`${desk.baseUrl}/report`);

    const status = page.locator('#challenge-status');
    assert.equal(await status.getAttribute('role'), 'status', 'the status line is a live region');
    await waitForStatus(page, 'Check done.');
    assert.ok(await status.isVisible(), 'the status line is shown');
    assert.ok(await page.locator('#challenge-question').isHidden(), 'the question is hidden');

    // The browser's answer is one the server can check.
    const token = await page.locator('#challenge_token').inputValue();
    const difficulty = Number(await page.locator('#challenge').getAttribute('data-difficulty'));
    const solution = await page.locator('#challenge_solution').inputValue();
    assert.match(solution, /^(0|[1-9][0-9]*)$/);
    assert.ok(zeroBitsOfTry(token, solution) >= difficulty, `${solution} meets difficulty ${difficulty}`);

    await fillMinimalReport(page);
    await assertReceipt(page, await submitReport(page));
    assert.deepEqual(scriptErrors, [], 'no script errors');
  } finally {
    await context.close();
  }
});

test('a report sent before the check is done goes out when it is done', { timeout: 90_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    await fillMinimalReport(page);
    const response = await submitReport(page);
    await assertReceipt(page, response);
  } finally {
    await context.close();
  }
});

test('the form waits for the check and says so', { timeout: 90_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    // Holding back the worker script keeps the check from finishing until the
    // finder has pressed the button.
    let releaseWorker;
    const workerHeld = new Promise((resolve) => {
      releaseWorker = resolve;
    });
    await context.route('**/static/challenge-worker.js', async (route) => {
      await workerHeld;
      await route.continue();
    });
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    await fillMinimalReport(page);

    const responsePromise = submitReport(page);
    await waitForStatus(page, 'Finishing the check; your report will be sent as soon as it is done.', 10_000);
    assert.equal(new URL(page.url()).pathname, '/report', 'still on the form');
    releaseWorker();
    await assertReceipt(page, await responsePromise);
  } finally {
    await context.close();
  }
});

test('when the browser cannot do the check the question comes back', { timeout: 90_000 }, async () => {
  const context = await desk.browser.newContext();
  try {
    await context.route('**/static/challenge-worker.js', (route) => route.abort());
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    const question = page.locator('#challenge-question');
    await question.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await statusText(page), /question/, 'the status line says to answer the question');
    assert.equal(await page.locator('#challenge_solution').inputValue(), '');

    await fillMinimalReport(page);
    const label = (await page.locator('label[for=challenge_answer]').textContent()).trim();
    await page.locator('#challenge_answer').fill(answerQuestion(label));
    await assertReceipt(page, await submitReport(page));
  } finally {
    await context.close();
  }
});

test('without JavaScript the finder answers the question', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    const question = page.locator('#challenge-question');
    assert.ok(await question.isVisible(), 'the question is shown');
    assert.ok(await page.locator('#challenge-status').isHidden(), 'no status line without JavaScript');

    await fillMinimalReport(page);
    const label = (await page.locator('label[for=challenge_answer]').textContent()).trim();
    await page.locator('#challenge_answer').fill(answerQuestion(label));
    await assertReceipt(page, await submitReport(page));
  } finally {
    await context.close();
  }
});

test('a wrong answer brings the form back with the report kept and the problem named', { timeout: 60_000 }, async () => {
  const context = await desk.browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${desk.baseUrl}/report`);
    const title = 'Stored XSS in the product reviews';
    await fillMinimalReport(page, title);
    const firstToken = await page.locator('#challenge_token').inputValue();
    const label = (await page.locator('label[for=challenge_answer]').textContent()).trim();
    await page.locator('#challenge_answer').fill(String(Number(answerQuestion(label)) + 1));

    const rejected = await submitReport(page);
    assert.equal(rejected.status(), 422);
    assert.equal(await page.locator('#title').inputValue(), title, 'the title is kept');
    const error = page.locator('#challenge #challenge-error');
    assert.equal(await error.count(), 1, 'the check has an error message');
    assert.ok((await error.textContent()).trim().length > 0, 'the error says something');
    assert.ok(await page.locator('#challenge-question').isVisible(), 'a question is asked again');
    assert.notEqual(await page.locator('#challenge_token').inputValue(), firstToken, 'the question is a fresh one');

    // The second try, with the right answer, goes through.
    const secondLabel = (await page.locator('label[for=challenge_answer]').textContent()).trim();
    await page.locator('#challenge_answer').fill(answerQuestion(secondLabel));
    await assertReceipt(page, await submitReport(page));
  } finally {
    await context.close();
  }
});
