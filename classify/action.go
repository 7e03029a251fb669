package classify

import (
	"net/http"
	"net/url"
	"strings"
)

// Action is the API call a request makes.
type Action struct {
	// Name is the API name: the Aliyun Action parameter or x-acs-action
	// header, the Tencent X-TC-Action header, or "METHOD /path" for Baidu,
	// Aliyun ROA calls and unknown providers.
	Name string
	// Kind is the default kind for Name (see KindOf); a policy may
	// override it per action.
	Kind Kind
}

// ActionOf names the API call r makes, from its URL and headers only (it
// never reads the body). form holds the request's form-encoded body
// parameters when the caller has them, nil otherwise; an Aliyun RPC call
// sent as a form POST names its Action there.
func ActionOf(p Provider, r *http.Request, form url.Values) Action {
	var name string
	switch p {
	case Aliyun:
		name = HeaderValue(r.Header, "x-acs-action") // as darabonba writes it
		if name == "" && r.URL != nil {
			name = QueryValue(r.URL.RawQuery, "Action")
		}
		if name == "" {
			name = form.Get("Action")
		}
	case Tencent:
		name = HeaderValue(r.Header, "X-TC-Action") // as Tencent documents it, and its SDK writes it
	}
	if name != "" {
		return Action{Name: name, Kind: KindOf(p, name, r.Method)}
	}
	path := "/"
	if r.URL != nil && r.URL.Path != "" {
		path = r.URL.Path
	}
	return Action{Name: r.Method + " " + path, Kind: methodKind(r.Method)}
}

// KindOf returns the default kind of an action name: a name that begins
// with a read verb (Describe, Query, List, Get, Check, Inquiry, Search)
// followed by an upper-case letter or nothing is a Read; every other name
// is a Write. A "METHOD /path" name (Baidu, Aliyun ROA) is a Read when the
// method is GET, HEAD or OPTIONS.
func KindOf(p Provider, name, method string) Kind {
	if i := strings.IndexByte(name, ' '); i >= 0 && strings.HasPrefix(name[i+1:], "/") {
		return methodKind(name[:i])
	}
	// Describe, Query, List, Get and Check are the convention of Aliyun and
	// Tencent Cloud; Inquiry (Tencent price inquiries) and Search read too.
	// The verbs begin with different letters: the first one picks the verb.
	if name == "" {
		return Write
	}
	var verb string
	switch name[0] {
	case 'D':
		verb = "Describe"
	case 'Q':
		verb = "Query"
	case 'L':
		verb = "List"
	case 'G':
		verb = "Get"
	case 'C':
		verb = "Check"
	case 'I':
		verb = "Inquiry"
	case 'S':
		verb = "Search"
	default:
		return Write
	}
	if rest, ok := strings.CutPrefix(name, verb); ok && (rest == "" || rest[0] >= 'A' && rest[0] <= 'Z') {
		return Read
	}
	return Write
}

func methodKind(method string) Kind {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, "":
		return Read
	}
	return Write
}

// HasIdempotencyToken reports whether a request carries an idempotency
// token the provider honours, which makes resending a write safe: Aliyun
// ClientToken (query or form), Baidu clientToken (query), Tencent
// ClientToken (top-level field of the JSON body, or query). extra names
// more parameters that count, looked for in the query, the form and the
// top-level fields of a JSON body. body is the request body when the
// caller has it (nil otherwise); only its first DefaultPeekLimit bytes are
// looked at.
func HasIdempotencyToken(p Provider, r *http.Request, form url.Values, body []byte, extra ...string) bool {
	own := "ClientToken"
	if p == Baidu {
		own = "clientToken"
	}
	names := append([]string{own}, extra...)
	var rawQuery string
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	for _, n := range names {
		if QueryValue(rawQuery, n) != "" || form.Get(n) != "" {
			return true
		}
	}
	jsonNames := extra
	if p == Tencent {
		jsonNames = names
	}
	if len(jsonNames) == 0 {
		return false
	}
	body = trimLead(body)
	if firstByte(body) != '{' {
		return false
	}
	if len(body) > DefaultPeekLimit {
		body = body[:DefaultPeekLimit]
	}
	found := false
	s := jscan{b: body}
	s.object(func(key []byte) bool {
		for _, n := range jsonNames {
			if string(key) == n {
				raw, isStr, ok := s.scalar()
				found = found || ok && isStr && len(raw) > 0
				return ok
			}
		}
		return false
	})
	return found
}
