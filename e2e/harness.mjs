// Test harness: starts the real cvdesk binary on a free loopback port with a
// fresh data directory, and launches Debian's Chromium through playwright-core.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { auditPages } from './page-audit.mjs';

const e2eDir = path.dirname(fileURLToPath(import.meta.url));

/** How long the server may take to print its listening line. */
const SERVER_START_TIMEOUT_MS = 30_000;
/** How long the server may take to exit after SIGTERM before it is killed. */
const SERVER_STOP_TIMEOUT_MS = 5_000;

/** The binary under test: `CVDESK_BIN` (relative to the working directory) or the debug build. */
export function serverBinary() {
  const fromEnv = process.env.CVDESK_BIN;
  return fromEnv
    ? path.resolve(process.cwd(), fromEnv)
    : path.resolve(e2eDir, '../target/debug/cvdesk');
}

/**
 * Starts `cvdesk serve` on 127.0.0.1:0 with an empty data directory and waits
 * for `cvdesk listening on URL` on stdout. Resolves to `{ baseUrl, dataDir, stop }`; the
 * command line reaches the same desk with `--data dataDir`.
 * The report form's check that a person is sending it is on, as shipped, unless
 * `challenge` is false. `config` is the text of a configuration file to start it with.
 */
export async function startServer({ challenge = true, config = '' } = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cvdesk-e2e-'));
  const configArgs = [];
  if (config) {
    const configFile = path.join(dataDir, 'cvdesk.toml');
    await writeFile(configFile, config);
    configArgs.push('--config', configFile);
  }
  // Browser tests send many reports from one address; rate limits are tested elsewhere.
  const env = {
    ...process.env,
    CVDESK_INTAKE_CHALLENGE: 'off',
    CVDESK_RATE_LIMIT_REPORTS: 'off',
    CVDESK_RATE_LIMIT_TRACKING: 'off',
    CVDESK_RATE_LIMIT_REPLIES: 'off',
    CVDESK_RATE_LIMIT_SIGN_IN: 'off',
    CVDESK_RATE_LIMIT_QUESTION_ANSWERS: 'off',
  };
  if (challenge) {
    delete env.CVDESK_INTAKE_CHALLENGE;
  }
  // The test server must use its own SQLite data directory and defaults,
  // whatever the surrounding shell has configured.
  delete env.CVDESK_DATABASE_URL;
  delete env.CVDESK_CONFIG;
  delete env.CVDESK_DATA;
  delete env.CVDESK_LISTEN;

  const child = spawn(
    serverBinary(),
    ['serve', '--listen', '127.0.0.1:0', '--data', path.join(dataDir, 'data'), ...configArgs],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    // Keep the tail only: enough to explain a failure.
    stderr = (stderr + chunk).slice(-20_000);
  });

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  // Everything the server prints on stdout is kept: after the listening line
  // come lines for the operator, such as the first admin's set-up link.
  let stdout = '';
  const stdoutWaiters = new Set();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    for (const waiter of stdoutWaiters) waiter();
  });

  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cvdesk did not start within ${SERVER_START_TIMEOUT_MS} ms\n${stderr}`));
    }, SERVER_START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${serverBinary()}: ${error.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`cvdesk exited before listening (code ${code}, signal ${signal})\n${stderr}`));
    });
    const listening = () => {
      const match = stdout.match(/cvdesk listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        stdoutWaiters.delete(listening);
        resolve(match[1].replace(/\/$/, ''));
      }
    };
    stdoutWaiters.add(listening);
    listening();
  });

  /** The complete lines the server has printed on stdout so far. */
  function stdoutLines() {
    return stdout.split('\n').slice(0, -1);
  }

  /**
   * Resolves to the first `pattern` match in the complete stdout lines, waiting
   * for it up to `timeoutMs`.
   */
  function waitForStdout(pattern, timeoutMs = SERVER_START_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const line of stdoutLines()) {
          const match = line.match(pattern);
          if (match) {
            clearTimeout(timer);
            stdoutWaiters.delete(check);
            resolve(match);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        stdoutWaiters.delete(check);
        reject(new Error(`cvdesk printed no line matching ${pattern} within ${timeoutMs} ms\n${stdout}`));
      }, timeoutMs);
      stdoutWaiters.add(check);
      check();
    });
  }

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), SERVER_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  }

  return { baseUrl, dataDir: path.join(dataDir, 'data'), stop, serverLog: () => stderr, stdoutLines, waitForStdout };
}

/** Debian's Chromium; Playwright's own browser downloads are not used. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Starts a server (with `startServer`'s options) and a browser together; `close()` stops
 * both, and fails when a page the tests visited has inline code or lacks the strict policy
 * (see page-audit.mjs).
 */
export async function startDesk(options = {}) {
  const server = await startServer(options);
  let browser;
  try {
    browser = await launchBrowser();
  } catch (error) {
    await server.stop();
    throw error;
  }
  const audit = auditPages(browser, new URL(server.baseUrl).origin);
  return {
    baseUrl: server.baseUrl,
    dataDir: server.dataDir,
    browser,
    serverLog: server.serverLog,
    stdoutLines: server.stdoutLines,
    waitForStdout: server.waitForStdout,
    async close() {
      let audited;
      try {
        audited = await audit.check();
      } finally {
        await browser.close();
        await server.stop();
      }
      if (audited.problems.length > 0) {
        throw new Error(`pages with inline code or without the strict policy (${audited.pages} read):\n${audited.problems.join('\n')}`);
      }
    },
  };
}

/** Writes a small file to attach to a report; returns its path and content. */
export async function makeAttachment(name = 'proof-of-concept.txt') {
  const dir = await mkdtemp(path.join(tmpdir(), 'cvdesk-e2e-file-'));
  const filePath = path.join(dir, name);
  const content = `GET /search?q=<script>alert(1)</script> HTTP/1.1\nHost: shop.example\n`;
  await writeFile(filePath, content);
  return { dir, filePath, name, content, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const NUMBER_WORDS = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty',
];

/** Answers the form's question ("What is seven plus four? Answer in digits.") in digits. */
export function answerQuestion(question) {
  const match = question.match(/What is ([a-z]+) (plus|minus) ([a-z]+)\?/i);
  assert.ok(match, `a question this test understands: ${JSON.stringify(question)}`);
  const [left, right] = [match[1], match[3]].map((word) => NUMBER_WORDS.indexOf(word.toLowerCase()));
  assert.ok(left >= 0 && right >= 0, `numbers written as words from zero to twenty: ${JSON.stringify(question)}`);
  return String(match[2].toLowerCase() === 'plus' ? left + right : left - right);
}

/** Fills in the answer to the form's question, as a finder without JavaScript does. */
export async function answerChallengeQuestion(page) {
  const label = (await page.locator('label[for=challenge_answer]').textContent()).trim();
  await page.locator('#challenge_answer').fill(answerQuestion(label));
}

/** How many bits are zero at the start of SHA-256(`token` ":" `counter`). */
export function zeroBitsOfTry(token, counter) {
  const digest = createHash('sha256').update(`${token}:${counter}`, 'ascii').digest();
  const bits = [...digest].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  const firstOne = bits.indexOf('1');
  return firstOne === -1 ? bits.length : firstOne;
}

/**
 * The headers that let a report through `POST /api/v1/reports` without a staff token: a
 * fresh challenge from the server, solved here.
 */
export async function apiChallengeHeaders(baseUrl) {
  const offer = await (await fetch(`${baseUrl}/api/v1/challenge`)).json();
  let counter = 0;
  while (zeroBitsOfTry(offer.token, counter) < offer.difficulty) counter += 1;
  return { 'cvdesk-challenge': offer.token, 'cvdesk-challenge-solution': String(counter) };
}

/** The reference number format: `CVD-2026-0001`. */
export const REFERENCE_PATTERN = /^CVD-\d{4}-\d{4,}$/;

/**
 * Clicks the form's submit button and waits for the page that answers the
 * POST. Resolves to that response, so its status and headers can be checked.
 */
export async function submitReport(page, submit = () => page.locator('form.report-form button[type=submit]').click()) {
  const responsePromise = page.waitForResponse(
    (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/report',
  );
  await submit();
  const response = await responsePromise;
  await page.waitForLoadState('load');
  return response;
}

/** Fills the fields a report needs and nothing else. */
export async function fillMinimalReport(page, title = 'Open redirect on the login page') {
  await page.locator('#title').fill(title);
  await page.locator('#summary').fill('The next parameter of /login accepts any absolute URL.');
  await page.locator('#steps_to_reproduce').fill('1. Open /login?next=https://attacker.example\n2. Log in.');
  await page.locator('#impact').fill('Phishing: the victim lands on an attacker page after a real login.');
}

/**
 * Clicks a button that submits a form and waits until the page it leads to
 * (after any redirect) has loaded, even when that page has the same URL.
 */
export async function submitAndWait(page, button) {
  const navigated = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
    timeout: 15_000,
  });
  await button.click();
  await navigated;
  await page.waitForLoadState('load');
}

/**
 * Creates the first admin `{ email, password }` through the one-time set-up
 * link, then signs in with the password.
 */
export async function setUpFirstAdmin(page, setupUrl, admin) {
  await page.goto(setupUrl);
  await page.locator('#email').fill(admin.email);
  await page.locator('#password').fill(admin.password);
  await page.locator('#confirmation').fill(admin.password);
  await submitAndWait(page, page.getByRole('button', { name: 'Save password' }));
  assert.equal(new URL(page.url()).pathname, '/staff/login');
  await page.locator('#email').fill(admin.email);
  await page.locator('#password').fill(admin.password);
  await submitAndWait(page, page.getByRole('button', { name: 'Sign in' }));
}
