// Package envvar reads Cognate's configuration variables.
package envvar

import (
	"fmt"
	"os"
	"strings"
)

// Secret reads a secret from the variable name or, when that is unset or
// empty, from the file named by the variable name+"_FILE" (trailing CR and
// LF removed), so secrets need not sit in the environment. It returns ""
// when neither is set, and an error naming name_FILE when the file cannot
// be read.
func Secret(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	path := os.Getenv(name + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
