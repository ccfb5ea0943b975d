// Package userpool is Cognate's embedded user directory: user pools, app
// clients and users, the sign-up and sign-in flows, and the ID, access and
// refresh tokens a pool issues.
//
// It implements the semantics of Amazon Cognito User Pools (cognito-idp
// 2016-04-18) with Go verbs (CreatePool, SignUp, SignInWithPassword,
// Refresh, ...); the AWS operation names live at the web/ edge. Errors are
// *fault.Error values carrying the Cognito exception name and a public
// message; internal causes stay private.
//
// Security choices, written down where they are made:
//   - passwords are stored as argon2id PHC strings and compared in constant
//     time; an unknown user still costs one argon2id evaluation so timing does
//     not reveal whether a username exists;
//   - for USER_SRP_AUTH only the SRP salt and verifier are stored beside
//     the argon2id hash (reference §5.4); a verifier is one salted SHA-256
//     away from the password, so a stolen database allows cheaper offline
//     guessing against it than against argon2id (Cognito's protocol leaves
//     no choice). math/big is not constant-time; the secret exponent is
//     fresh per attempt and the proof is compared in constant time;
//   - one-time codes (sign-up, password reset, attribute verification) are
//     stored only as HMAC-SHA-256 under a key derived from the master key
//     (a plain hash of six digits is reversible), expire, and die after a
//     few wrong tries counted in the store; refresh tokens are stored only
//     as SHA-256 hashes, so a leaked database holds no usable code or token;
//   - client secrets and TOTP secrets are sealed with the key ring
//     (DescribeUserPoolClient must return client secrets), with the owner as
//     additional data;
//   - challenge Sessions and SRP SECRET_BLOCKs are sealed, short-lived and
//     bound to their pool, client, user and password; answered sessions and
//     blocks are claimed in the store until they expire, so none is
//     answered twice, on any replica;
//   - sign-in failures lock a name (counted in the store, so on every
//     replica) and throttle a source address (per replica); with PreventUserExistenceErrors=ENABLED an unknown user gets
//     the same answers and costs the same work as a known one;
//   - trigger webhooks are signed with HMAC-SHA256 (triggers.go);
//   - every decision reads the injected clock (Config.Now).
package userpool
