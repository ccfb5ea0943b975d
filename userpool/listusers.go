package userpool

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"
)

// ListUsers and its filter language (reference user-pools.md §3.3).

// SearchableAttributes are the attributes a ListUsers filter may name;
// custom attributes are not searchable, as in Cognito.
var SearchableAttributes = []string{"username", "email", "phone_number", "name", "given_name",
	"family_name", "preferred_username", "cognito:user_status", "status", "sub"}

// MaxFilterLength is the longest Filter ListUsers accepts (UserFilterType).
const MaxFilterLength = 256

// maxListUsersPage is ListUsers' largest (and default) Limit.
const maxListUsersPage = 60

// listUsersScanBudget bounds the users one ListUsers call examines: a filter
// that matches few users in a large pool returns a short (even empty) page
// with a PaginationToken rather than reading the whole pool at once, as
// Cognito documents it may.
const listUsersScanBudget = 1000

// Filter is a parsed ListUsers filter: `Attribute = "Value"` (exact match)
// or `Attribute ^= "Value"` (Prefix). The zero Filter matches every user.
type Filter struct {
	Attribute string
	Prefix    bool
	Value     string
}

func errFilterSyntax() error { return invalidParam("Error while parsing filter.") }

// ParseFilter parses a ListUsers filter (reference §3.3): an attribute name,
// the operator "=" or "^=", and a value in double quotes in which a
// backslash escapes the next character (\" is a quote, \\ a backslash),
// with optional spaces between the parts. An empty or blank filter matches
// every user. Errors are InvalidParameterException: "Error while parsing
// filter." for bad syntax (Cognito's message), and a message listing the
// searchable attributes for an attribute that is not one of them.
func ParseFilter(s string) (Filter, error) {
	if utf8.RuneCountInString(s) > MaxFilterLength {
		return Filter{}, invalidParam("Filter must be at most %d characters.", MaxFilterLength)
	}
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	skip()
	if i == len(s) {
		return Filter{}, nil
	}
	start := i
	for i < len(s) && !strings.ContainsRune(" \t\n\r=^\"\\", rune(s[i])) {
		i++
	}
	attr := s[start:i]
	if attr == "" {
		return Filter{}, errFilterSyntax()
	}
	skip()
	var f Filter
	switch {
	case strings.HasPrefix(s[i:], "^="):
		f.Prefix = true
		i += 2
	case strings.HasPrefix(s[i:], "="):
		i++
	default:
		return Filter{}, errFilterSyntax()
	}
	skip()
	if i >= len(s) || s[i] != '"' {
		return Filter{}, errFilterSyntax()
	}
	i++
	var b strings.Builder
	closed := false
	for i < len(s) && !closed {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return Filter{}, errFilterSyntax()
			}
			b.WriteByte(s[i+1])
			i += 2
		case '"':
			closed = true
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	if !closed {
		return Filter{}, errFilterSyntax()
	}
	skip()
	if i != len(s) {
		return Filter{}, errFilterSyntax()
	}
	if !slices.Contains(SearchableAttributes, attr) {
		if !utf8.ValidString(attr) {
			return Filter{}, errFilterSyntax()
		}
		return Filter{}, invalidParam("Error while parsing filter: %q is not a searchable attribute; the searchable attributes are %s.",
			attr, strings.Join(SearchableAttributes, ", "))
	}
	f.Attribute, f.Value = attr, b.String()
	return f, nil
}

// Match reports whether u matches f. username, sub, status and the
// attributes compare case-sensitively; cognito:user_status (the
// UserStatus) compares case-insensitively, as in Cognito. status is
// "Enabled" or "Disabled". A user without the attribute matches nothing.
func (f Filter) Match(u User) bool {
	var v string
	switch f.Attribute {
	case "":
		return true
	case "username":
		v = u.Username
	case "sub":
		v = u.Sub
	case "status":
		v = "Disabled"
		if u.Enabled {
			v = "Enabled"
		}
	case "cognito:user_status":
		status, want := strings.ToLower(u.Status), strings.ToLower(f.Value)
		if f.Prefix {
			return strings.HasPrefix(status, want)
		}
		return status == want
	default:
		var ok bool
		if v, ok = u.Attributes[f.Attribute]; !ok {
			return false
		}
	}
	if f.Prefix {
		return strings.HasPrefix(v, f.Value)
	}
	return v == f.Value
}

// ListUsersInput is cognito-idp ListUsers.
type ListUsersInput struct {
	PoolID string
	// AttributesToGet, when not nil, names the attributes to return (see
	// SelectAttributes); ListUsers only checks that they exist.
	AttributesToGet []string
	// Limit is 0 to 60; 0 means 60.
	Limit int
	// PaginationToken is the token of the previous page, or "".
	PaginationToken string
	// Filter is a filter expression (see ParseFilter), or "".
	Filter string
}

// ListUsers returns a page of a pool's users ordered by username, with the
// PaginationToken of the next page ("" after the last). Users are read from
// the store in username order and matched against the filter until Limit
// have matched or listUsersScanBudget have been examined, so a page can
// hold fewer than Limit users and still have a next one. The token is the
// unpadded base64url of the last username examined: it is opaque to
// callers, and a page continues after it whatever was added or deleted
// meanwhile.
func (s *Service) ListUsers(ctx context.Context, in ListUsersInput) ([]User, string, error) {
	pool, err := s.GetPool(ctx, in.PoolID)
	if err != nil {
		return nil, "", err
	}
	if in.Limit < 0 || in.Limit > maxListUsersPage {
		return nil, "", invalidParam("Limit must be between 0 and %d.", maxListUsersPage)
	}
	limit := in.Limit
	if limit == 0 {
		limit = maxListUsersPage
	}
	f, err := ParseFilter(in.Filter)
	if err != nil {
		return nil, "", err
	}
	for _, name := range in.AttributesToGet {
		if name == "sub" {
			continue
		}
		if err := checkAttributeName(name, true); err != nil {
			return nil, "", err
		}
	}
	after := ""
	if in.PaginationToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.PaginationToken)
		if err != nil || len(b) == 0 || !utf8.Valid(b) {
			return nil, "", invalidParam("Invalid PaginationToken.")
		}
		after = string(b)
	}
	// Without a filter every user matches: one read of limit+1 rows tells
	// whether there is a next page. With one, read in larger batches.
	size := limit + 1
	if f.Attribute != "" {
		size = 100
	}
	var out []User
	examined := 0
	for {
		batch, err := s.store.ListUsers(ctx, pool.ID, after, size)
		if err != nil {
			return nil, "", internal(err, "list users")
		}
		for i, u := range batch {
			examined++
			after = u.Username
			if f.Match(u) {
				out = append(out, u)
			}
			if len(out) == limit || examined >= listUsersScanBudget {
				next := ""
				if i < len(batch)-1 || len(batch) == size {
					next = base64.RawURLEncoding.EncodeToString([]byte(after))
				}
				return out, next, nil
			}
		}
		if len(batch) < size {
			return out, "", nil
		}
	}
}

// SelectAttributes returns the user's attributes as AttributeList does,
// restricted to names when names is not nil (ListUsers' AttributesToGet).
func SelectAttributes(u User, names []string) []Attribute {
	all := AttributeList(u)
	if names == nil {
		return all
	}
	out := make([]Attribute, 0, len(names))
	for _, a := range all {
		if slices.Contains(names, a.Name) {
			out = append(out, a)
		}
	}
	return out
}
