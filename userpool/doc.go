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
//   - confirmation codes and refresh tokens are stored only as SHA-256
//     hashes, so a leaked database holds no usable code or token;
//   - client secrets are sealed with the key ring (DescribeUserPoolClient must
//     return them), with the client ID as additional data;
//   - every decision reads the injected clock (Config.Now).
package userpool
