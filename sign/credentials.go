package sign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"
)

// redacted replaces secrets in every printed form.
const redacted = "REDACTED"

// Credentials are an access key pair and an optional STS security token.
//
// For the Aliyun API Gateway signer, AccessKeyID is the AppKey and
// AccessKeySecret the AppSecret. Tencent Cloud calls them SecretId and
// SecretKey, Baidu AK and SK.
//
// Credentials print redacted: fmt's %v, %+v, %#v, %s and %q (and String,
// GoString) show the AccessKeyID but never the secret or the token.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	// SecurityToken is the STS token of temporary credentials; empty for a
	// long-term key pair.
	SecurityToken string
}

// String returns "Credentials{AccessKeyID: <id>, AccessKeySecret: REDACTED}"
// (with ", SecurityToken: REDACTED" when a token is set).
func (c Credentials) String() string { return credString("Credentials", c) }

// GoString is like String in Go syntax, with the secret and token redacted.
func (c Credentials) GoString() string { return credGoString("sign.Credentials", c) }

// Format implements fmt.Formatter so that no verb prints the secret or token.
func (c Credentials) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.GoString())
}

func credString(name string, c Credentials) string {
	s := name + "{AccessKeyID: " + c.AccessKeyID + ", AccessKeySecret: " + redacted
	if c.SecurityToken != "" {
		s += ", SecurityToken: " + redacted
	}
	return s + "}"
}

func credGoString(name string, c Credentials) string {
	secret, token := `""`, `""`
	if c.AccessKeySecret != "" {
		secret = strconv.Quote(redacted)
	}
	if c.SecurityToken != "" {
		token = strconv.Quote(redacted)
	}
	return name + "{AccessKeyID:" + strconv.Quote(c.AccessKeyID) +
		", AccessKeySecret:" + secret + ", SecurityToken:" + token + "}"
}

// formatRedacted prints s (or gs for %#v) whatever the verb, so that fmt
// never falls back to printing struct fields by reflection.
func formatRedacted(f fmt.State, verb rune, s, gs string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, gs)
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(s))
	default:
		_, _ = io.WriteString(f, s)
	}
}

// CredentialsProvider supplies credentials for each signature. Signers call
// Retrieve once per Sign, so a provider may rotate or refresh credentials;
// implementations must be safe for concurrent use.
type CredentialsProvider interface {
	Retrieve(ctx context.Context) (Credentials, error)
}

// StaticCredentials is a CredentialsProvider that always returns itself. It
// prints redacted, like Credentials.
type StaticCredentials Credentials

// Retrieve returns c as Credentials and never fails.
func (c StaticCredentials) Retrieve(context.Context) (Credentials, error) {
	return Credentials(c), nil
}

// String is like Credentials.String.
func (c StaticCredentials) String() string {
	return credString("StaticCredentials", Credentials(c))
}

// GoString is like Credentials.GoString.
func (c StaticCredentials) GoString() string {
	return credGoString("sign.StaticCredentials", Credentials(c))
}

// Format implements fmt.Formatter so that no verb prints the secret or token.
func (c StaticCredentials) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.GoString())
}

// CredentialsFunc adapts a function (for example one that refreshes STS
// credentials) to a CredentialsProvider. The function must be safe for
// concurrent use.
type CredentialsFunc func(ctx context.Context) (Credentials, error)

// Retrieve calls f(ctx).
func (f CredentialsFunc) Retrieve(ctx context.Context) (Credentials, error) { return f(ctx) }

// Stamp is what changes on every attempt: the signing time and the nonce.
//
// The zero Time means time.Now() at Sign. An empty Nonce makes signers of
// schemes that carry one mint a fresh one with NewNonce; schemes without a
// nonce (Tencent TC3, Baidu) ignore it. A non-empty Nonce may contain only
// ASCII letters, digits, '-', '_' and '.', at most 128 bytes (a UUID or
// NewNonce output fits).
type Stamp struct {
	Time  time.Time
	Nonce string
}

// NewNonce returns 32 lower-case hexadecimal characters (128 bits) from
// crypto/rand. It is safe for concurrent use.
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("%w: read random bytes: %w", ErrInvalidNonce, err)
	}
	var h [2 * len(b)]byte
	hex.Encode(h[:], b[:])
	return string(h[:]), nil
}

// resolve fills in the defaults of s for one signature.
func (s Stamp) resolve(scheme string, needNonce bool) (time.Time, string, error) {
	t := s.Time
	if t.IsZero() {
		t = time.Now()
	}
	if !needNonce {
		return t.UTC(), "", nil
	}
	n := s.Nonce
	if n == "" {
		var err error
		if n, err = NewNonce(); err != nil {
			return time.Time{}, "", err
		}
	}
	if !validNonce(n) {
		return time.Time{}, "", fmt.Errorf("%w: %s", ErrInvalidNonce, scheme)
	}
	return t.UTC(), n, nil
}

// validNonce reports whether n may be a Stamp nonce: a plainToken of at most
// 128 bytes.
func validNonce(n string) bool { return len(n) <= 128 && plainToken(n) }

// retrieve gets and checks credentials for one signature.
func retrieve(ctx context.Context, p CredentialsProvider, scheme string) (Credentials, error) {
	if p == nil {
		return Credentials{}, fmt.Errorf("%w: %s: nil CredentialsProvider", ErrMissingCredentials, scheme)
	}
	c, err := p.Retrieve(ctx)
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: %s: %w", ErrCredentials, scheme, err)
	}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return Credentials{}, fmt.Errorf("%w: %s: empty access key id or secret", ErrMissingCredentials, scheme)
	}
	return c, nil
}
