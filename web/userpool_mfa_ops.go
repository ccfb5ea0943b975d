package web

import "github.com/cognate-dev/cognate/userpool"

// mfaOperations are the TOTP and MFA-preference operations. Not
// implemented yet.
func mfaOperations(up *userpool.Service) map[string]op { return map[string]op{} }
