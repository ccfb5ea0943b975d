package userpool

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
)

// standardAttributes are the OIDC standard attributes every pool has
// (reference §2); "sub" is handled separately and never writable.
var standardAttributes = []string{
	"address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name",
	"locale", "middle_name", "name", "nickname", "phone_number", "phone_number_verified",
	"picture", "preferred_username", "profile", "updated_at", "website", "zoneinfo",
}

const customPrefix = "custom:"

var (
	// usernamePattern is the model's pattern for a username.
	usernamePattern = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	emailPattern    = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	phonePattern    = regexp.MustCompile(`^\+[0-9]{4,15}$`)
)

// Attribute is one user attribute in the order it is reported.
type Attribute struct {
	Name  string
	Value string
}

// AttributeList returns the user's attributes as Cognito lists them: sub
// first, then the rest by name.
func AttributeList(u User) []Attribute {
	out := []Attribute{{Name: "sub", Value: u.Sub}}
	for _, k := range slices.Sorted(maps.Keys(u.Attributes)) {
		if k == "sub" {
			continue
		}
		out = append(out, Attribute{Name: k, Value: u.Attributes[k]})
	}
	return out
}

// checkAttributes validates attributes set by a user (SignUp, the
// NEW_PASSWORD_REQUIRED answer) or, with admin, by an administrator. Users may
// not set the *_verified flags: only a delivered code or an admin verifies.
func checkAttributes(attrs map[string]string, admin bool) error {
	for name, value := range attrs {
		if err := checkAttribute(name, value, admin); err != nil {
			return err
		}
	}
	return nil
}

// checkAttributeName validates the name of an attribute a caller writes or
// deletes: sub is never writable, custom names are 1 to 20 characters, the
// others are the standard attributes, and only an administrator may set the
// *_verified flags.
func checkAttributeName(name string, admin bool) error {
	switch {
	case name == "sub":
		return schemaError(name, "Cannot modify the non-mutable attribute sub")
	case strings.HasPrefix(name, customPrefix):
		n := utf8.RuneCountInString(name) - len(customPrefix)
		if n < 1 || n > 20 {
			return schemaError(name, "Attribute does not exist in the schema.")
		}
	case !slices.Contains(standardAttributes, name):
		return schemaError(name, "Attribute does not exist in the schema.")
	case !admin && (name == "email_verified" || name == "phone_number_verified"):
		return fault.New(fault.NotAuthorized, "A client attempted to write unauthorized attribute")
	}
	return nil
}

func checkAttribute(name, value string, admin bool) error {
	if err := checkAttributeName(name, admin); err != nil {
		return err
	}
	if len(value) > 2048 {
		return schemaError(name, "Attribute value is too long.")
	}
	switch name {
	case "email_verified", "phone_number_verified":
		if value != "true" && value != "false" {
			return invalidParam("%s must be true or false.", name)
		}
	case "email":
		if !emailPattern.MatchString(value) {
			return invalidParam("Invalid email address format.")
		}
	case "phone_number":
		if !phonePattern.MatchString(value) {
			return invalidParam("Invalid phone number format.")
		}
	}
	return nil
}

func schemaError(name, reason string) error {
	return invalidParam("Attributes did not conform to the schema: %s: %s", name, reason)
}

// checkUsername validates a plain username (1–128 printable, non-space characters).
func checkUsername(username string) error {
	if username == "" || utf8.RuneCountInString(username) > 128 || !usernamePattern.MatchString(username) {
		return invalidParam("Username must be 1 to 128 characters without whitespace.")
	}
	return nil
}

// usernameAttribute decides which username attribute a sign-up name is, in a
// pool with UsernameAttributes (reference §0: the stored username is then a
// UUID and the name typed is the email or phone number).
func usernameAttribute(pool Pool, name string) (string, error) {
	email := slices.Contains(pool.UsernameAttributes, "email")
	phone := slices.Contains(pool.UsernameAttributes, "phone_number")
	switch {
	case email && emailPattern.MatchString(name):
		return "email", nil
	case phone && phonePattern.MatchString(name):
		return "phone_number", nil
	case email && phone:
		return "", invalidParam("Username should be either an email or a phone number.")
	case email:
		return "", invalidParam("Username should be an email.")
	default:
		return "", invalidParam("Username should be a phone number.")
	}
}

// CodeDelivery says where a code was sent (cognito-idp CodeDeliveryDetailsType).
type CodeDelivery struct {
	Destination    string // masked
	DeliveryMedium string // "EMAIL" or "SMS"
	AttributeName  string // "email" or "phone_number"
}

// deliveryFor picks the channel for a user's codes: email when the user has
// one, else phone_number; ok is false when there is neither.
func deliveryFor(attrs map[string]string) (d CodeDelivery, to string, ok bool) {
	if e := attrs["email"]; e != "" {
		return CodeDelivery{Destination: maskEmail(e), DeliveryMedium: "EMAIL", AttributeName: "email"}, e, true
	}
	if p := attrs["phone_number"]; p != "" {
		return CodeDelivery{Destination: maskPhone(p), DeliveryMedium: "SMS", AttributeName: "phone_number"}, p, true
	}
	return CodeDelivery{}, "", false
}

// maskEmail renders "jane@example.com" as "j***@e***", as Cognito does.
func maskEmail(e string) string {
	local, domain, _ := strings.Cut(e, "@")
	return firstRune(local) + "***@" + firstRune(domain) + "***"
}

// maskPhone keeps the last four digits: "+12065551234" → "+*******1234".
func maskPhone(p string) string {
	if len(p) <= 5 {
		return "+****"
	}
	return "+" + strings.Repeat("*", len(p)-5) + p[len(p)-4:]
}

func firstRune(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return ""
	}
	return string(r)
}
