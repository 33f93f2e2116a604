// Solves the report form's proof-of-work puzzle off the page's thread: finds the
// first decimal counter such that SHA-256(token ":" counter) starts with enough
// zero bits. SHA-256 is written out here because crypto.subtle answers with one
// promise per hash, far too slow for millions of tries.
"use strict";

const ROUND_CONSTANTS = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL_STATE = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
/** Tries between two progress messages to the page. */
const PROGRESS_EVERY = 1 << 14;

const schedule = new Int32Array(64);

/** Runs the compression function on `words[offset..offset+16]`, from state `input` into `output` (which may be `input`). */
function compress(input, words, offset, output) {
  const w = schedule;
  const k = ROUND_CONSTANTS;
  for (let i = 0; i < 16; i++) {
    w[i] = words[offset + i];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = input[0], b = input[1], c = input[2], d = input[3];
  let e = input[4], f = input[5], g = input[6], h = input[7];
  // Ch and Maj in their shorter equivalent forms, which run measurably faster.
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + (g ^ (e & (f ^ g))) + k[i] + w[i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) | (c & (a | b)))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  output[0] = (input[0] + a) | 0; output[1] = (input[1] + b) | 0;
  output[2] = (input[2] + c) | 0; output[3] = (input[3] + d) | 0;
  output[4] = (input[4] + e) | 0; output[5] = (input[5] + f) | 0;
  output[6] = (input[6] + g) | 0; output[7] = (input[7] + h) | 0;
}

/** Copies the big-endian words starting in `bytes[from..to)` into `words`; `from` is a multiple of four. */
function loadWords(bytes, from, to, words) {
  for (let i = from; i < to; i += 4) {
    words[i >> 2] = (bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
  }
}

/**
 * Lays out the message tail `bytes[0..length)` with SHA-256 padding for a whole
 * message of `totalLength` bytes; returns how many blocks (one or two) it fills.
 */
function pad(bytes, length, totalLength, words) {
  const blocks = length + 9 <= 64 ? 1 : 2;
  const end = blocks * 64;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, end);
  const bits = totalLength * 8;
  const high = Math.floor(bits / 0x100000000);
  bytes[end - 8] = high >>> 24; bytes[end - 7] = high >>> 16; bytes[end - 6] = high >>> 8; bytes[end - 5] = high;
  bytes[end - 4] = bits >>> 24; bytes[end - 3] = bits >>> 16; bytes[end - 2] = bits >>> 8; bytes[end - 1] = bits;
  loadWords(bytes, 0, end, words);
  return blocks;
}

/** The state after every full 64-byte block of `bytes`: the hash of a longer message starts from here. */
function midstate(bytes) {
  const state = INITIAL_STATE.slice();
  const words = new Int32Array(16);
  const full = bytes.length - (bytes.length % 64);
  for (let offset = 0; offset < full; offset += 64) {
    loadWords(bytes.subarray(offset, offset + 64), 0, 64, words);
    compress(state, words, 0, state);
  }
  return state;
}

/** SHA-256 of a byte array, as 32 bytes. */
function sha256(bytes) {
  const state = midstate(bytes);
  const tail = bytes.subarray(bytes.length - (bytes.length % 64));
  const block = new Uint8Array(128);
  const words = new Int32Array(32);
  block.set(tail);
  const blocks = pad(block, tail.length, bytes.length, words);
  for (let i = 0; i < blocks; i++) {
    compress(state, words, i * 16, state);
  }
  const digest = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    digest[i] = state[i >> 2] >>> (24 - 8 * (i & 3));
  }
  return digest;
}

/** How many bits are zero at the start of `digest`, from the most significant bit of its first byte. */
function leadingZeroBits(digest) {
  let count = 0;
  for (const byte of digest) {
    if (byte !== 0) {
      return count + Math.clz32(byte) - 24;
    }
    count += 8;
  }
  return count;
}

/**
 * The first counter, in decimal from "0", such that SHA-256(token ":" counter)
 * has at least `difficulty` (at most 32) leading zero bits. `onProgress` is
 * called with the number of tries so far every PROGRESS_EVERY tries.
 */
function solve(token, difficulty, onProgress) {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > 32) {
    throw new RangeError("difficulty must be a whole number from 0 to 32");
  }
  const prefix = new TextEncoder().encode(token + ":");
  const state = midstate(prefix);
  const tailLength = prefix.length % 64;
  const block = new Uint8Array(128);
  const words = new Int32Array(32);
  const output = new Int32Array(8);
  block.set(prefix.subarray(prefix.length - tailLength));
  // The counter's ASCII digits live in `block` right after the prefix's tail.
  let digits = 1;
  block[tailLength] = 0x30;
  let blocks = pad(block, tailLength + 1, prefix.length + 1, words);
  for (let tried = 1; ; tried++) {
    compress(state, words, 0, output);
    if (blocks === 2) {
      compress(output, words, 16, output);
    }
    // `x >>> 32` is `x`, so difficulty 0 needs its own test.
    if (difficulty === 0 || output[0] >>> (32 - difficulty) === 0) {
      return new TextDecoder().decode(block.subarray(tailLength, tailLength + digits));
    }
    if (onProgress && tried % PROGRESS_EVERY === 0) {
      onProgress(tried);
    }
    // Count up in place; only a carry past the first digit changes the layout.
    let i = tailLength + digits - 1;
    while (i >= tailLength && block[i] === 0x39) {
      block[i] = 0x30;
      i--;
    }
    if (i >= tailLength) {
      block[i]++;
      loadWords(block, i & ~3, tailLength + digits, words);
    } else {
      block[tailLength] = 0x31;
      block[tailLength + digits] = 0x30;
      digits++;
      blocks = pad(block, tailLength + digits, prefix.length + digits, words);
    }
  }
}

if (typeof self !== "undefined") {
  self.onmessage = function (event) {
    const { token, difficulty } = event.data;
    const solution = solve(String(token), Number(difficulty), function (tried) {
      self.postMessage({ tried: tried });
    });
    self.postMessage({ solution: solution });
  };
}
