// Shared helpers of the Node tests: the environment set by jsclients_test.go,
// RFC 6238 TOTP codes computed with node:crypto, a record of the Cognito
// operations the client libraries send, and JWT payload decoding.

import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

// readEnv returns the COGNATE_JS_<name> variables for the given names, or
// {missing: [...]} when some are unset (the file was run by hand, not through
// `go test ./internal/jsclients`).
export function readEnv(names) {
  const out = {};
  const missing = [];
  for (const name of names) {
    const v = process.env[`COGNATE_JS_${name}`];
    if (v === undefined || v === '') missing.push(`COGNATE_JS_${name}`);
    out[name] = v;
  }
  return missing.length ? { missing } : out;
}

export const skipMessage = (missing) =>
  `${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more` : ''} unset: ` +
  'run through `go test -run JS -v ./internal/jsclients/`, which starts Cognate and sets them';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// base32Decode decodes RFC 4648 base32 (case-insensitive, padding optional),
// the form of AssociateSoftwareToken's SecretCode.
export function base32Decode(s) {
  const clean = s.toUpperCase().replace(/[\s=]/g, '');
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const i = B32.indexOf(ch);
    if (i < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
      value &= (1 << bits) - 1;
    }
  }
  return Buffer.from(out);
}

export const PERIOD_MS = 30_000;

export const stepAt = (ms) => Math.floor(ms / PERIOD_MS);

// hotp is RFC 4226 with HMAC-SHA-1; totp(secret, step) is RFC 6238 for the
// given 30-second time step (SHA-1, 6 digits: what authenticator apps and
// Cognito use).
export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac('sha1', key).update(msg).digest();
  const off = h[h.length - 1] & 0x0f;
  const bin = h.readUInt32BE(off) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export const totp = (base32Secret, step, digits = 6) => hotp(base32Decode(base32Secret), step, digits);

// freshTotp returns the code of the first time step after `afterStep` (the
// last step whose code the server may have seen for this user: codes are
// single-use) that still has `minLeftMs` to run, waiting for it if needed.
export async function freshTotp(base32Secret, afterStep, { minLeftMs = 3_000, log = console.log } = {}) {
  for (;;) {
    const now = Date.now();
    const step = stepAt(now);
    const left = (step + 1) * PERIOD_MS - now;
    if (step > afterStep && left >= minLeftMs) return { code: totp(base32Secret, step), step };
    log(`waiting ${Math.ceil(left / 1000)} s for the next TOTP time step`);
    await sleep(left + 50);
  }
}

// recordCalls wraps globalThis.fetch (both libraries call the global fetch
// at request time) and records, for every request, the Cognito operation
// (from X-Amz-Target), AuthFlow / ChallengeName and HTTP status. It is only
// an observation: requests and responses pass through unchanged.
export function recordCalls() {
  const calls = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const target = headers.get('x-amz-target') ?? '';
    let body = {};
    try {
      body = typeof init.body === 'string' ? JSON.parse(init.body) : {};
    } catch {
      // not JSON: nothing to record from the body
    }
    const res = await original(input, init);
    const call = { op: target.slice(target.lastIndexOf('.') + 1), status: res.status };
    if (body.AuthFlow) call.authFlow = body.AuthFlow;
    if (body.ChallengeName) call.challenge = body.ChallengeName;
    if (!res.ok) {
      const text = await res.clone().text().catch(() => '');
      call.error = res.headers.get('x-amzn-errortype')?.split(':')[0] || text.slice(0, 200);
      try {
        const { __type: type, message } = JSON.parse(text);
        call.error = `${type}: ${message}`;
      } catch {
        // keep the header or raw text
      }
    }
    calls.push(call);
    return res;
  };
  return calls;
}

// describeCalls renders recorded calls compactly for assertion messages.
export const describeCalls = (calls) =>
  calls.map((c) => `${c.op}${c.authFlow ? `(${c.authFlow})` : ''}${c.challenge ? `(${c.challenge})` : ''}` +
    `→${c.status}${c.error ? ` [${c.error}]` : ''}`).join(', ');

// jwtPayload decodes a JWT's payload without verifying it.
export const jwtPayload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
