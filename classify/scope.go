package classify

import (
	"strconv"
	"strings"
	"time"
)

// Scope is what a flow-control answer limits: only that scope must slow
// down (see the README's "Flow control has a scope"). The zero value is
// NoScope.
type Scope uint8

const (
	// NoScope: not a flow-control code.
	NoScope Scope = iota
	// ScopeRecipient: one recipient (a phone number): the other recipients
	// are not limited, and nothing is slowed down; the request stops, or
	// waits when the limit's window clears within the policy's bounds.
	ScopeRecipient
	// ScopeAction: one API for one account (access key + action).
	ScopeAction
	// ScopeAPI: one API for all callers (host + action).
	ScopeAPI
	// ScopeAccount: the whole account (access key), across its APIs.
	ScopeAccount
	// ScopeHost: the endpoint (host), for every caller and API.
	ScopeHost
	// ScopeClient: the caller's IP address: everything this transport
	// sends to the provider.
	ScopeClient
)

var scopeNames = [...]string{"none", "recipient", "action", "api", "account", "host", "client"}

// String returns "none", "recipient", "action", "api", "account", "host"
// or "client".
func (s Scope) String() string {
	if int(s) < len(scopeNames) {
		return scopeNames[s]
	}
	return "scope(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Scope returns what a code limits: the entry's Scope when the table
// documents the code (or its dotted base); ScopeAction for any other
// Throttled answer (Aliyun "Throttling*", Tencent "RequestLimitExceeded*",
// HTTP 429); NoScope when class is not Throttled.
func (t *Table) Scope(p Provider, code string, class Class) Scope {
	if class != Throttled {
		if e, ok := t.Lookup(p, code); ok && e.Scope == ScopeRecipient {
			return ScopeRecipient // a per-recipient limit classed permanent (Tencent's daily limits)
		}
		return NoScope
	}
	e, ok := t.Lookup(p, code)
	if !ok {
		if i := strings.IndexByte(code, '.'); i > 0 {
			e, ok = t.Lookup(p, code[:i])
		}
	}
	if ok && e.Scope != NoScope {
		return e.Scope
	}
	return ScopeAction
}

// RecipientWindow is the window of a per-recipient limit, from the words
// of its message: Aliyun SMS says 触发分钟级流控 (minute), 触发小时级流控
// (hour) or 触发天级流控 (day); English messages "minute", "hour", "day".
// It returns 0 when the message names no window.
func RecipientWindow(message string) time.Duration {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "分钟级"), strings.Contains(m, "minute"):
		return time.Minute
	case strings.Contains(m, "小时级"), strings.Contains(m, "hour"):
		return time.Hour
	case strings.Contains(m, "天级"), strings.Contains(m, "day"), strings.Contains(m, "daily"):
		return 24 * time.Hour
	}
	return 0
}
