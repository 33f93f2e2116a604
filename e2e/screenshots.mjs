// Makes the README's screenshots of the report form, the form with errors and
// the receipt, from a fresh server. Run by hand: `node screenshots.mjs [OUTDIR]`
// (default ../docs). Not part of the test run.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillMinimalReport, startDesk, submitReport } from './harness.mjs';

const e2eDir = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(process.argv[2] ?? path.join(e2eDir, '../docs'));
await mkdir(outDir, { recursive: true });

const desk = await startDesk();
try {
  const context = await desk.browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  async function shoot(name) {
    const file = path.join(outDir, name);
    // Screenshots show the page as it first appears, not where focus scrolled it.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }

  await page.goto(`${desk.baseUrl}/report`);
  await shoot('report-form.png');

  // A finder who forgot the impact and mistyped the CWE.
  await page.locator('#title').fill('Stored XSS in the comment form of the support portal');
  await page.locator('#asset').fill('support.example.com');
  await page.locator('#weakness').fill('CWE-7900');
  await page.locator('#severity').fill('CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N');
  await page.locator('#summary').fill('Comments are rendered without escaping, so HTML in a comment runs in the agent\'s browser.');
  await page.locator('#steps_to_reproduce').fill('1. Open a ticket.\n2. Add the comment <img src=x onerror=alert(document.domain)>\n3. Open the ticket as an agent.');
  await submitReport(page);
  await shoot('report-form-errors.png');

  await page.goto(`${desk.baseUrl}/report`);
  await fillMinimalReport(page);
  await submitReport(page);
  await shoot('receipt.png');

  await context.close();
} finally {
  await desk.close();
}
