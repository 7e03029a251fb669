package yunrt

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
	"github.com/yunrt/yunrt/yunrttest/faultnet"
)

// wireCase is one provider, signed by yunrt or not.
type wireCase struct {
	p      classify.Provider
	signed bool
}

func (wc wireCase) String() string {
	if wc.signed {
		return wc.p.String() + "/signed"
	}
	return wc.p.String() + "/unsigned"
}

// wireCases is every provider, signed and unsigned.
func wireCases() []wireCase {
	var out []wireCase
	for _, p := range classify.Providers() {
		out = append(out, wireCase{p, false}, wireCase{p, true})
	}
	return out
}

func (wc wireCase) signer() sign.Signer {
	switch wc.p {
	case classify.Aliyun:
		return sign.AliyunRPC(testCreds)
	case classify.Tencent:
		return sign.TencentTC3Service(testCreds, "sms")
	}
	return sign.BaiduBCE(testCreds, 0)
}

// fastPolicy retries quickly: tests of the wire want attempts, not waits.
func fastPolicy() policy.Policy {
	quick := policy.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond, Multiplier: 2, Jitter: -1}
	return policy.Policy{MaxAttempts: 3, Retryable: quick, Throttled: quick, Rate: policy.Rate{NoAdapt: true}, Budget: policy.Budget{Off: true}}
}

// wireTransport is yunrt over srv's own client transport, for wc.
func wireTransport(t testing.TB, srv *faultnet.Server, wc wireCase, pol policy.Policy, opts ...Option) (*Transport, *http.Transport) {
	base := srv.Transport()
	t.Cleanup(base.CloseIdleConnections)
	all := []Option{WithHost(srv.Host(), wc.p), WithPolicy(wc.p, pol), WithBreaker(wc.p, breaker.Settings{Off: true})}
	if wc.signed {
		all = append(all, WithSigner(wc.p, wc.signer()))
	}
	return New(base, append(all, opts...)...), base
}

// wireRequest is a call of provider p: a write (SendSms, or Baidu's POST
// /api/v3/sendsms) or a read, sent with method (Aliyun RPC accepts GET
// and POST), with a body of about pad bytes when pad > 0.
func wireRequest(t testing.TB, base string, p classify.Provider, write bool, method string, pad int, key string) *http.Request {
	t.Helper()
	var url string
	var body []byte
	hdr := http.Header{faultnet.KeyHeader: {key}}
	switch p {
	case classify.Aliyun:
		action := "QuerySendDetails"
		if write {
			action = "SendSms"
		}
		url = base + "/?Action=" + action + "&Version=2017-05-25&PhoneNumbers=13800000000"
		if pad > 0 {
			body = []byte("TemplateParam=" + strings.Repeat("x", pad))
			hdr.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case classify.Tencent:
		action := "DescribeSmsSignList"
		if write {
			action = "SendSms"
		}
		url = base + "/"
		method = http.MethodPost
		body = []byte(`{"PhoneNumberSet":["+8613800000000"],"Pad":"` + strings.Repeat("x", pad) + `"}`)
		hdr.Set("X-TC-Action", action)
		hdr.Set("X-TC-Version", "2021-01-11")
		hdr.Set("Content-Type", "application/json; charset=utf-8")
	case classify.Baidu:
		url, method = base+"/api/v3/template", http.MethodGet
		if write {
			url, method = base+"/api/v3/sendsms", http.MethodPost
			body = []byte(`{"mobile":"13800000000","pad":"` + strings.Repeat("x", pad) + `"}`)
			hdr.Set("Content-Type", "application/json")
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header[k] = v
	}
	return req
}
