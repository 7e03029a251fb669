package testserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

const (
	strictAK = "AKIDstrict"
	strictSK = "strict-secret"
)

// settable is a server clock a test moves by hand.
type settable struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settable) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *settable) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// errorCode sends req and returns the provider error code of the answer
// ("" for a success).
func errorCode(t *testing.T, p classify.Provider, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if msg := resp.Header.Get("X-Ca-Error-Message"); msg != "" && len(b) == 0 {
		// API Gateway's own answer: the message alone, in a header.
		assert.Empty(t, resp.Header.Values("X-Ca-Error-Code"), "a shared instance sends no X-Ca-Error-Code")
		assert.NotEmpty(t, resp.Header.Get("X-Ca-Request-Id"))
		return classify.GatewayCode(msg)
	}
	var v struct {
		Code     string `json:"Code"`
		Lower    string `json:"code"`
		Response struct {
			Error struct{ Code string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	switch p {
	case classify.Tencent:
		return v.Response.Error.Code
	case classify.Baidu:
		if v.Lower == "1000" {
			return ""
		}
		return v.Lower
	}
	if v.Code == "OK" {
		return ""
	}
	return v.Code
}

type strictCase struct {
	p      classify.Provider
	signer func(creds sign.CredentialsProvider) sign.Signer
	req    func(t *testing.T, url string) (*http.Request, []byte)
}

func strictCases() map[string]strictCase {
	form := func(t *testing.T, url string) (*http.Request, []byte) {
		r, err := http.NewRequest(http.MethodPost, url+"/?Action=SendSms&Version=2017-05-25&PhoneNumbers=1", nil)
		require.NoError(t, err)
		return r, nil
	}
	return map[string]strictCase{
		"aliyun-rpc": {classify.Aliyun, sign.AliyunRPC, form},
		"aliyun-v3": {classify.Aliyun, sign.AliyunV3, func(t *testing.T, url string) (*http.Request, []byte) {
			r, b := form(t, url)
			r.Header.Set("x-acs-action", "SendSms")
			r.Header.Set("x-acs-version", "2017-05-25")
			return r, b
		}},
		"aliyun-gateway": {classify.Aliyun, sign.AliyunGateway, form},
		"tencent-tc3": {classify.Tencent, func(c sign.CredentialsProvider) sign.Signer { return sign.TencentTC3Service(c, "sms") },
			func(t *testing.T, url string) (*http.Request, []byte) {
				body := []byte(`{"PhoneNumberSet":["+86"]}`)
				r, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(string(body)))
				require.NoError(t, err)
				r.Header.Set("X-TC-Action", "SendSms")
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				return r, body
			}},
		"baidu-bce": {classify.Baidu, func(c sign.CredentialsProvider) sign.Signer { return sign.BaiduBCE(c, 10*time.Minute) },
			func(t *testing.T, url string) (*http.Request, []byte) {
				body := []byte(`{"mobile":"1"}`)
				r, err := http.NewRequest(http.MethodPost, url+"/api/v3/sendsms", strings.NewReader(string(body)))
				require.NoError(t, err)
				r.Header.Set("Content-Type", "application/json")
				return r, body
			}},
	}
}

func TestStrictGateway(t *testing.T) {
	good := sign.StaticCredentials{AccessKeyID: strictAK, AccessKeySecret: strictSK}
	badSecret := sign.StaticCredentials{AccessKeyID: strictAK, AccessKeySecret: "wrong"}
	otherKey := sign.StaticCredentials{AccessKeyID: "AKIDother", AccessKeySecret: strictSK}
	base := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	for name, c := range strictCases() {
		t.Run(name, func(t *testing.T) {
			clk := &settable{now: base}
			srv := New(c.p, WithStrict(strictAK, strictSK), WithClock(clk.Now))
			defer srv.Close()
			codes := codesFor(c.p)
			if name == "aliyun-gateway" { // API Gateway names its rejections by their messages
				codes.mismatch, codes.unknownKey, codes.expired = "Invalid Signature", "Invalid AppKey", "Invalid Timestamp"
			}
			nonceUsed := "SignatureNonceUsed"
			if name == "aliyun-gateway" {
				nonceUsed = "Nonce Used"
			}
			send := func(creds sign.CredentialsProvider, at time.Time, nonce string) string {
				r, body := c.req(t, srv.URL())
				require.NoError(t, c.signer(creds).Sign(context.Background(), r, body, sign.Stamp{Time: at, Nonce: nonce}))
				return errorCode(t, c.p, r)
			}
			usesNonce := c.signer(good).UsesNonce()

			assert.Equal(t, "", send(good, base, "n1"), "a good signature passes")
			assert.Equal(t, codes.mismatch, send(badSecret, base, "n2"))
			assert.Equal(t, codes.unknownKey, send(otherKey, base, "n3"))
			r, _ := c.req(t, srv.URL())
			assert.Equal(t, codes.missing, errorCode(t, c.p, r), "no signature at all")

			if usesNonce {
				assert.Equal(t, nonceUsed, send(good, base, "n1"), "a nonce is remembered")
				clk.Set(base.Add(NonceWindow + time.Minute))
				assert.Equal(t, "", send(good, clk.Now(), "n1"), "and forgotten after the window")
				clk.Set(base)
			}

			window := map[classify.Provider]time.Duration{classify.Aliyun: 15 * time.Minute, classify.Tencent: 5 * time.Minute, classify.Baidu: 10 * time.Minute}[c.p]
			assert.Equal(t, "", send(good, base.Add(-window+time.Minute), "n4"), "inside the window")
			assert.Equal(t, codes.expired, send(good, base.Add(-window-time.Minute), "n5"), "expired")
			if c.p != classify.Baidu {
				assert.Equal(t, codes.expired, send(good, base.Add(window+time.Minute), "n6"), "from the future")
			} else {
				assert.Equal(t, "", send(good, base.Add(14*time.Minute), "n6"))
				assert.Equal(t, codes.expired, send(good, base.Add(16*time.Minute), "n7"), "more than 15 min ahead")
			}
			_, performed := srv.Totals()
			assert.Equal(t, 0, performed-countOK(srv), "rejections never perform")
		})
	}
}

// countOK counts the attempts the gateway let through.
func countOK(s *Server) int {
	n := 0
	for _, a := range s.Log() {
		if a.Fault.Code == "" {
			n++
		}
	}
	return n
}

func TestStrictRejectionsDoNotConsumeScript(t *testing.T) {
	srv := New(classify.Aliyun, WithStrict(strictAK, strictSK))
	defer srv.Close()
	srv.Script("k", Fault{Code: "ServiceUnavailable"})
	req := func(signed bool) *http.Request {
		r, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=SendSms", nil)
		require.NoError(t, err)
		r.Header.Set(KeyHeader, "k")
		if signed {
			require.NoError(t, sign.AliyunRPC(sign.StaticCredentials{AccessKeyID: strictAK, AccessKeySecret: strictSK}).Sign(context.Background(), r, nil, sign.Stamp{}))
		}
		return r
	}
	assert.Equal(t, "MissingSignature", errorCode(t, classify.Aliyun, req(false)))
	assert.Equal(t, "ServiceUnavailable", errorCode(t, classify.Aliyun, req(true)), "the script starts behind the gateway")
	assert.Equal(t, "", errorCode(t, classify.Aliyun, req(true)))
	assert.Equal(t, 3, srv.Attempts("k"))
	assert.Equal(t, 1, srv.Performed("k"))
}

func TestLoadConditions(t *testing.T) {
	clk := &settable{now: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	srv := New(classify.Aliyun, WithClock(clk.Now))
	defer srv.Close()
	send := func() string {
		r, err := http.NewRequest(http.MethodGet, srv.URL()+"/?Action=DescribeRegions", nil)
		require.NoError(t, err)
		return errorCode(t, classify.Aliyun, r)
	}
	srv.SetOutage(clk.Now().Add(time.Second), Fault{})
	assert.Equal(t, "ServiceUnavailable", send())
	clk.Set(clk.Now().Add(2 * time.Second))
	assert.Equal(t, "", send(), "the outage ended")

	srv.SetFlaky(0.25, Fault{})
	failed := 0
	for i := 0; i < 100; i++ {
		if send() != "" {
			failed++
		}
	}
	assert.Equal(t, 25, failed, "exactly a quarter")
	srv.SetFlaky(0, Fault{})

	srv.SetQuota(10, 2)
	assert.Equal(t, "", send())
	assert.Equal(t, "", send(), "the burst")
	assert.Equal(t, "Throttling.User", send(), "over quota")
	first, ok := srv.FirstFault("Throttling")
	require.True(t, ok)
	assert.Equal(t, clk.Now(), first)
	clk.Set(clk.Now().Add(100 * time.Millisecond))
	assert.Equal(t, "", send(), "a token every 100 ms")
	assert.Zero(t, srv.ArrivalRate(clk.Now().Add(time.Hour)))
	_, performed := srv.Totals()
	assert.Equal(t, 1+75+3, performed, "only the answers that passed performed")
}
