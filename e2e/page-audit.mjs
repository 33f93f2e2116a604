// Every page a browser test visits is checked as the server sent it: a strict Content
// Security Policy header, and no inline code in the HTML (a <script> without src or with
// content, an on…= handler, a style attribute, a <style> element, a javascript: address).
// The harness watches each browser context it hands out and runs the check when the desk
// is closed, so a test that visits a page cannot forget to check it.

/**
 * Watches the documents `browser`'s contexts load from `origin`. Resolves nothing by
 * itself; `check()` returns one sentence per problem found.
 */
export function auditPages(browser, origin) {
  const documents = [];
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...options) => {
    const context = await newContext(...options);
    const reads = [];
    context.on('response', (response) => {
      if (response.request().resourceType() !== 'document') return;
      if (new URL(response.url()).origin !== origin) return;
      const read = readDocument(response, context);
      reads.push(read);
      documents.push(read);
    });
    // A page's body can be read only while its context is open.
    const close = context.close.bind(context);
    context.close = async (...args) => {
      await Promise.all(reads);
      return close(...args);
    };
    return context;
  };

  return {
    async check() {
      const visited = await Promise.all(documents);
      const problems = [];
      const context = await newContext();
      try {
        const parser = await context.newPage();
        for (const document of visited) {
          const where = `${document.status} ${document.url}`;
          problems.push(...policyProblems(document.headers).map((problem) => `${where}: ${problem}`));
          if (document.unread) {
            problems.push(`${where}: the page could not be read: ${document.unread}`);
          } else if (document.html !== null) {
            const found = await parser.evaluate(inlineCode, document.html);
            problems.push(...found.map((problem) => `${where}: ${problem}`));
          }
        }
      } finally {
        await context.close();
      }
      return { pages: visited.length, problems };
    },
  };
}

/**
 * What the server sent for one document: status, headers, and the HTML when it is HTML.
 * Chromium lets a body go once its page has navigated on, which a quick test can do before
 * the body is read; a page that was a GET is then asked for again, with the same cookies,
 * and checked as the server sends it now.
 */
async function readDocument(response, context) {
  const document = { url: response.url(), status: response.status(), headers: {}, html: null, unread: null };
  try {
    document.headers = await response.allHeaders();
    if (isHtml(document)) document.html = await response.text();
  } catch (error) {
    if (response.request().method() === 'GET') {
      try {
        const again = await context.request.get(document.url, { maxRedirects: 0 });
        document.status = again.status();
        document.headers = again.headers();
        document.html = isHtml(document) ? await again.text() : null;
        return document;
      } catch {
        // Reported below with the first error.
      }
    }
    document.unread = error.message.split('\n')[0];
  }
  return document;
}

function isHtml(document) {
  const isRedirect = document.status >= 300 && document.status < 400;
  return !isRedirect && /^text\/html/.test(document.headers['content-type'] ?? '');
}

function policyProblems(headers) {
  const csp = headers['content-security-policy'];
  if (!csp) return ['no content-security-policy header'];
  const problems = [];
  if (!/(^|;)\s*default-src 'none'\s*(;|$)/.test(csp)) problems.push(`CSP does not start from default-src 'none': ${csp}`);
  if (/unsafe-inline|unsafe-eval/.test(csp)) problems.push(`CSP allows inline code: ${csp}`);
  return problems;
}

/** Runs in the browser: parses `html` without running it and lists its inline code. */
export function inlineCode(html) {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  const found = [];
  for (const script of parsed.querySelectorAll('script')) {
    if (!script.hasAttribute('src')) found.push('<script> without src');
    else if (script.textContent.trim() !== '') found.push(`<script src="${script.getAttribute('src')}"> with content`);
  }
  const styles = parsed.querySelectorAll('style').length;
  if (styles > 0) found.push(`${styles} <style> element(s)`);
  for (const element of parsed.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (attribute.name.startsWith('on')) found.push(`<${element.localName} ${attribute.name}=…>`);
      if (attribute.name === 'style') found.push(`<${element.localName} style=…>`);
      if (/^\s*javascript:/i.test(attribute.value)) found.push(`<${element.localName} ${attribute.name}="javascript:…">`);
    }
  }
  return found;
}
