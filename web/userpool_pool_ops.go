package web

import "github.com/cognate-dev/cognate/userpool"

// poolSettingsOperations are UpdateUserPool and the trigger settings. Not
// implemented yet.
func (s *Server) poolSettingsOperations(up *userpool.Service) map[string]op { return map[string]op{} }
