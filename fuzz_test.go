package yunrt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// Secrets of the fuzz target's credentials, and where a server may echo
// them (Aliyun echoes its string-to-sign in SignatureDoesNotMatch).
const (
	fuzzSecret = "FuzzSecretNeverShown"
	fuzzToken  = "FuzzSTSTokenNeverShown"
)

// maxErrorText bounds err.Error() of a failed request: the reason, the
// transport error, the last code and request id, each cut (classify's
// bounds), and yunrt's own words.
const maxErrorText = 4 << 10

// fuzzObserver prints every event it sees into one buffer.
type fuzzObserver struct {
	NopObserver
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *fuzzObserver) AttemptEnd(_ context.Context, req RequestInfo, a Attempt) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(&o.buf, "%+v %+v %v\n", req, a, a.Err)
}

func (o *fuzzObserver) RequestEnd(_ context.Context, req RequestInfo, e End) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(&o.buf, "%+v %+v %v\n", req, e, e.Err)
}

// echoForms put a secret where servers echo it.
var echoForms = []func(string) string{
	func(s string) string {
		return "server string to sign is:POST&%2F&SecurityToken%3D" + s + "%26Timestamp"
	},
	func(s string) string { return "SecurityToken=" + s + "&Version=1" },
	func(s string) string { return `{"AccessKeySecret":"` + s + `"}` },
	func(s string) string { return "Authorization: ACS3-HMAC-SHA256 Credential=AK,Signature=" + s },
	func(s string) string { return "X-Ca-Signature: " + s },
}

// FuzzTransportResponses sends a signed request to a server that answers
// with the fuzzer's status, headers and body, where a credential is echoed
// in a known form, and asserts that no secret reaches the error text or any
// observer event, and that no string exceeds its documented bound.
func FuzzTransportResponses(f *testing.F) {
	f.Add(400, "Content-Type", "application/json", `{"Code":"SignatureDoesNotMatch","Message":"%s","RequestId":"r"}`, uint8(0))
	f.Add(200, "Content-Type", "application/json", `{"Response":{"Error":{"Code":"AuthFailure","Message":"%s"},"RequestId":"r"}}`, uint8(1))
	f.Add(503, "X-Ca-Error-Message", "%s", ``, uint8(3))
	f.Add(403, "Content-Type", "text/xml", `<Error><Code>Forbidden</Code><Message>%s</Message></Error>`, uint8(2))
	f.Add(500, "X-Ca-Error-Code", strings.Repeat("C", 5000), strings.Repeat("x", 70000), uint8(4))
	f.Fuzz(func(t *testing.T, status int, hname, hvalue, body string, form uint8) {
		if status < 200 || status > 599 || strings.Contains(hname+hvalue+body, "NeverShown") {
			t.Skip() // the fuzzer writing the secret raw is not an echo we can know
		}
		echo := echoForms[int(form)%len(echoForms)]
		secret := []string{fuzzSecret, fuzzToken}[int(form)%2]
		hvalue = strings.ReplaceAll(hvalue, "%s", echo(secret))
		body = strings.ReplaceAll(body, "%s", echo(secret))
		if !validHeader(hname, hvalue) {
			t.Skip()
		}
		base := rtFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{http.CanonicalHeaderKey(hname): {hvalue}},
				Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
		})
		obs := &fuzzObserver{}
		creds := sign.StaticCredentials{AccessKeyID: testAK, AccessKeySecret: fuzzSecret, SecurityToken: fuzzToken}
		tr := New(base, WithHost("api.example", classify.Aliyun), WithObserver(obs),
			WithSigner(classify.Aliyun, sign.AliyunRPC(creds)),
			WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}))
		resp, err := tr.RoundTrip(writeCall(classify.Aliyun).request(t, "http://api.example"))
		text := obs.buf.String()
		if err != nil {
			text += err.Error() + fmt.Sprintf("%+v", err)
			if len(err.Error()) > maxErrorText {
				t.Fatalf("error text of %d bytes", len(err.Error()))
			}
		} else {
			resp.Body.Close()
		}
		for _, s := range []string{fuzzSecret, fuzzToken} {
			if strings.Contains(text, s) {
				t.Fatalf("secret %q in the observer's events or the error:\n%.2000s", s, text)
			}
		}
	})
}

// validHeader reports whether net/http could carry this header.
func validHeader(name, value string) bool {
	if name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, " :\r\n\t") {
		return false
	}
	return !strings.ContainsAny(value, "\r\n")
}
