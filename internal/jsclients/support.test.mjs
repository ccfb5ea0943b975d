// Checks the TOTP helper against the RFC 6238 appendix B vectors (SHA-1), so
// that a failing MFA step in the client tests cannot be a wrong code.

import test from 'node:test';
import assert from 'node:assert/strict';

import { base32Decode, totp, stepAt } from './support.mjs';

test('base32 decoding (RFC 4648)', () => {
  assert.equal(base32Decode('MZXW6YTBOI======').toString(), 'foobar');
  assert.equal(base32Decode('mzxw6ytboi').toString(), 'foobar');
  assert.equal(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString(), '12345678901234567890');
});

test('TOTP codes (RFC 6238 appendix B, SHA-1)', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
  for (const [seconds, code] of [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ]) {
    assert.equal(totp(secret, stepAt(seconds * 1000), 8), code, `T=${seconds}`);
  }
  assert.equal(totp(secret, stepAt(59_000)), '287082'); // six digits: the low digits
});
