package policy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// family is a condition operator's kind of comparison.
type family uint8

const (
	famString family = iota
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

// comparison is the relation of Numeric* and Date* operators.
type comparison uint8

const (
	cmpEq comparison = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// qualifier is a condition's set operator (IAM User Guide, "Set operators
// for multivalued context keys").
type qualifier uint8

const (
	qualNone qualifier = iota
	qualAnyValue
	qualAllValues
)

type operator struct {
	family family
	cmp    comparison
	negate bool
}

// operators is the closed registry of condition operators (IAM JSON policy
// elements: Condition operators). Names are case-sensitive, as in IAM.
var operators = map[string]operator{
	"StringEquals":              {family: famString},
	"StringNotEquals":           {family: famString, negate: true},
	"StringEqualsIgnoreCase":    {family: famStringIgnoreCase},
	"StringNotEqualsIgnoreCase": {family: famStringIgnoreCase, negate: true},
	"StringLike":                {family: famStringLike},
	"StringNotLike":             {family: famStringLike, negate: true},
	"NumericEquals":             {family: famNumeric, cmp: cmpEq},
	"NumericNotEquals":          {family: famNumeric, cmp: cmpEq, negate: true},
	"NumericLessThan":           {family: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {family: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {family: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {family: famNumeric, cmp: cmpGe},
	"DateEquals":                {family: famDate, cmp: cmpEq},
	"DateNotEquals":             {family: famDate, cmp: cmpEq, negate: true},
	"DateLessThan":              {family: famDate, cmp: cmpLt},
	"DateLessThanEquals":        {family: famDate, cmp: cmpLe},
	"DateGreaterThan":           {family: famDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {family: famDate, cmp: cmpGe},
	"Bool":                      {family: famBool},
	"BinaryEquals":              {family: famBinary},
	"IpAddress":                 {family: famIP},
	"NotIpAddress":              {family: famIP, negate: true},
	"ArnEquals":                 {family: famARN},
	"ArnLike":                   {family: famARN},
	"ArnNotEquals":              {family: famARN, negate: true},
	"ArnNotLike":                {family: famARN, negate: true},
	"Null":                      {family: famNull},
}

// condition is one (operator, key, values) test of a Condition block,
// compiled at parse time. A statement's conditions are ANDed; a condition's
// values are ORed (NORed for negated operators).
type condition struct {
	name     string // the operator as written, e.g. "ForAnyValue:StringLike"
	key      string // the condition key as written
	lowerKey string
	op       operator
	qual     qualifier
	ifExists bool
	values   []string // as written, for explanations

	strs  []pattern
	arns  []arnPattern
	nums  []float64
	times []time.Time
	nets  []netip.Prefix
	bins  [][]byte
	bools []bool // Bool and Null
}

var conditionKeyPattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+:[^\s]+$`)

func parseConditions(raw json.RawMessage, vars bool) ([]condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, syntaxErrorf("Syntax errors in policy. Condition must be an object of operators, each an object of keys.")
	}
	var out []condition
	for name, keys := range block {
		op, qual, ifExists, err := parseOperator(name)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, syntaxErrorf("Syntax errors in policy. Condition operator %s has no keys.", name)
		}
		for key, rv := range keys {
			if !conditionKeyPattern.MatchString(key) {
				return nil, syntaxErrorf("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
			}
			values, err := conditionValues(rv)
			if err != nil {
				return nil, err
			}
			c := condition{name: name, key: key, lowerKey: strings.ToLower(key), op: op, qual: qual, ifExists: ifExists, values: values}
			if err := c.compile(vars); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	// Deterministic order for explanations; evaluation is an AND either way.
	sort.Slice(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].key < out[j].key
	})
	return out, nil
}

func parseOperator(name string) (operator, qualifier, bool, error) {
	base, qual := name, qualNone
	if b, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, qual = b, qualAnyValue
	} else if b, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, qual = b, qualAllValues
	}
	op, ok := operators[base]
	ifExists := false
	if !ok {
		if b, cut := strings.CutSuffix(base, "IfExists"); cut {
			op, ok = operators[b]
			ifExists = ok && op.family != famNull
			ok = ifExists
		}
	}
	if !ok {
		return op, qual, false, syntaxErrorf("Invalid Condition type : %s.", name)
	}
	return op, qual, ifExists, nil
}

// conditionValues decodes a condition value: a string, number or boolean, or
// a non-empty list of them. Numbers keep their text.
func conditionValues(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxErrorf("This policy contains invalid Json")
	}
	scalar := func(x any) (string, bool) {
		switch x := x.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case bool:
			return strconv.FormatBool(x), true
		}
		return "", false
	}
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return nil, syntaxErrorf("Syntax errors in policy. A condition key needs at least one value.")
		}
		out := make([]string, len(list))
		for i, x := range list {
			s, ok := scalar(x)
			if !ok {
				return nil, syntaxErrorf("Syntax errors in policy. Condition values must be strings, numbers or booleans.")
			}
			out[i] = s
		}
		return out, nil
	}
	s, ok := scalar(v)
	if !ok {
		return nil, syntaxErrorf("Syntax errors in policy. Condition values must be strings, numbers or booleans.")
	}
	return []string{s}, nil
}

// compile turns the written values into the operator family's typed values.
func (c *condition) compile(vars bool) error {
	bad := func(v string) error {
		return syntaxErrorf("Syntax errors in policy. Invalid value %q for condition operator %s.", v, c.name)
	}
	for _, v := range c.values {
		switch c.op.family {
		case famString:
			c.strs = append(c.strs, compilePattern(v, false, vars, false))
		case famStringIgnoreCase:
			c.strs = append(c.strs, compilePattern(v, false, vars, false))
		case famStringLike:
			c.strs = append(c.strs, compilePattern(v, true, vars, false))
		case famARN:
			ap, err := compileARN(v, vars)
			if err != nil {
				return bad(v)
			}
			c.arns = append(c.arns, ap)
		case famNumeric:
			f, ok := parseNumber(v)
			if !ok {
				return bad(v)
			}
			c.nums = append(c.nums, f)
		case famDate:
			t, ok := parseDate(v)
			if !ok {
				return bad(v)
			}
			c.times = append(c.times, t)
		case famBool, famNull:
			switch strings.ToLower(v) {
			case "true":
				c.bools = append(c.bools, true)
			case "false":
				c.bools = append(c.bools, false)
			default:
				return bad(v)
			}
		case famIP:
			p, ok := parsePrefix(v)
			if !ok {
				return bad(v)
			}
			c.nets = append(c.nets, p)
		case famBinary:
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return bad(v)
			}
			c.bins = append(c.bins, b)
		}
	}
	return nil
}

// parseNumber parses a Numeric* value: a finite number. NaN and the
// infinities that strconv.ParseFloat also accepts are not numbers here (a
// NaN request value would otherwise compare equal to every policy value).
func parseNumber(v string) (float64, bool) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseDate accepts the forms IAM does: ISO 8601 date-times (with or without
// fractional seconds and zone), a bare date, and Unix epoch seconds.
func parseDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func parsePrefix(v string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// eval decides the condition against ctx (IAM User Guide: "Condition
// operators", "Set operators for multivalued context keys"):
//   - Null: true when the key's presence is what the value asks for;
//   - a missing key: true with ...IfExists and ForAllValues, false with
//     ForAnyValue, otherwise true only for negated operators;
//   - otherwise a value matches when it matches any policy value; the
//     condition holds when any request value matches (no qualifier or
//     ForAnyValue) or all do (ForAllValues), each match inverted for
//     negated operators (so several values are NORed).
func (c *condition) eval(ctx Context) bool {
	vals, present := ctx.lookup(c.lowerKey)
	if c.op.family == famNull {
		for _, want := range c.bools {
			if want == !present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists, c.qual == qualAllValues:
			return true
		case c.qual == qualAnyValue:
			return false
		}
		return c.op.negate
	}
	switch c.qual {
	case qualAllValues:
		for _, v := range vals {
			if c.matchValue(v, ctx) == c.op.negate {
				return false
			}
		}
		return true
	case qualAnyValue:
		for _, v := range vals {
			if c.matchValue(v, ctx) != c.op.negate {
				return true
			}
		}
		return false
	}
	any := false
	for _, v := range vals {
		if c.matchValue(v, ctx) {
			any = true
			break
		}
	}
	return any != c.op.negate
}

// matchValue reports whether one request value matches any of the policy
// values, in the positive sense of the operator.
func (c *condition) matchValue(v string, ctx Context) bool {
	switch c.op.family {
	case famString, famStringLike:
		for i := range c.strs {
			if c.strs[i].match(v, ctx) {
				return true
			}
		}
	case famStringIgnoreCase:
		for i := range c.strs {
			if x, ok := c.strs[i].text(ctx); ok && strings.EqualFold(x, v) {
				return true
			}
		}
	case famARN:
		for i := range c.arns {
			if c.arns[i].match(v, ctx) {
				return true
			}
		}
	case famNumeric:
		f, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, n := range c.nums {
			if compare(cmpFloat(f, n), c.op.cmp) {
				return true
			}
		}
	case famDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, d := range c.times {
			if compare(t.Compare(d), c.op.cmp) {
				return true
			}
		}
	case famBool:
		for _, b := range c.bools {
			if strings.EqualFold(v, strconv.FormatBool(b)) {
				return true
			}
		}
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.nets {
			if p.Contains(a) {
				return true
			}
		}
	case famBinary:
		for _, b := range c.bins {
			if string(b) == v {
				return true
			}
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare reports whether the three-way result r (request vs policy value)
// satisfies the comparison.
func compare(r int, c comparison) bool {
	switch c {
	case cmpEq:
		return r == 0
	case cmpLt:
		return r < 0
	case cmpLe:
		return r <= 0
	case cmpGt:
		return r > 0
	case cmpGe:
		return r >= 0
	}
	return false
}
