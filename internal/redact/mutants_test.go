package redact

import (
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMutantsValuesMixedCaseBCE pins Values' own bce-auth-v1 pass: a
// BCE authorization string in mixed case, in a text with no '=' or ':'
// (which classify.Scrub's quick test lets through untouched), still loses
// everything after its prefix.
func TestMutantsValuesMixedCaseBCE(t *testing.T) {
	got := Values("bad Bce-Auth-V1/AKID/1800/host/SECRETSIG")
	assert.Equal(t, "bad Bce-Auth-V1/"+Mark, got)
}

// TestMutantsValuesJSONNames pins Values' own JSON member pass: members
// whose key names an access key or holds "signature" before its end
// (names classify.Scrub does not know) lose their values.
func TestMutantsValuesJSONNames(t *testing.T) {
	got := Values(`{"AccessKeyId": "LTAI5tKEYID", "SignatureNonce":"NONCE-1", "x":"y"}`)
	assert.Equal(t, `{"AccessKeyId": "`+Mark+`", "SignatureNonce":"`+Mark+`", "x":"y"}`, got)
}

// TestMutantsCut pins cut's bounds: a text of exactly MaxText bytes is
// not cut, and a cut that falls inside a multi-byte rune backs off to the
// rune's start.
func TestMutantsCut(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"exactly MaxText", strings.Repeat("a", MaxText), strings.Repeat("a", MaxText)},
		{"one byte over", strings.Repeat("a", MaxText+1), strings.Repeat("a", MaxText) + "…"},
		{"cut inside a rune", "a" + strings.Repeat("é", 300), "a" + strings.Repeat("é", (MaxText-1)/2) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Text(tt.in))
		})
	}
}

// TestMutantsErrorURL pins Error's own handling of a *url.Error: the
// URL's query goes even when the URL has no scheme (so Text's URL pattern
// does not see it), and an error that is not a *url.Error goes through
// Text alone.
func TestMutantsErrorURL(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"scheme-less url", &url.Error{Op: "Get", URL: "//h.example/p?PhoneNumbers=13800000000&sig=SASSIG", Err: io.EOF},
			`Get "://h.example/p?` + Mark + `": EOF`},
		{"empty url", &url.Error{Op: "Get", URL: "", Err: io.EOF}, `Get "": EOF`},
		{"not a url error", errors.New("bad Signature=SIG1"), "bad Signature=" + Mark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Error(tt.err))
		})
	}
}

// TestMutantsErrorValuesURL pins ErrorValues' own handling of a
// *url.Error: a scheme-less URL (which Values' URL pattern does not see)
// has its credential parameters redacted as URL redacts them (nonce and
// sig, which Values' key=value pattern does not name, included); an
// unparsable URL is left to Values; an error that is not a *url.Error
// goes through Values alone.
func TestMutantsErrorValuesURL(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"scheme-less url", &url.Error{Op: "Get", URL: "//h.example/p?Action=A&Nonce=NONCE123&sig=SASSIG", Err: io.EOF},
			`Get "//h.example/p?Action=A&Nonce=REDACTED&sig=REDACTED": EOF`},
		{"unparsable url", &url.Error{Op: "Get", URL: "http://h/%zz?sig=SASSIG", Err: io.EOF},
			`Get "http://h/%zz?sig=REDACTED": EOF`},
		{"not a url error", errors.New("bad Signature=SIG1"), "bad Signature=" + Mark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ErrorValues(tt.err))
		})
	}
}

// TestMutantsURLForceQuery pins that URL drops an empty query's '?'.
func TestMutantsURLForceQuery(t *testing.T) {
	u, err := url.Parse("https://h/p?")
	assert.NoError(t, err)
	assert.True(t, u.ForceQuery, "precondition")
	assert.Equal(t, "https://h/p", URL(u))
}

// TestMutantsQueryBadEscape pins that a parameter name that does not
// unescape is judged as written: Signature%zz is still a credential.
func TestMutantsQueryBadEscape(t *testing.T) {
	assert.Equal(t, "Signature%zz=REDACTED&a=1", Query("Signature%zz=SECRET&a=1"))
}
