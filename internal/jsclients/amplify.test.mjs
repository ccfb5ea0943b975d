// Amplify v6 against a real Cognate listener, configured with
// Auth.Cognito.userPoolEndpoint and identityPoolEndpoint: signIn (SRP, the
// default flow) → CONFIRM_SIGN_IN_WITH_TOTP_CODE → confirmSignIn, then
// fetchAuthSession for the identity ID and AWS credentials of the identity
// pool, and fetchAuthSession({forceRefresh: true}) for new tokens.
//
// Shims: none on Node 20 or later. Without `window`, Amplify keeps its tokens
// in its in-memory storage and uses the global fetch; its SRP takes random
// bytes from the global Web Crypto, which Node 18 (Debian 12's nodejs) does
// not define, so it is set from node:crypto when missing.
//
// Run through `go test -run JS -v ./internal/jsclients/`, which starts
// Cognate and sets the COGNATE_JS_* variables.

import test from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';

import { Amplify } from 'aws-amplify';
import { signIn, confirmSignIn, fetchAuthSession, getCurrentUser, signOut } from 'aws-amplify/auth';

import { readEnv, skipMessage, freshTotp, recordCalls, describeCalls } from './support.mjs';

if (typeof globalThis.crypto === 'undefined') globalThis.crypto = webcrypto; // Node 18

const env = readEnv([
  'ENDPOINT', 'REGION', 'USER_POOL_ID', 'CLIENT_ID', 'IDENTITY_POOL_ID',
  'AMPLIFY_USERNAME', 'AMPLIFY_PASSWORD', 'AMPLIFY_SUB', 'AMPLIFY_TOTP_SECRET', 'AMPLIFY_TOTP_STEP',
]);

const ops = (calls) => calls.map(({ op, authFlow, challenge }) => [op, authFlow ?? challenge ?? null]);

function assertCredentials(creds, label) {
  assert.ok(creds, `${label}: credentials`);
  assert.match(creds.accessKeyId, /^[A-Z0-9]{16,128}$/, `${label}: accessKeyId`);
  assert.ok(creds.secretAccessKey, `${label}: secretAccessKey`);
  assert.ok(creds.sessionToken, `${label}: sessionToken`);
  assert.ok(creds.expiration instanceof Date, `${label}: expiration is a Date`);
  assert.ok(creds.expiration.getTime() > Date.now(), `${label}: expiration ${creds.expiration.toISOString()} is in the future`);
}

test('Amplify v6: signIn with SRP + TOTP, fetchAuthSession, forced refresh', {
  skip: env.missing && skipMessage(env.missing),
  timeout: 120_000,
}, async (t) => {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: env.USER_POOL_ID,
        userPoolClientId: env.CLIENT_ID,
        identityPoolId: env.IDENTITY_POOL_ID,
        userPoolEndpoint: env.ENDPOINT,
        identityPoolEndpoint: env.ENDPOINT,
        allowGuestAccess: false,
      },
    },
  });
  const calls = recordCalls();

  const first = await signIn({ username: env.AMPLIFY_USERNAME, password: env.AMPLIFY_PASSWORD });
  assert.equal(first.isSignedIn, false);
  assert.equal(first.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE', `calls: ${describeCalls(calls)}`);
  const { code } = await freshTotp(env.AMPLIFY_TOTP_SECRET, Number(env.AMPLIFY_TOTP_STEP));
  const done = await confirmSignIn({ challengeResponse: code });
  assert.equal(done.isSignedIn, true);
  assert.equal(done.nextStep.signInStep, 'DONE');
  assert.deepEqual(ops(calls).slice(0, 3), [
    ['InitiateAuth', 'USER_SRP_AUTH'],
    ['RespondToAuthChallenge', 'PASSWORD_VERIFIER'],
    ['RespondToAuthChallenge', 'SOFTWARE_TOKEN_MFA'],
  ], `calls: ${describeCalls(calls)}`);
  const user = await getCurrentUser();
  assert.equal(user.username, env.AMPLIFY_USERNAME);
  assert.equal(user.userId, env.AMPLIFY_SUB);
  t.diagnostic(`signed in with SRP + TOTP as ${user.username}`);

  calls.length = 0;
  const session = await fetchAuthSession();
  assert.ok(session.tokens?.idToken, 'an ID token');
  assert.equal(session.tokens.idToken.payload.sub, env.AMPLIFY_SUB);
  assert.equal(session.tokens.idToken.payload.aud, env.CLIENT_ID);
  assert.equal(session.userSub, env.AMPLIFY_SUB);
  assert.match(session.identityId ?? '', new RegExp(`^${env.REGION}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`),
    `identityId, calls: ${describeCalls(calls)}`);
  assertCredentials(session.credentials, 'fetchAuthSession');
  assert.deepEqual(ops(calls), [['GetId', null], ['GetCredentialsForIdentity', null]], `calls: ${describeCalls(calls)}`);
  t.diagnostic(`identity ${session.identityId}, credentials ${session.credentials.accessKeyId} until ${session.credentials.expiration.toISOString()}`);

  calls.length = 0;
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  assert.equal(ops(calls)[0]?.[0], 'GetTokensFromRefreshToken', `calls: ${describeCalls(calls)}`);
  assert.notEqual(refreshed.tokens.idToken.toString(), session.tokens.idToken.toString(), 'a new ID token');
  assert.notEqual(refreshed.tokens.accessToken.toString(), session.tokens.accessToken.toString(), 'a new access token');
  assert.equal(refreshed.tokens.idToken.payload.sub, env.AMPLIFY_SUB);
  assert.equal(refreshed.identityId, session.identityId, 'the same identity after refresh');
  assertCredentials(refreshed.credentials, 'fetchAuthSession({forceRefresh: true})');
  t.diagnostic(`refreshed: ${describeCalls(calls)}`);

  calls.length = 0;
  await signOut();
  assert.deepEqual(calls.map((c) => [c.op, c.status]), [['RevokeToken', 200]], `signOut calls: ${describeCalls(calls)}`);
  const after = await fetchAuthSession();
  assert.equal(after.tokens, undefined, 'no tokens after signOut');
});
