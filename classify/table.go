package classify

import (
	"net/http"
	"sort"
	"strings"
)

// Table maps provider error codes to classes. The zero value is an empty
// table in which every code is classified by its HTTP status. A Table is
// immutable once built and safe for concurrent use.
type Table struct {
	exact    map[tableKey]Entry
	patterns []pattern // most specific (longest literal text) first
}

type tableKey struct {
	p    Provider
	code string
}

type pattern struct {
	prefix, suffix string
	e              Entry
}

// DefaultTable returns a new table holding every code of the five provider
// documents yunrt is built on (see Entries), plus the few codes yunrt needs
// beyond them.
func DefaultTable() *Table {
	return NewTable(DefaultEntries()...)
}

// DefaultEntries returns the entries of DefaultTable: Aliyun, Tencent and
// Baidu, in that order, each in the order of its documentation, the
// seeded products first, then the shapes beyond the seeds (API Gateway
// messages, Log Service, Function Compute, OSS; Tencent API 2.0's numeric
// codes; the Baidu AI open platform's numeric codes, as decimal strings).
func DefaultEntries() []Entry {
	var all []Entry
	all = append(all, aliyunEntries()...)
	all = append(all, aliyunServiceEntries()...)
	all = append(all, tencentEntries()...)
	all = append(all, tencentV2Entries()...)
	all = append(all, baiduEntries()...)
	all = append(all, baiduAIEntries()...)
	return all
}

// NewTable builds a table from entries. A later entry for the same provider
// and code replaces an earlier one, so
//
//	classify.NewTable(append(classify.DefaultEntries(), mine...)...)
//
// overrides or extends the defaults.
func NewTable(entries ...Entry) *Table {
	t := &Table{exact: make(map[tableKey]Entry, len(entries))}
	seen := make(map[tableKey]int)
	for _, e := range entries {
		k := tableKey{e.Provider, e.Code}
		t.exact[k] = e
		if pre, suf, ok := splitPattern(e.Code); ok {
			if i, dup := seen[k]; dup {
				t.patterns[i].e = e
				continue
			}
			seen[k] = len(t.patterns)
			t.patterns = append(t.patterns, pattern{pre, suf, e})
		}
	}
	sort.SliceStable(t.patterns, func(i, j int) bool {
		a, b := t.patterns[i], t.patterns[j]
		return len(a.prefix)+len(a.suffix) > len(b.prefix)+len(b.suffix)
	})
	return t
}

// Entries returns a copy of the table's entries for provider p (all
// providers when p is Unknown), sorted by code.
func (t *Table) Entries(p Provider) []Entry {
	var out []Entry
	for _, e := range t.exact {
		if p == Unknown || e.Provider == p {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// Lookup finds the documented entry for a code: an exact entry first, then
// the most specific placeholder pattern that matches it
// ("InvalidDeviceId.NotFound" matches "Invalid{ParameterName}.NotFound").
func (t *Table) Lookup(p Provider, code string) (Entry, bool) {
	if t == nil || code == "" {
		return Entry{}, false
	}
	if e, ok := t.exact[tableKey{p, code}]; ok {
		return e, true
	}
	for _, pt := range t.patterns {
		if pt.e.Provider != p || len(code) <= len(pt.prefix)+len(pt.suffix) {
			continue
		}
		if strings.HasPrefix(code, pt.prefix) && strings.HasSuffix(code, pt.suffix) &&
			isName(code[len(pt.prefix):len(code)-len(pt.suffix)]) {
			return pt.e, true
		}
	}
	return Entry{}, false
}

// Class returns the class of a provider error code seen with an HTTP
// status. The rules, in order:
//
//  1. no code: the class of the status (see StatusClass);
//  2. a documented code or placeholder pattern (Lookup);
//  3. a flow-control family: Aliyun "Throttling*", Tencent
//     "RequestLimitExceeded*": Throttled;
//  4. a dotted code of an undocumented sub-kind takes the class of its
//     documented base ("InternalError.Foo" is classified as "InternalError");
//  5. otherwise the class of the status, except that a code reported with
//     a 2xx status (an error inside a 200 body) is Permanent.
func (t *Table) Class(p Provider, code string, status int) Class {
	if code == "" {
		return StatusClass(status)
	}
	if e, ok := t.Lookup(p, code); ok {
		return e.Class
	}
	switch {
	case p == Aliyun && strings.HasPrefix(code, "Throttling"),
		p == Tencent && strings.HasPrefix(code, "RequestLimitExceeded"):
		return Throttled
	}
	if i := strings.IndexByte(code, '.'); i > 0 {
		if e, ok := t.Lookup(p, code[:i]); ok {
			return e.Class
		}
	}
	if c := StatusClass(status); c != Success {
		return c
	}
	return Permanent
}

// documented reports whether a code, or the base of a dotted code, is in
// the table.
func (t *Table) documented(p Provider, code string) bool {
	if _, ok := t.Lookup(p, code); ok {
		return true
	}
	if i := strings.IndexByte(code, '.'); i > 0 {
		_, ok := t.Lookup(p, code[:i])
		return ok
	}
	return false
}

// Status returns the documented HTTP status of a code, 0 when the code is
// unknown or its documentation gives none.
func (t *Table) Status(p Provider, code string) int {
	e, _ := t.Lookup(p, code)
	return e.Status
}

// DefaultStatus returns the documented HTTP status of a code in the
// default table, 0 when unknown. It builds the default table on every call;
// keep a Table for repeated use.
func DefaultStatus(p Provider, code string) int {
	return DefaultTable().Status(p, code)
}

// StatusClass classifies an HTTP status alone, for responses without a
// provider error code: 1xx-3xx Success; 408 Retryable (the server gave up
// waiting for the request); 429 Throttled; other 4xx Permanent; 5xx
// Retryable (the write rules in package policy decide whether a write may
// be resent).
func StatusClass(status int) Class {
	switch {
	case status < 400:
		return Success
	case status == http.StatusRequestTimeout:
		return Retryable
	case status == http.StatusTooManyRequests:
		return Throttled
	case status < 500:
		return Permanent
	}
	return Retryable
}

// OtherCode is the metric code of every code that is not in the table.
const OtherCode = "other"

// MetricCode returns the code to use as a metric attribute, from a set
// bounded by the table: "" for no code; the code itself when the table
// has it; the documented pattern it matches ("Missing{ParameterName}"
// for "MissingPhoneNumbers"); the documented base of a dotted code
// ("InternalError" for "InternalError.Foo"); else OtherCode. A server
// cannot grow a metric's cardinality by inventing codes.
func (t *Table) MetricCode(p Provider, code string) string {
	if code == "" {
		return ""
	}
	if e, ok := t.Lookup(p, code); ok {
		return e.Code
	}
	if i := strings.IndexByte(code, '.'); i > 0 {
		if e, ok := t.Lookup(p, code[:i]); ok {
			return e.Code
		}
	}
	return OtherCode
}
