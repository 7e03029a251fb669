package redact

import (
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedteamTextSpellings plants a secret in every spelling a server, an
// error or a base transport may echo it in, and checks that Text (what
// spans, exception events and slog lines carry) removes it. Each case
// failed before Text ran classify.Scrub's scanner as well (2026-12-02).
func TestRedteamTextSpellings(t *testing.T) {
	tests := []struct{ name, in, secret string }{
		{"X-Ca-Signature header line", "headers: X-Ca-Signature: SECRETSIG1\nX-Ca-Key: k", "SECRETSIG1"},
		{"x-acs-signature header line", "x-acs-signature: SECRETSIG2", "SECRETSIG2"},
		{"SecurityToken colon", "SecurityToken: SECRETTOK3", "SECRETTOK3"},
		{"AccessKeySecret colon", "AccessKeySecret: SECRETKEY4", "SECRETKEY4"},
		{"X-Amz-Security-Token header", "X-Amz-Security-Token: SECRETTOK5", "SECRETTOK5"},
		{"Signature colon, no space", "Signature:SECRETSIG6", "SECRETSIG6"},
		{"authorization= bce", "authorization=bce-auth-v1/AKID/2026-12-01T00:00:00Z/1800/host/SECRETSIG7", "SECRETSIG7"},
		{"bare bce-auth-v1", "bad bce-auth-v1/AKID/2026-12-01T00:00:00Z/1800/host;x-bce-date/SECRETSIG8", "SECRETSIG8"},
		{"authorization= bce, signed headers", "authorization=bce-auth-v1/AKID/2026-12-01T00:00:00Z/1800/host;x-bce-date/SECRETSIG11 x", "SECRETSIG11"},
		{"percent-encoded pair", "canonical: signature%3DSECRETSIG9%26x%3D1", "SECRETSIG9"},
		{"encoded string to sign, no preface", "POST&%2F&AccessKeyId%3DAK%26SecurityToken%3DSECRETTOK10%26x", "SECRETTOK10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, tt.in, tt.secret)
			assert.NotContains(t, Text(tt.in), tt.secret)
		})
	}
}

// TestRedteamQuerySemicolon: a query that separates parameters with ';'
// (as some servers still read it) has its credential values redacted in
// url.full too.
func TestRedteamQuerySemicolon(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"https://h/?a=1;Signature=SECRET1", "https://h/?a=1;Signature=REDACTED"},
		{"https://h/?a=1;%53ignature=SECRET2&b=2", "https://h/?a=1;%53ignature=REDACTED&b=2"},
		{"https://h/?x=1&y=2;SecurityToken=SECRET3;", "https://h/?x=1&y=2;SecurityToken=REDACTED;"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.raw)
		require.NoError(t, err)
		assert.Equal(t, tt.want, URL(u), tt.raw)
	}
}

// TestRedteamValuesKeepsNames: Values (yunrt.Error's text) removes every
// credential value and keeps the names and the rest of a URL.
func TestRedteamValuesKeepsNames(t *testing.T) {
	in := "Post \"http://h/?Action=SendSms&Signature=SIG123456&SecurityToken=TOK123456\": EOF\nX-Ca-Signature: SIG654321\nauthorization: bce-auth-v1/ak/t/1800/host;x-bce-date/SIG999999"
	got := Values(in)
	for _, s := range []string{"SIG123456", "TOK123456", "SIG654321", "SIG999999"} {
		assert.NotContains(t, got, s)
	}
	for _, s := range []string{"Action=SendSms", "Signature=", "SecurityToken=", "X-Ca-Signature: ", "EOF"} {
		assert.Contains(t, got, s)
	}
}

func TestRedteamUserinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Get "http://AK:PASSWORD1@h.example/?a=1": EOF`, `Get "http://[redacted]@h.example/?a=1": EOF`},
		{"reach https://user@h.example/p@x now", "reach https://[redacted]@h.example/p@x now"},
		{"http://h.example/p@x", "http://h.example/p@x"},
		{"reach http://h.example/?a=1&%53ignature=SIG1;Sign%61ture=SIG2 now", "reach http://h.example/?a=1&%53ignature=REDACTED;Sign%61ture=REDACTED now"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Values(tt.in), tt.in)
	}
}

func TestRedteamErrorValues(t *testing.T) {
	ue := &url.Error{Op: "Post", URL: "https://u:PW123456@h/?Action=A&SecurityToken=TOKENVALUE&Signature=SIGVALUE", Err: errors.New("connection reset by peer")}
	got := ErrorValues(fmt.Errorf("wrapped: %w", ue))
	assert.Equal(t, `wrapped: Post "https://[redacted]@h/?Action=A&SecurityToken=[redacted]&Signature=[redacted]": connection reset by peer`, got)
	assert.Empty(t, ErrorValues(nil))
}

// TestRedteamQuotedHeaderValues: a credential header whose scheme quotes
// its parameters (Digest's response="…", raw or JSON-escaped inside a
// message) is redacted to the end of its value, not to its first quote,
// which kept the response; a value that is a quoted string alone gets one
// mark inside its quotes (it got "[redacted]\"[redacted]\"" before), and
// what follows the header's value stays.
func TestRedteamQuotedHeaderValues(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Authorization: Digest username="u", response="RESP0001", nonce="n"`, `Authorization: [redacted]`},
		{`{"msg":"Proxy-Authorization: Digest username=\"u\", response=\"RESP0002\"","x":"y"}`,
			`{"msg":"Proxy-Authorization: [redacted]","x":"y"}`},
		{"Authorization: Digest response=\"RESP0003\"\nHost: h", "Authorization: [redacted]\nHost: h"},
		{`Authorization: "QUOTED04" tail`, `Authorization: "[redacted]" tail`},
		{`{"h":"Authorization: Bearer TOKEN005","next":"keep"}`, `{"h":"Authorization: [redacted]","next":"keep"}`},
		{`x-acs-security-token: TOKEN006`, `x-acs-security-token: [redacted]`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Text(tt.in), tt.in)
		assert.Equal(t, tt.want, Values(tt.in), tt.in)
	}
}
