package userpool_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in   string
		want userpool.Filter
		bad  string // expected error message prefix; "" = accepted
	}{
		{in: ``, want: userpool.Filter{}},
		{in: "  \t ", want: userpool.Filter{}},
		{in: `email = "a@b.c"`, want: userpool.Filter{Attribute: "email", Value: "a@b.c"}},
		{in: `email="a@b.c"`, want: userpool.Filter{Attribute: "email", Value: "a@b.c"}},
		{in: ` family_name ^= "Red" `, want: userpool.Filter{Attribute: "family_name", Prefix: true, Value: "Red"}},
		{in: `name^="Ann"`, want: userpool.Filter{Attribute: "name", Prefix: true, Value: "Ann"}},
		{in: `name = "say \"hi\""`, want: userpool.Filter{Attribute: "name", Value: `say "hi"`}},
		{in: `name = "back\\slash"`, want: userpool.Filter{Attribute: "name", Value: `back\slash`}},
		{in: `name = "\x"`, want: userpool.Filter{Attribute: "name", Value: `x`}},
		{in: `name = ""`, want: userpool.Filter{Attribute: "name", Value: ``}},
		{in: `name = "José"`, want: userpool.Filter{Attribute: "name", Value: `José`}},
		{in: `cognito:user_status = "confirmed"`, want: userpool.Filter{Attribute: "cognito:user_status", Value: "confirmed"}},
		{in: `status = "Enabled"`, want: userpool.Filter{Attribute: "status", Value: "Enabled"}},
		{in: `sub = "x"`, want: userpool.Filter{Attribute: "sub", Value: "x"}},
		{in: `username ^= "a"`, want: userpool.Filter{Attribute: "username", Prefix: true, Value: "a"}},

		{in: `email`, bad: "Error while parsing filter."},
		{in: `email =`, bad: "Error while parsing filter."},
		{in: `email = a@b.c`, bad: "Error while parsing filter."},
		{in: `email = 'a@b.c'`, bad: "Error while parsing filter."},
		{in: `email = "a@b.c`, bad: "Error while parsing filter."},
		{in: `email = "a\"`, bad: "Error while parsing filter."},
		{in: `email = "a\`, bad: "Error while parsing filter."},
		{in: `email == "a"`, bad: "Error while parsing filter."},
		{in: `email != "a"`, bad: "Error while parsing filter."},
		{in: `email ^ "a"`, bad: "Error while parsing filter."},
		{in: `email = "a" extra`, bad: "Error while parsing filter."},
		{in: `email = "a" and name = "b"`, bad: "Error while parsing filter."},
		{in: `= "a"`, bad: "Error while parsing filter."},
		{in: `"email" = "a"`, bad: "Error while parsing filter."},
		{in: `custom:team = "blue"`, bad: `Error while parsing filter: "custom:team" is not a searchable attribute`},
		{in: `Email = "a"`, bad: `Error while parsing filter: "Email" is not a searchable attribute`},
		{in: `locale ^= "en"`, bad: `Error while parsing filter: "locale" is not a searchable attribute`},
		{in: `name = "` + strings.Repeat("a", 250) + `"`, bad: "Filter must be at most 256 characters."},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := userpool.ParseFilter(tc.in)
			if tc.bad == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseFilter(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
				}
				return
			}
			fe := fault.As(err)
			if err == nil || fe.Code != fault.InvalidParameter || !strings.HasPrefix(fe.Message, tc.bad) {
				t.Fatalf("ParseFilter(%q) = %+v, %v; want InvalidParameterException %q", tc.in, got, err, tc.bad)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	u := userpool.User{Username: "alice", Sub: "1234-abcd", Status: userpool.StatusConfirmed, Enabled: true,
		Attributes: map[string]string{"email": "alice@example.com", "family_name": "Reddy"}}
	tests := []struct {
		filter string
		want   bool
	}{
		{``, true},
		{`username = "alice"`, true},
		{`username = "Alice"`, false},
		{`username ^= "al"`, true},
		{`email = "alice@example.com"`, true},
		{`email = "ALICE@example.com"`, false},
		{`email ^= "alice@"`, true},
		{`email ^= "bob"`, false},
		{`family_name = "Reddy"`, true},
		{`given_name ^= ""`, false}, // no such attribute
		{`family_name ^= ""`, true},
		{`cognito:user_status = "CONFIRMED"`, true},
		{`cognito:user_status = "confirmed"`, true},
		{`cognito:user_status ^= "conf"`, true},
		{`cognito:user_status = "UNCONFIRMED"`, false},
		{`status = "Enabled"`, true},
		{`status = "enabled"`, false},
		{`status = "Disabled"`, false},
		{`sub = "1234-abcd"`, true},
		{`sub ^= "1234"`, true},
	}
	for _, tc := range tests {
		f, err := userpool.ParseFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := f.Match(u); got != tc.want {
			t.Errorf("%s matches = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

// FuzzListUsersFilter: the parser never panics, answers only
// InvalidParameterException, accepts only searchable attributes, and
// round-trips what it accepts.
func FuzzListUsersFilter(f *testing.F) {
	for _, seed := range []string{
		``, `email = "a@b.c"`, `family_name ^= "Red"`, `name = "say \"hi\""`, `name = "a\\b"`,
		`cognito:user_status = "confirmed"`, `status = "Disabled"`, `custom:x = "y"`, `email = "`,
		`email = "a\`, `email`, `="a"`, `username ^= "é"`, "name = \"\xff\"", "\xff = \"a\"",
		`email = "a" extra`, `sub="x"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := userpool.ParseFilter(s)
		if err != nil {
			if fe := fault.As(err); fe.Code != fault.InvalidParameter {
				t.Fatalf("ParseFilter(%q): %v", s, err)
			}
			return
		}
		if utf8.RuneCountInString(s) > userpool.MaxFilterLength {
			t.Fatalf("ParseFilter accepted %d characters", utf8.RuneCountInString(s))
		}
		if got.Attribute == "" {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("ParseFilter(%q) = match-all", s)
			}
			return
		}
		if !slices.Contains(userpool.SearchableAttributes, got.Attribute) {
			t.Fatalf("ParseFilter(%q) accepted attribute %q", s, got.Attribute)
		}
		op := "="
		if got.Prefix {
			op = "^="
		}
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(got.Value)
		again, err := userpool.ParseFilter(fmt.Sprintf(`%s %s "%s"`, got.Attribute, op, quoted))
		if err == nil && again != got {
			t.Fatalf("round trip of %q: %+v then %+v", s, got, again)
		}
		_ = got.Match(userpool.User{Username: got.Value, Attributes: map[string]string{got.Attribute: got.Value}})
	})
}

func TestListUsers(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	names := []string{"amy", "anna", "ben", "bob", "carl", "cora", "dan"}
	for i, n := range names {
		attrs := map[string]string{"email": n + "@example.com"}
		if i%2 == 0 {
			attrs["family_name"] = `O"Neil`
		}
		e.confirmedUser(t, p.ID, n, attrs)
	}
	if err := e.svc.AdminDisableUser(ctx, p.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	list := func(in userpool.ListUsersInput) ([]string, string) {
		t.Helper()
		in.PoolID = p.ID
		users, next, err := e.svc.ListUsers(ctx, in)
		if err != nil {
			t.Fatalf("ListUsers(%+v): %v", in, err)
		}
		out := make([]string, len(users))
		for i, u := range users {
			out[i] = u.Username
		}
		return out, next
	}
	all := func(in userpool.ListUsersInput) []string {
		t.Helper()
		var got []string
		for range 20 {
			page, next := list(in)
			if in.Limit > 0 && len(page) > in.Limit {
				t.Fatalf("page of %d > Limit %d", len(page), in.Limit)
			}
			got = append(got, page...)
			if next == "" {
				return got
			}
			in.PaginationToken = next
		}
		t.Fatal("paging did not end")
		return nil
	}

	if got, next := list(userpool.ListUsersInput{}); !slices.Equal(got, names) || next != "" {
		t.Fatalf("all users %v, next %q", got, next)
	}
	if got := all(userpool.ListUsersInput{Limit: 2}); !slices.Equal(got, names) {
		t.Fatalf("paged %v", got)
	}
	if got, next := list(userpool.ListUsersInput{Limit: 7}); len(got) != 7 || next != "" {
		t.Fatalf("exact page: %v, next %q", got, next)
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`username ^= "a"`, []string{"amy", "anna"}},
		{`username = "ben"`, []string{"ben"}},
		{`email = "cora@example.com"`, []string{"cora"}},
		{`email ^= "c"`, []string{"carl", "cora"}},
		{`family_name = "O\"Neil"`, []string{"amy", "ben", "carl", "dan"}},
		{`status = "Disabled"`, []string{"bob"}},
		{`status = "Enabled"`, []string{"amy", "anna", "ben", "carl", "cora", "dan"}},
		{`cognito:user_status = "confirmed"`, names},
		{`cognito:user_status = "UNCONFIRMED"`, nil},
		{`email = "nobody@example.com"`, nil},
	} {
		if got := all(userpool.ListUsersInput{Filter: tc.filter}); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
		}
		if got := all(userpool.ListUsersInput{Filter: tc.filter, Limit: 1}); !slices.Equal(got, tc.want) {
			t.Errorf("%s by 1: %v, want %v", tc.filter, got, tc.want)
		}
	}

	// Attribute selection.
	u, err := e.store.GetUser(ctx, p.ID, "amy")
	if err != nil {
		t.Fatal(err)
	}
	sel := userpool.SelectAttributes(u, []string{"email"})
	if len(sel) != 1 || sel[0] != (userpool.Attribute{Name: "email", Value: "amy@example.com"}) {
		t.Fatalf("SelectAttributes %+v", sel)
	}
	if got := userpool.SelectAttributes(u, nil); len(got) != len(userpool.AttributeList(u)) {
		t.Fatalf("SelectAttributes(nil) %+v", got)
	}

	// Refusals.
	for _, in := range []userpool.ListUsersInput{
		{PoolID: p.ID, Limit: 61},
		{PoolID: p.ID, Limit: -1},
		{PoolID: p.ID, Filter: `custom:team = "x"`},
		{PoolID: p.ID, Filter: `email = unquoted`},
		{PoolID: p.ID, PaginationToken: "%%%"},
		{PoolID: p.ID, AttributesToGet: []string{"shoe_size"}},
	} {
		_, _, err := e.svc.ListUsers(ctx, in)
		wantFault(t, err, fault.InvalidParameter, "")
	}
	_, _, err = e.svc.ListUsers(ctx, userpool.ListUsersInput{PoolID: "us-east-1_nosuchpool"})
	wantFault(t, err, fault.ResourceNotFound, "")
}

// TestListUsersScanBudget: a filter matching nothing in a large pool answers
// a short page with a token instead of reading the whole pool at once, and
// paging still reaches the end.
func TestListUsersScanBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,100 users")
	}
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	for i := range 1100 {
		u := userpool.User{PoolID: p.ID, Username: fmt.Sprintf("user%04d", i), Sub: fmt.Sprintf("sub-%04d", i),
			Attributes: map[string]string{}, Status: userpool.StatusConfirmed, Enabled: true,
			CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if i == 1050 {
			u.Attributes["email"] = "needle@example.com"
		}
		if err := e.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	in := userpool.ListUsersInput{PoolID: p.ID, Filter: `email = "needle@example.com"`}
	users, next, err := e.svc.ListUsers(ctx, in)
	if err != nil || len(users) != 0 || next == "" {
		t.Fatalf("first page: %d users, next %q, %v", len(users), next, err)
	}
	in.PaginationToken = next
	users, next, err = e.svc.ListUsers(ctx, in)
	if err != nil || len(users) != 1 || users[0].Username != "user1050" || next != "" {
		t.Fatalf("second page: %+v, next %q, %v", users, next, err)
	}
}
