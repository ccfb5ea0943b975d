package web

import "github.com/cognate-dev/cognate/userpool"

// clientAndSignOutOperations are UpdateUserPoolClient, DeleteUserPoolClient
// and the sign-out operations. Not implemented yet.
func clientAndSignOutOperations(up *userpool.Service) map[string]op { return map[string]op{} }
