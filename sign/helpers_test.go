package sign

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Test credentials: the secret and token must never show up in output.
const (
	testAK     = "LTAI5tTestAccessKeyId"
	testSecret = "s3cr3t-Value-That-Must-Not-Leak"
	testToken  = "STS.t0ken-Value-That-Must-Not-Leak"
)

var (
	testCreds      = StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSecret}
	testCredsToken = StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSecret, SecurityToken: testToken}
	fixedStamp     = Stamp{Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), Nonce: "0123456789abcdef0123456789abcdef"}
	laterStamp     = Stamp{Time: time.Date(2024, 5, 6, 7, 9, 30, 0, time.UTC), Nonce: "fedcba9876543210fedcba9876543210"}
)

var sentinels = []error{
	ErrSignatureMismatch, ErrMalformedAuthorization, ErrMalformedTimestamp,
	ErrMissingCredentials, ErrMissingHeader, ErrMissingParameter,
	ErrInvalidRequest, ErrInvalidNonce, ErrUnknownScheme, ErrCredentials,
}

// wrapsSentinel reports whether err wraps one of the package's sentinels.
func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// noReadBody fails the test if anything reads it: Sign must not.
type noReadBody struct{ t testing.TB }

func (b noReadBody) Read([]byte) (int, error) {
	b.t.Error("Sign read r.Body")
	return 0, io.EOF
}
func (noReadBody) Close() error { return nil }

// newClientRequest builds a request as a client would before signing.
func newClientRequest(t testing.TB, method, rawURL string, header map[string]string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for k, v := range header {
		r.Header[k] = append(r.Header[k], v) // keep the spelling given
	}
	r.Body = noReadBody{t}
	r.ContentLength = int64(len(body))
	return r
}

// wire serializes a signed client request as net/http sends it.
func wire(r *http.Request, body []byte) ([]byte, error) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = nil
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fromWire reads a request as an http.Handler receives it, with its body.
func fromWire(b []byte) (*http.Request, []byte, error) {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	return r, body, nil
}

// toServer is wire + fromWire, failing the test on error.
func toServer(t testing.TB, r *http.Request, body []byte) (*http.Request, []byte) {
	t.Helper()
	b, err := wire(r, body)
	if err != nil {
		t.Fatalf("write request: %v", err)
	}
	s, sb, err := fromWire(b)
	if err != nil {
		t.Fatalf("read request: %v\n%s", err, b)
	}
	return s, sb
}

// spellings counts the header keys equal to name in any case.
func spellings(h http.Header, name string) int {
	n := 0
	for k := range h {
		if strings.EqualFold(k, name) {
			n++
		}
	}
	return n
}
