// The report form's puzzle solver, as shipped to browsers, checked against
// node:crypto. Needs no browser and no server: the worker script is evaluated
// here as it is.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import vm from 'node:vm';

const workerSource = await readFile(
  new URL('../crates/cvdesk-server/static/challenge-worker.js', import.meta.url),
  'utf8',
);

/**
 * The worker script's functions. Evaluated in a function scope rather than a
 * `vm` context: calls through a context's global object are several times
 * slower, which would spoil the speed measurement. `self` is left undefined,
 * so the script does not listen for messages.
 */
const { sha256, leadingZeroBits, solve } = new Function(
  'self',
  `${workerSource}\nreturn { sha256, leadingZeroBits, solve };`,
)(undefined);

function referenceSha256(bytes) {
  return createHash('sha256').update(bytes).digest();
}

/** Leading zero bits, counted the slow and obvious way. */
function referenceZeroBits(digest) {
  const bits = [...digest].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  const firstOne = bits.indexOf('1');
  return firstOne === -1 ? bits.length : firstOne;
}

function hashOfTry(token, counter) {
  return referenceSha256(Buffer.from(`${token}:${counter}`, 'ascii'));
}

/** The first counter from 0 whose hash has `difficulty` leading zero bits, by node:crypto. */
function referenceSolve(token, difficulty) {
  for (let counter = 0; ; counter++) {
    if (referenceZeroBits(hashOfTry(token, counter)) >= difficulty) {
      return String(counter);
    }
  }
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_';

/** A token of `length` characters from the alphabet the server uses. */
function randomToken(length) {
  return [...randomBytes(length)].map((byte) => TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length]).join('');
}

test('SHA-256 matches node:crypto for messages of 0 to 200 bytes', () => {
  for (let length = 0; length <= 200; length++) {
    // More tries around the padding boundaries: 55/56 and 64 bytes, and a block later.
    const near = [55, 56, 63, 64, 65, 119, 120, 127, 128, 129].some((edge) => Math.abs(length - edge) <= 1);
    for (let round = 0; round < (near ? 12 : 3); round++) {
      const message = randomBytes(length);
      assert.deepEqual(
        Buffer.from(sha256(message)),
        referenceSha256(message),
        `message of ${length} bytes: ${message.toString('hex')}`,
      );
    }
  }
});

test('SHA-256 of the standard test vectors', () => {
  const vectors = {
    '': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq:
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  };
  for (const [text, hex] of Object.entries(vectors)) {
    assert.equal(Buffer.from(sha256(Buffer.from(text, 'ascii'))).toString('hex'), hex, JSON.stringify(text));
  }
});

test('leading zero bits are counted from the most significant bit of the first byte', () => {
  const cases = [
    [[], 0],
    [[0x80], 0],
    [[0x7f, 0xff], 1],
    [[0x01], 7],
    [[0x00, 0x80], 8],
    [[0x00, 0x01], 15],
    [[0x00, 0x00, 0x0f], 20],
    [[0x00, 0x00, 0x00, 0x00], 32],
    [new Array(32).fill(0), 256],
  ];
  for (const [bytes, expected] of cases) {
    assert.equal(leadingZeroBits(Uint8Array.from(bytes)), expected, `bytes ${bytes}`);
  }
  for (let round = 0; round < 500; round++) {
    const digest = randomBytes(32);
    // Zero a random number of leading bits so long runs are covered too.
    const zeroBits = round % 40;
    for (let bit = 0; bit < zeroBits; bit++) {
      digest[bit >> 3] &= ~(0x80 >> (bit & 7));
    }
    assert.equal(leadingZeroBits(digest), referenceZeroBits(digest), digest.toString('hex'));
  }
});

test('solve finds the first counter that node:crypto accepts, for tokens of many lengths', () => {
  // Token lengths put the counter in every position of the last block, so the
  // one-block and two-block layouts and the growth from 1 to 4 digits are all met.
  for (let length = 63; length <= 63 + 64 + 1; length++) {
    const token = randomToken(length);
    const difficulty = 8 + (length % 3);
    const solution = solve(token, difficulty);
    assert.equal(solution, referenceSolve(token, difficulty), `token ${token}, difficulty ${difficulty}`);
  }
});

test('solve meets the difficulty for realistic tokens', () => {
  for (const difficulty of [1, 10, 12, 13, 14]) {
    for (const length of [88, 90, 92]) {
      const token = randomToken(length);
      const solution = solve(token, difficulty);
      assert.match(solution, /^(0|[1-9][0-9]*)$/, 'a decimal counter without sign or leading zeros');
      const zeroBits = referenceZeroBits(hashOfTry(token, solution));
      assert.ok(zeroBits >= difficulty, `${token}:${solution} has ${zeroBits} zero bits, wanted ${difficulty}`);
      if (difficulty <= 12) {
        assert.equal(solution, referenceSolve(token, difficulty), `the first solution for ${token}`);
      }
    }
  }
  assert.equal(solve(randomToken(90), 0), '0', 'difficulty 0 is met by the first try');
  assert.throws(() => solve('token', 33), { name: 'RangeError' });
  assert.throws(() => solve('token', 1.5), { name: 'RangeError' });
});

test('the worker answers a message with progress and then the solution', () => {
  const messages = [];
  const self = {
    postMessage(message) {
      messages.push(message);
    },
  };
  vm.runInContext(workerSource, vm.createContext({ TextEncoder, TextDecoder, self }), {
    filename: 'challenge-worker.js',
  });
  assert.equal(typeof self.onmessage, 'function', 'the worker listens for messages');
  const token = randomToken(90);
  self.onmessage({ data: { token, difficulty: 14 } });
  const last = messages.at(-1);
  assert.ok(typeof last.solution === 'string', `the last message carries the solution: ${JSON.stringify(last)}`);
  assert.ok(referenceZeroBits(hashOfTry(token, last.solution)) >= 14);
  const progress = messages.slice(0, -1);
  assert.ok(progress.every((message) => Number.isInteger(message.tried) && message.tried > 0));
  assert.ok(progress.every((message, index) => index === 0 || message.tried > progress[index - 1].tried));
  assert.ok(progress.every((message) => message.tried <= Number(last.solution) + 1));
});

test('solving speed', () => {
  const tokens = Array.from({ length: 60 }, () => randomToken(90));
  solve(randomToken(90), 12); // Lets the JIT compile the hot loop first.
  let tried = 0;
  const started = process.hrtime.bigint();
  for (const token of tokens) {
    tried += Number(solve(token, 14)) + 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = Math.round(tried / seconds);
  console.log(`challenge solver: ${perSecond.toLocaleString('en')} hashes per second (${tried} tries in ${seconds.toFixed(2)} s)`);
  assert.ok(perSecond > 0);
});
