package policy

import "strings"

// arnPattern matches ARNs component by component, as IAM matches Resource
// elements and the Arn* condition operators: "arn", partition, service,
// region, account and resource (everything after the fifth colon) are each
// matched separately, so a wildcard never spans a colon between the first
// five components. "*" alone matches any resource.
type arnPattern struct {
	src   string
	any   bool
	parts [6]pattern
}

func compileARN(s string, vars bool) (arnPattern, error) {
	ap := arnPattern{src: s}
	if s == "*" {
		ap.any = true
		return ap, nil
	}
	parts, ok := splitARNPattern(s)
	if !ok {
		return ap, syntaxErrorf("Resource %s must be in ARN format or \"*\".", s)
	}
	for i, part := range parts {
		ap.parts[i] = compilePattern(part, true, vars, false)
	}
	return ap, nil
}

// splitARNPattern splits s at its first five colons that are not inside a
// policy variable ("${cognito-identity.amazonaws.com:sub}" has one).
func splitARNPattern(s string) ([6]string, bool) {
	var parts [6]string
	if !strings.HasPrefix(s, "arn:") {
		return parts, false
	}
	n, start, depth := 0, 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == ':' && depth == 0:
			parts[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = s[start:]
	return parts, true
}

// match reports whether arn matches, with variables resolved in ctx.
func (ap *arnPattern) match(arn string, ctx Context) bool {
	if ap.any {
		return true
	}
	rest := arn
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		if !ap.parts[i].match(rest[:j], ctx) {
			return false
		}
		rest = rest[j+1:]
	}
	return ap.parts[5].match(rest, ctx)
}
