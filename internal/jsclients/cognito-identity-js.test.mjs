// amazon-cognito-identity-js against a real Cognate listener: SRP sign-in
// (the library's default flow), the SOFTWARE_TOKEN_MFA challenge answered
// with a TOTP code, and refreshSession (REFRESH_TOKEN_AUTH).
//
// Run through `go test -run JS -v ./internal/jsclients/`, which starts
// Cognate and sets the COGNATE_JS_* variables.

import test from 'node:test';
import assert from 'node:assert/strict';

import cognito from 'amazon-cognito-identity-js';

import { readEnv, skipMessage, freshTotp, recordCalls, describeCalls, jwtPayload } from './support.mjs';

const { CognitoUserPool, CognitoUser, AuthenticationDetails } = cognito;

const env = readEnv([
  'ENDPOINT', 'USER_POOL_ID', 'CLIENT_ID',
  'IDJS_USERNAME', 'IDJS_PASSWORD', 'IDJS_SUB', 'IDJS_TOTP_SECRET', 'IDJS_TOTP_STEP',
]);

// MemoryStorage is the Storage the library needs outside a browser (it
// otherwise falls back to a module-global one): the Web Storage methods it
// calls, kept in a Map.
class MemoryStorage {
  #items = new Map();
  setItem(key, value) { this.#items.set(key, String(value)); }
  getItem(key) { return this.#items.has(key) ? this.#items.get(key) : null; }
  removeItem(key) { this.#items.delete(key); }
  clear() { this.#items.clear(); }
}

// signIn runs authenticateUser and answers the TOTP challenge; it resolves
// with the session and the name of the MFA challenge that was asked.
function signIn(user, details) {
  return new Promise((resolve, reject) => {
    let challenge;
    const done = {
      onSuccess: (session) => resolve({ session, challenge }),
      onFailure: reject,
    };
    const unexpected = (what) => () => reject(new Error(`unexpected ${what} callback`));
    user.authenticateUser(details, {
      ...done,
      totpRequired: (challengeName) => {
        challenge = challengeName;
        freshTotp(env.IDJS_TOTP_SECRET, Number(env.IDJS_TOTP_STEP))
          .then(({ code }) => user.sendMFACode(code, done, 'SOFTWARE_TOKEN_MFA'))
          .catch(reject);
      },
      mfaRequired: unexpected('mfaRequired (SMS_MFA)'),
      selectMFAType: unexpected('selectMFAType'),
      mfaSetup: unexpected('mfaSetup'),
      newPasswordRequired: unexpected('newPasswordRequired'),
      customChallenge: unexpected('customChallenge'),
    });
  });
}

const refresh = (user, refreshToken) => new Promise((resolve, reject) => {
  user.refreshSession(refreshToken, (err, session) => (err ? reject(err) : resolve(session)));
});

const getUserAttributes = (user) => new Promise((resolve, reject) => {
  user.getUserAttributes((err, attrs) => (err ? reject(err) : resolve(attrs)));
});

test('amazon-cognito-identity-js: SRP sign-in, TOTP, refresh', {
  skip: env.missing && skipMessage(env.missing),
  timeout: 120_000,
}, async (t) => {
  const calls = recordCalls();
  const storage = new MemoryStorage();
  const pool = new CognitoUserPool({
    UserPoolId: env.USER_POOL_ID, ClientId: env.CLIENT_ID, endpoint: env.ENDPOINT, Storage: storage,
  });
  const user = new CognitoUser({ Username: env.IDJS_USERNAME, Pool: pool, Storage: storage });
  assert.equal(user.getAuthenticationFlowType(), 'USER_SRP_AUTH');
  const details = new AuthenticationDetails({ Username: env.IDJS_USERNAME, Password: env.IDJS_PASSWORD });

  const { session, challenge } = await signIn(user, details);
  assert.equal(challenge, 'SOFTWARE_TOKEN_MFA', `calls: ${describeCalls(calls)}`);
  assert.ok(session.isValid(), 'session is valid');
  assert.deepEqual(
    calls.map(({ op, authFlow, challenge: c }) => [op, authFlow ?? c]),
    [
      ['InitiateAuth', 'USER_SRP_AUTH'],
      ['RespondToAuthChallenge', 'PASSWORD_VERIFIER'],
      ['RespondToAuthChallenge', 'SOFTWARE_TOKEN_MFA'],
    ],
    `calls: ${describeCalls(calls)}`,
  );
  const id = session.getIdToken().decodePayload();
  assert.equal(id.sub, env.IDJS_SUB);
  assert.equal(id['cognito:username'], env.IDJS_USERNAME);
  assert.equal(id.aud, env.CLIENT_ID);
  assert.equal(id.token_use, 'id');
  assert.ok(id.iss.endsWith(`/${env.USER_POOL_ID}`), `iss ${id.iss}`);
  const access = session.getAccessToken().decodePayload();
  assert.equal(access.token_use, 'access');
  assert.equal(access.client_id, env.CLIENT_ID);
  assert.equal(access.username, env.IDJS_USERNAME);
  t.diagnostic(`signed in with SRP + TOTP as ${id['cognito:username']} (sub ${id.sub})`);

  // The access token works with the token-authorized user API (GetUser).
  const attrs = await getUserAttributes(user);
  assert.equal(attrs.find((a) => a.getName() === 'sub')?.getValue(), env.IDJS_SUB);

  calls.length = 0;
  const refreshed = await refresh(user, session.getRefreshToken());
  assert.deepEqual(
    calls.map(({ op, authFlow }) => [op, authFlow]),
    [['InitiateAuth', 'REFRESH_TOKEN_AUTH']],
    `calls: ${describeCalls(calls)}`,
  );
  assert.ok(refreshed.isValid(), 'refreshed session is valid');
  assert.notEqual(refreshed.getIdToken().getJwtToken(), session.getIdToken().getJwtToken(), 'a new ID token');
  assert.notEqual(refreshed.getAccessToken().getJwtToken(), session.getAccessToken().getJwtToken(), 'a new access token');
  const id2 = jwtPayload(refreshed.getIdToken().getJwtToken());
  assert.equal(id2.sub, env.IDJS_SUB);
  assert.equal(id2.auth_time, id.auth_time, 'auth_time is kept on refresh');
  assert.ok(refreshed.getRefreshToken().getToken(), 'the session keeps a refresh token');
  t.diagnostic('refreshed tokens with REFRESH_TOKEN_AUTH');
});
