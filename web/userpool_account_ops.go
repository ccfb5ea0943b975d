package web

import "github.com/cognate-dev/cognate/userpool"

// accountOperations are the recovery and account-care operations. Not
// implemented yet.
func accountOperations(up *userpool.Service) map[string]op { return map[string]op{} }
