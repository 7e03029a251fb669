package otel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/sign"
)

// TestNoSecretsRecorded runs requests signed with known credentials
// through yunrt and the observer, successes and failures of every kind
// (error answers, a rejected timestamp and its re-signed retry, a
// connection reset, a base transport whose error quotes the URL and the
// Authorization header), serializes every recorded span, and checks that
// no secret, security token, signature or Authorization value is in it.
func TestNoSecretsRecorded(t *testing.T) {
	creds := sign.StaticCredentials{
		AccessKeyID:     "LTAI5tSecretTestKeyId",
		AccessKeySecret: "s3cr3t-Do-Not-Record-9f8e7d",
		SecurityToken:   "CAIS-sts-token-Do-Not-Record-1a2b3c",
	}
	skewed := func() time.Time { return time.Now().Add(20 * time.Minute) }
	tests := []struct {
		name     string
		provider classify.Provider
		action   string
		signer   sign.Signer
		faults   []testserver.Fault
		// leaky wraps the base transport in one whose errors quote the
		// request's URL and Authorization header.
		leaky bool
	}{
		{"aliyun rpc: 503 then OK", classify.Aliyun, "SendSms", sign.AliyunRPC(creds),
			[]testserver.Fault{{Code: "ServiceUnavailable"}}, false},
		{"aliyun rpc: reset", classify.Aliyun, "QuerySendDetails", sign.AliyunRPC(creds),
			[]testserver.Fault{{Reset: true}, {Hangup: true}, {Reset: true}}, false},
		{"aliyun rpc: permanent", classify.Aliyun, "SendSms", sign.AliyunRPC(creds),
			[]testserver.Fault{{Code: "InvalidAccessKeyId.NotFound"}}, false},
		{"aliyun v3: throttled", classify.Aliyun, "SendSms", sign.AliyunV3(creds),
			[]testserver.Fault{{Code: "Throttling.User", TimeLeft: time.Millisecond}}, false},
		{"aliyun rpc: leaky base", classify.Aliyun, "SendSms", sign.AliyunRPC(creds), nil, true},
		{"tencent tc3: limit, then OK", classify.Tencent, "SendSms", sign.TencentTC3Service(creds, "sms"),
			[]testserver.Fault{{Code: "RequestLimitExceeded"}}, false},
		{"tencent tc3: leaky base", classify.Tencent, "SendSms", sign.TencentTC3Service(creds, "sms"), nil, true},
		{"baidu bce: 500 on a read", classify.Baidu, "GET /api/v3/template", sign.BaiduBCE(creds, 0),
			[]testserver.Fault{{Status: 500, Format: testserver.FormatEmpty}}, false},
		{"baidu bce: leaky base", classify.Baidu, "POST /api/v3/sendsms", sign.BaiduBCE(creds, 0), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				var opts []testserver.Option
				if strict { // a skewed clock: rejected, then re-signed
					opts = append(opts, testserver.WithStrict(creds.AccessKeyID, creds.AccessKeySecret), testserver.WithClock(skewed))
				}
				srv := testserver.New(tt.provider, opts...)
				srv.Script("k", tt.faults...)
				h := newHarness(t)
				base := http.RoundTripper(newBase(t))
				leaks := &leakyBase{base: base}
				if tt.leaky {
					base = leaks
				}
				tr := yunrt.New(base, yunrt.WithHost(srv.Host(), tt.provider),
					yunrt.WithPolicy(tt.provider, fastPolicy()), yunrt.WithSigner(tt.provider, tt.signer),
					yunrt.WithObserver(h.obs))
				req := newRequest(t, context.Background(), tt.provider, srv.URL(), tt.action, "k")
				// A signature an SDK left, replaced by yunrt's.
				req.Header.Set("Authorization", "SDK-SIGNATURE-Do-Not-Record")
				if tt.provider == classify.Aliyun { // ACS3 names the action in headers
					req.Header.Set("x-acs-action", tt.action)
					req.Header.Set("x-acs-version", "2017-05-25")
				}
				_, _ = roundTrip(t, tr, req)
				srv.Close()

				secrets := []string{creds.AccessKeySecret, creds.SecurityToken, "SDK-SIGNATURE-Do-Not-Record"}
				log := srv.Log()
				for _, a := range log {
					q, _ := url.ParseQuery(a.RawQuery)
					for _, v := range []string{q.Get("Signature"), q.Get("SecurityToken"), a.Header.Get("Authorization"),
						a.Header.Get("X-Acs-Security-Token"), a.Header.Get("X-Tc-Token"), a.Header.Get("X-Bce-Security-Token")} {
						if v != "" {
							secrets = append(secrets, v)
						}
					}
				}
				secrets = append(secrets, leaks.authorizations()...)
				if !tt.leaky {
					require.NotEmpty(t, log, "the emulator saw the attempts")
					require.Greater(t, len(secrets), 3, "signatures were collected")
				}
				spans := h.spans()
				require.NotEmpty(t, spans)
				text := dump(spans)
				for _, s := range secrets {
					assert.NotContains(t, text, s, "strict=%v: a secret, token, signature or Authorization value was recorded", strict)
					if len(s) > 40 { // the signature part of an Authorization header
						assert.NotContains(t, text, s[len(s)-32:], "strict=%v", strict)
					}
				}
				if tt.leaky {
					assert.Contains(t, text, "[redacted]", "the leaky error was recorded, scrubbed")
				}
			}
		})
	}
}

// leakyBase fails every request with an error that quotes its URL (as
// *url.Error does) and its Authorization header.
type leakyBase struct {
	base http.RoundTripper
	seen []string
}

func (l *leakyBase) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	auth := r.Header.Get("Authorization")
	if auth != "" {
		l.seen = append(l.seen, auth)
	}
	if sig := r.URL.Query().Get("Signature"); sig != "" {
		l.seen = append(l.seen, sig)
	}
	return nil, &url.Error{Op: r.Method, URL: r.URL.String(),
		Err: fmt.Errorf("proxy at %s refused Authorization: %s\nx-acs-security-token: %s", r.URL.String(), auth, r.Header.Get("x-acs-security-token"))}
}

func (l *leakyBase) authorizations() []string { return l.seen }
