package yunrt

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

const (
	testAK = "LTAI5tTestAccessKey"
	testSK = "TestSecretKeyNeverPrinted"
)

var testCreds = sign.StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSK}

// scheme is one signature scheme and a request of its own shape.
type scheme struct {
	name   string
	p      classify.Provider
	signer sign.Signer
	// request builds an unsigned request for action with key.
	request func(t testing.TB, base, action, key string) *http.Request
	write   string
	read    string
}

func schemes() []scheme {
	rpc := func(t testing.TB, base, action, key string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, base+"/?Action="+action+"&Version=2017-05-25&PhoneNumbers=13800000000&SignName=yunrt", nil)
		require.NoError(t, err)
		req.Header.Set(testserver.KeyHeader, key)
		return req
	}
	return []scheme{
		{name: "aliyun-rpc", p: classify.Aliyun, signer: sign.AliyunRPC(testCreds), request: rpc, write: "SendSms", read: "QuerySendDetails"},
		{name: "aliyun-v3", p: classify.Aliyun, signer: sign.AliyunV3(testCreds),
			request: func(t testing.TB, base, action, key string) *http.Request {
				req, err := http.NewRequest(http.MethodPost, base+"/?PhoneNumbers=13800000000&SignName=yunrt", nil)
				require.NoError(t, err)
				req.Header.Set("x-acs-action", action)
				req.Header.Set("x-acs-version", "2017-05-25")
				req.Header.Set(testserver.KeyHeader, key)
				return req
			},
			write: "SendSms", read: "QuerySendDetails"},
		{name: "aliyun-gateway", p: classify.Aliyun, signer: sign.AliyunGateway(testCreds),
			request: func(t testing.TB, base, action, key string) *http.Request {
				req, err := http.NewRequest(http.MethodPost, base+"/sms/send?Action="+action, strings.NewReader(`{"phone":"13800000000"}`))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json")
				req.Header.Set(testserver.KeyHeader, key)
				return req
			},
			write: "SendSms", read: "QuerySms"},
		{name: "tencent-tc3", p: classify.Tencent, signer: sign.TencentTC3Service(testCreds, "sms"),
			request: func(t testing.TB, base, action, key string) *http.Request {
				req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(`{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000"}`))
				require.NoError(t, err)
				req.Header.Set("X-TC-Action", action)
				req.Header.Set("X-TC-Version", "2021-01-11")
				req.Header.Set("Content-Type", "application/json; charset=utf-8")
				req.Header.Set(testserver.KeyHeader, key)
				return req
			},
			write: "SendSms", read: "DescribeSmsSignList"},
		{name: "baidu-bce", p: classify.Baidu, signer: sign.BaiduBCE(testCreds, 0),
			request: func(t testing.TB, base, action, key string) *http.Request {
				method, path, _ := strings.Cut(action, " ")
				var req *http.Request
				var err error
				if method == http.MethodGet {
					req, err = http.NewRequest(method, base+path, nil)
				} else {
					req, err = http.NewRequest(method, base+path, strings.NewReader(`{"mobile":"13800000000","template":"sms-tmpl-1"}`))
					req.Header.Set("Content-Type", "application/json")
				}
				require.NoError(t, err)
				req.Header.Set(testserver.KeyHeader, key)
				return req
			},
			write: "POST /api/v3/sendsms", read: "GET /api/v3/template"},
	}
}

// skewedClock is a server clock that runs ahead (or behind) of ours.
func skewedClock(d time.Duration) func() time.Time {
	return func() time.Time { return time.Now().Add(d) }
}

func TestSignedRequestsPassStrictGateway(t *testing.T) {
	for _, sc := range schemes() {
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
			defer srv.Close()
			srv.Script("w", testserver.Fault{Code: "ServiceUnavailable", Status: 503}, testserver.Fault{Code: "ServiceUnavailable", Status: 503})
			tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer))
			resp, err := tr.RoundTrip(sc.request(t, srv.URL(), sc.write, "w"))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, 3, srv.Attempts("w"))
			assert.Equal(t, 1, srv.Performed("w"))
			for _, a := range srv.Log() {
				assert.NotContains(t, a.Fault.Code, "Signature", "every attempt passed the gateway")
			}
		})
	}
}

func TestUnsignedRequestsAreRejected(t *testing.T) {
	for _, sc := range schemes() {
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
			defer srv.Close()
			tr, _ := newTestTransport(srv, nil) // no signer
			resp, err := tr.RoundTrip(sc.request(t, srv.URL(), sc.write, "u"))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 1, srv.Attempts("u"))
			assert.Equal(t, 0, srv.Performed("u"))
		})
	}
}

func TestNoncesNeverReused(t *testing.T) {
	for _, sc := range schemes() {
		if sc.p != classify.Aliyun {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
			defer srv.Close()
			tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer), WithPolicy(sc.p, policy.Policy{MaxAttempts: 5}))
			for i := 0; i < 4; i++ {
				key := string(rune('a' + i))
				srv.Script(key, testserver.Fault{Code: "Throttling.User"}, testserver.Fault{Status: 503, Format: testserver.FormatEmpty})
				resp, err := tr.RoundTrip(sc.request(t, srv.URL(), sc.read, key))
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, 3, srv.Attempts(key))
			}
			seen := map[string]bool{}
			for _, a := range srv.Log() {
				n := nonceOf(t, sc, a)
				require.NotEmpty(t, n)
				assert.False(t, seen[n], "nonce %s reused", n)
				seen[n] = true
			}
			assert.Len(t, seen, 12)
		})
	}
}

// nonceOf reads the nonce of a logged attempt through the sign package's
// own parsers.
func nonceOf(t *testing.T, sc scheme, a testserver.Attempt) string {
	t.Helper()
	r, err := http.NewRequest(a.Method, "http://x"+a.Path+"?"+a.RawQuery, strings.NewReader(string(a.Body)))
	require.NoError(t, err)
	r.Header = a.Header.Clone()
	var p sign.Parsed
	switch sc.name {
	case "aliyun-rpc":
		p, err = sign.ParseAliyunRPC(r, a.Body)
	case "aliyun-v3":
		p, err = sign.ParseAliyunV3(r)
	case "aliyun-gateway":
		p, err = sign.ParseAliyunGateway(r)
	}
	require.NoError(t, err)
	return p.Nonce
}

func TestClockSkewHeals(t *testing.T) {
	for _, sc := range schemes() {
		skew := 20 * time.Minute
		if sc.p == classify.Baidu {
			skew = -20 * time.Minute // a 1800 s signature outlives a clock 20 min ahead; one 20 min behind sees it from the future
		}
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK), testserver.WithClock(skewedClock(skew)))
			defer srv.Close()
			rec := &recorder{}
			tr, fc := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer), WithObserver(rec))
			resp, err := tr.RoundTrip(sc.request(t, srv.URL(), sc.write, "first"))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, 2, srv.Attempts("first"), "expired, then re-signed")
			assert.Equal(t, 1, srv.Performed("first"))
			assert.Empty(t, fc.Sleeps(), "a re-signed retry goes at once")
			atts := rec.Attempts()
			require.Len(t, atts, 2)
			assert.Equal(t, classify.Resign, atts[0].Result.Class)
			assert.Equal(t, policy.Resign, atts[0].Decision.Verdict)
			assert.InDelta(t, skew.Seconds(), atts[0].SkewMeasured.Seconds(), 2)
			assert.True(t, atts[1].Resigned)
			assert.InDelta(t, skew.Seconds(), tr.ClockSkew(sc.p, srv.Host()).Seconds(), 2)

			resp, err = tr.RoundTrip(sc.request(t, srv.URL(), sc.write, "later"))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, 1, srv.Attempts("later"), "later requests are signed with the corrected clock")
		})
	}
}

func TestExpiredWithoutSignerStops(t *testing.T) {
	srv := testserver.New(classify.Tencent, testserver.WithStrict(testAK, testSK), testserver.WithClock(skewedClock(20*time.Minute)))
	defer srv.Close()
	// An SDK signed the request (with its own, unskewed clock).
	sc := schemes()[3]
	req := sc.request(t, srv.URL(), sc.write, "sdk")
	body := []byte(`{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000"}`)
	require.NoError(t, sc.signer.Sign(context.Background(), req, body, sign.Stamp{Time: time.Now()}))
	rec := &recorder{}
	tr, _ := newTestTransport(srv, nil, WithObserver(rec))
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 1, srv.Attempts("sdk"))
	atts := rec.Attempts()
	require.Len(t, atts, 1)
	assert.Equal(t, "AuthFailure.SignatureExpire", atts[0].Result.Code)
	assert.Equal(t, policy.Stop, atts[0].Decision.Verdict)
	assert.Contains(t, atts[0].Decision.Reason, "a signer would fix this")
}

func TestSDKSignatureReplaced(t *testing.T) {
	srv := testserver.New(classify.Tencent, testserver.WithStrict(testAK, testSK), testserver.WithClock(skewedClock(20*time.Minute)))
	defer srv.Close()
	sc := schemes()[3]
	req := sc.request(t, srv.URL(), sc.write, "sdk2")
	body := []byte(`{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000"}`)
	// The SDK's stale signature, as Tencent's SDK would replay it.
	require.NoError(t, sc.signer.Sign(context.Background(), req, body, sign.Stamp{Time: time.Now().Add(-time.Hour)}))
	tr, _ := newTestTransport(srv, nil, WithSigner(classify.Tencent, sc.signer))
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, srv.Attempts("sdk2"))
	assert.Len(t, srv.Log()[1].Header.Values("Authorization"), 1, "one Authorization, not two")
}

// collidingNonces hands out the same nonce twice, then fresh ones.
type collidingNonces struct {
	mu sync.Mutex
	n  int
}

func (c *collidingNonces) next() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.n <= 2 {
		return "00000000000000000000000000000001", nil
	}
	return sign.NewNonce()
}

func TestNonceCollisionHealsReads(t *testing.T) {
	for _, sc := range schemes()[:3] {
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
			defer srv.Close()
			rec := &recorder{}
			tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer), WithObserver(rec))
			tr.cfg.nonce = (&collidingNonces{}).next
			for _, key := range []string{"one", "two"} {
				resp, err := tr.RoundTrip(sc.request(t, srv.URL(), sc.read, key))
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, 200, resp.StatusCode)
			}
			assert.Equal(t, 1, srv.Attempts("one"))
			assert.Equal(t, 2, srv.Attempts("two"), "the collision heals in one re-signed retry")
			atts := rec.Attempts()
			require.Len(t, atts, 3)
			want := "SignatureNonceUsed"
			if sc.name == "aliyun-gateway" {
				want = "Nonce Used" // API Gateway's X-Ca-Error-Message, named by classify.GatewayCode
			}
			assert.Equal(t, want, atts[1].Result.Code)
			assert.Equal(t, policy.Resign, atts[1].Decision.Verdict)
		})
	}
}

// TestNonceUsedOnSignedWriteStops: a nonce yunrt minted does not collide,
// so SignatureNonceUsed on a write means a copy of it reached the gateway
// before; the write is not re-signed and resent (issue 10).
func TestNonceUsedOnSignedWriteStops(t *testing.T) {
	for _, sc := range schemes()[:3] {
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
			defer srv.Close()
			rec := &recorder{}
			tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer), WithObserver(rec))
			tr.cfg.nonce = (&collidingNonces{}).next
			resp, err := tr.RoundTrip(sc.request(t, srv.URL(), sc.write, "w1"))
			require.NoError(t, err)
			resp.Body.Close()
			resp, err = tr.RoundTrip(sc.request(t, srv.URL(), sc.write, "w2"))
			require.NoError(t, err, "the gateway's answer is returned")
			resp.Body.Close()
			assert.Equal(t, 400, resp.StatusCode)
			assert.Equal(t, 1, srv.Attempts("w2"), "not re-signed and resent")
			atts := rec.Attempts()
			require.Len(t, atts, 2)
			assert.Equal(t, policy.Stop, atts[1].Decision.Verdict)
			assert.True(t, atts[1].Decision.OutcomeUnknown)
		})
	}
}

func TestNonceUsedWithoutSignerStopsWrites(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	for _, c := range []call{writeCall(classify.Aliyun), readCall(classify.Aliyun)} {
		c.key = "nonce-" + c.action
		srv.Script(c.key, testserver.Fault{Code: "SignatureNonceUsed"})
		rec := &recorder{}
		tr, _ := newTestTransport(srv, nil, WithObserver(rec))
		resp, err := tr.RoundTrip(c.request(t, srv.URL()))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 1, srv.Attempts(c.key))
		atts := rec.Attempts()
		require.Len(t, atts, 1)
		assert.Equal(t, policy.Stop, atts[0].Decision.Verdict)
		if c.action == "SendSms" {
			assert.Contains(t, atts[0].Decision.Reason, "may have been processed")
		}
	}
}

func TestSignerErrorSendsNothing(t *testing.T) {
	srv := testserver.New(classify.Aliyun, testserver.WithStrict(testAK, testSK))
	defer srv.Close()
	failing := sign.CredentialsFunc(func(context.Context) (sign.Credentials, error) {
		return sign.Credentials{}, context.DeadlineExceeded
	})
	tr, _ := newTestTransport(srv, nil, WithSigner(classify.Aliyun, sign.AliyunRPC(failing)))
	c := writeCall(classify.Aliyun)
	c.key = "nosign"
	resp, err := tr.RoundTrip(c.request(t, srv.URL()))
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, ErrSign)
	assert.Equal(t, 0, srv.Attempts("nosign"))
	assert.NotContains(t, err.Error(), testSK)
}
