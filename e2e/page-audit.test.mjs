// The page audit the harness runs over every visited page finds each kind of inline code,
// and passes a page that only links its scripts and stylesheet.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './harness.mjs';
import { inlineCode } from './page-audit.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('the audit names each kind of inline code', { timeout: 30_000 }, async () => {
  const page = await browser.newPage();
  try {
    const found = await page.evaluate(
      inlineCode,
      `<!doctype html><html><head>
      <script src="/static/a.js" defer></script>
      <script>alert(1)</script>
      <style>p { color: red }</style>
      </head><body>
      <p style="color: red" onclick="go()">x</p>
      <a href=" JavaScript:go()">y</a>
      <script src="/static/b.js">var inline = 1;</script>
      <p title="<script>not a tag</script> style=">fine</p>
      </body></html>`,
    );
    assert.deepEqual(found, [
      '<script> without src',
      '<script src="/static/b.js"> with content',
      '1 <style> element(s)',
      '<p style=…>',
      '<p onclick=…>',
      '<a href="javascript:…">',
    ]);
    const clean = await page.evaluate(
      inlineCode,
      '<!doctype html><link rel="stylesheet" href="/static/style.css"><script src="/static/a.js" defer></script><p title="on">ok</p>',
    );
    assert.deepEqual(clean, []);
  } finally {
    await page.close();
  }
});
