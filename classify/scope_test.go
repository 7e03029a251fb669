package classify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestScopes pins what each flow-control code limits (SPEC.md, "Flow
// control has a scope"), and that every Throttled code of the default
// table has a scope.
func TestScopes(t *testing.T) {
	table := DefaultTable()
	tests := []struct {
		p    Provider
		code string
		want Scope
	}{
		{Aliyun, "Throttling.User", ScopeAction},
		{Aliyun, "Throttling.Api", ScopeAPI},
		{Aliyun, "Throttling", ScopeAccount},
		{Aliyun, "ServiceForbidden", ScopeAccount},
		{Aliyun, "isv.BUSINESS_LIMIT_CONTROL", ScopeRecipient},
		{Aliyun, "Throttled by API Flow Control", ScopeAPI},
		{Aliyun, "Throttled by APP Flow Control", ScopeAccount},
		{Aliyun, "Throttling.Unheard", ScopeAccount}, // its documented base, Throttling
		{Tencent, "RequestLimitExceeded", ScopeAction},
		{Tencent, "RequestLimitExceeded.UinLimitExceeded", ScopeAccount},
		{Tencent, "RequestLimitExceeded.GlobalRegionUinLimitExceeded", ScopeAccount},
		{Tencent, "RequestLimitExceeded.IPLimitExceeded", ScopeClient},
		{Tencent, "LimitExceeded.PhoneNumberOneHourLimit", ScopeRecipient},
		{Baidu, "", ScopeAction}, // HTTP 429
		{Baidu, "18", ScopeAction},
		{Baidu, "4", ScopeHost},
		{Aliyun, "InvalidParameter", NoScope},
	}
	for _, tt := range tests {
		t.Run(tt.p.String()+"/"+tt.code, func(t *testing.T) {
			class := table.Class(tt.p, tt.code, 429)
			assert.Equal(t, tt.want, table.Scope(tt.p, tt.code, class))
		})
	}
	for _, e := range append(append(table.Entries(Aliyun), table.Entries(Tencent)...), table.Entries(Baidu)...) {
		if e.Class == Throttled {
			assert.NotEqual(t, NoScope, e.Scope, "%s %s: a flow-control code says what it limits", e.Provider, e.Code)
		}
	}
}

// TestScopeOfOwnCodes: a Throttled code a caller's table adds without a
// scope limits ScopeAction (Entry.Scope's doc), as does its dotted
// sub-code; one with a scope limits that scope.
func TestScopeOfOwnCodes(t *testing.T) {
	table := NewTable(Entry{Provider: Aliyun, Code: "MyLimit", Class: Throttled},
		Entry{Provider: Aliyun, Code: "MyHostLimit", Class: Throttled, Scope: ScopeHost})
	for code, want := range map[string]Scope{"MyLimit": ScopeAction, "MyLimit.Burst": ScopeAction, "MyHostLimit": ScopeHost, "MyHostLimit.Burst": ScopeHost} {
		class := table.Class(Aliyun, code, 200)
		assert.Equal(t, Throttled, class, code)
		assert.Equal(t, want, table.Scope(Aliyun, code, class), code)
	}
}

func TestRecipientWindow(t *testing.T) {
	for msg, want := range map[string]time.Duration{
		"触发分钟级流控Permits:1":    time.Minute,
		"触发小时级流控Permits:5":    time.Hour,
		"触发天级流控Permits:10":    24 * time.Hour,
		"daily limit reached": 24 * time.Hour,
		"flow control":        0,
	} {
		assert.Equal(t, want, RecipientWindow(msg), msg)
	}
}

// TestScopeNames pins each scope's name (its String and MarshalText,
// used in attributes) and the name of a value past the last scope.
func TestScopeNames(t *testing.T) {
	for s, want := range map[Scope]string{
		NoScope: "none", ScopeRecipient: "recipient", ScopeAction: "action", ScopeAPI: "api",
		ScopeAccount: "account", ScopeHost: "host", ScopeClient: "client", ScopeClient + 1: "scope(7)", Scope(10): "scope(10)", Scope(255): "scope(255)",
	} {
		assert.Equal(t, want, s.String())
		text, err := s.MarshalText()
		assert.NoError(t, err)
		assert.Equal(t, want, string(text))
	}
}
