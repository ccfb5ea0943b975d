package policy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a policy string compiled once at parse time: literal text,
// the wildcards * and ? (where the element allows them) and policy variables
// ${key} or ${key, 'default'} (IAM User Guide, "IAM policy elements:
// Variables and tags"). Matching never re-parses the source text.
type pattern struct {
	src    string
	toks   []token
	hasVar bool
	// lit is set when toks is one literal (or empty): matching is a plain
	// string comparison.
	lit bool
}

type tokenKind uint8

const (
	tokLit tokenKind = iota
	tokStar
	tokQuestion
	tokVar
)

type token struct {
	kind tokenKind
	s    string // tokLit: the text; tokVar: the context key, lower case
	def  string // tokVar: the default value
	// hasDef reports whether a tokVar has a default.
	hasDef bool
}

// compilePattern compiles s. wildcards selects whether * and ? match
// (Resource, Action, StringLike, ArnLike) or are literal (StringEquals);
// vars selects whether ${...} is a variable (policy Version 2012-10-17) or
// literal text. fold lower-cases literal text (case-insensitive elements).
func compilePattern(s string, wildcards, vars, fold bool) pattern {
	p := pattern{src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tokLit, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case wildcards && c == '*':
			flush()
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar {
				p.toks = append(p.toks, token{kind: tokStar})
			}
		case wildcards && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tokQuestion})
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				lit.WriteByte(c)
				continue
			}
			body := s[i+2 : i+2+end]
			i += 2 + end
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
				continue
			}
			flush()
			p.toks = append(p.toks, parseVariable(body))
			p.hasVar = true
		default:
			if fold && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lit.WriteByte(c)
		}
	}
	flush()
	p.lit = len(p.toks) == 0 || (len(p.toks) == 1 && p.toks[0].kind == tokLit)
	return p
}

// parseVariable parses the inside of ${...}: "key" or "key, 'default'".
func parseVariable(body string) token {
	t := token{kind: tokVar}
	key := body
	if i := strings.IndexByte(body, ','); i >= 0 {
		key = body[:i]
		d := strings.TrimSpace(body[i+1:])
		if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
			t.def, t.hasDef = d[1:len(d)-1], true
		} else {
			t.def, t.hasDef = d, true
		}
	}
	t.s = strings.ToLower(strings.TrimSpace(key))
	return t
}

// literal returns the pattern's text when it is a single literal.
func (p *pattern) literal() string {
	if len(p.toks) == 0 {
		return ""
	}
	return p.toks[0].s
}

// matchAny reports whether the pattern is the lone wildcard "*".
func (p *pattern) matchAny() bool {
	return len(p.toks) == 1 && p.toks[0].kind == tokStar
}

// match reports whether s matches the pattern, with variables resolved in
// ctx. A variable with no value in ctx and no default makes the pattern
// match nothing, as IAM does.
func (p *pattern) match(s string, ctx Context) bool {
	if p.lit {
		return p.literal() == s
	}
	toks := p.toks
	if p.hasVar {
		var buf [16]token
		var ok bool
		if toks, ok = p.resolve(buf[:0], ctx); !ok {
			return false
		}
	}
	return globTokens(toks, s, false)
}

// matchFold is match for a pattern compiled with fold: s is compared without
// regard to ASCII case, without allocating.
func (p *pattern) matchFold(s string) bool {
	if p.lit {
		return strings.EqualFold(p.literal(), s)
	}
	return globTokens(p.toks, s, true)
}

// resolve returns the tokens with every variable replaced by a literal; false
// when a variable has no value.
func (p *pattern) resolve(dst []token, ctx Context) ([]token, bool) {
	for _, t := range p.toks {
		if t.kind != tokVar {
			dst = append(dst, t)
			continue
		}
		v, ok := ctx.variable(t)
		if !ok {
			return nil, false
		}
		dst = append(dst, token{kind: tokLit, s: v})
	}
	return dst, true
}

// text returns the text a pattern compiled without wildcards stands for,
// with variables resolved in ctx and the escapes ${*}, ${?} and ${$} as the
// characters they escape; false when a variable has no value.
func (p *pattern) text(ctx Context) (string, bool) {
	if p.lit {
		return p.literal(), true
	}
	var b strings.Builder
	for _, t := range p.toks {
		if t.kind != tokVar {
			b.WriteString(t.s)
			continue
		}
		v, ok := ctx.variable(t)
		if !ok {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

// globTokens matches s against literal, * and ? tokens: the classic greedy
// algorithm with one backtrack point (the last star), with literal tokens
// compared whole. Linear in len(s) times the number of tokens.
// With fold, literals (compiled lower case) match s without regard to ASCII
// case.
func globTokens(toks []token, s string, fold bool) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for si < len(s) || ti < len(toks) {
		if ti < len(toks) {
			switch t := toks[ti]; t.kind {
			case tokStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tokQuestion:
				if si < len(s) {
					_, n := decodeRune(s[si:])
					ti, si = ti+1, si+n
					continue
				}
			case tokLit:
				if hasPrefix(s[si:], t.s, fold) {
					ti, si = ti+1, si+len(t.s)
					continue
				}
			}
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, n := decodeRune(s[starSi:])
		starSi += n
		ti, si = starTi+1, starSi
	}
	return true
}

// decodeRune returns the first character of s and its length in bytes, so
// that ? matches one character, not one byte.
func decodeRune(s string) (rune, int) {
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	return utf8.DecodeRuneInString(s)
}

func hasPrefix(s, prefix string, fold bool) bool {
	if !fold {
		return strings.HasPrefix(s, prefix)
	}
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
