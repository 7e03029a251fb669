package yunrttest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/yunrttest"
)

// A test of your own code: Aliyun Mobile Push answers Timeout (HTTP 500,
// "the push was most likely accepted"), and the push must have been
// performed exactly once: yunrt does not resend it.
func Example() {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	srv.Script("push-1", yunrttest.Fault{Code: "Timeout", Performed: true})

	client := &http.Client{Transport: yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun))}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=Push&AppKey=1&Target=DEVICE&TargetValue=d1", nil)
	req.Header.Set(yunrttest.KeyHeader, "push-1")
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		fmt.Println("status:", resp.StatusCode)
	}
	fmt.Println("attempts:", srv.Attempts("push-1"), "pushed:", srv.Performed("push-1"))
	// Output:
	// status: 500
	// attempts: 1 pushed: 1
}

// A Tencent Cloud SendSms throttled once (the error comes inside an HTTP
// 200 body), then sent.
func ExampleServer_Script() {
	srv := yunrttest.NewServer(classify.Tencent)
	defer srv.Close()
	srv.Script("sms-1", yunrttest.Fault{Code: "RequestLimitExceeded"})

	client := &http.Client{Transport: yunrt.New(nil,
		yunrt.WithHost(srv.Host(), classify.Tencent),
		yunrt.WithPolicy(classify.Tencent, policy.Policy{Throttled: policy.Backoff{Initial: 5 * time.Millisecond}}),
	)}
	req, _ := http.NewRequest(http.MethodPost, srv.URL(), strings.NewReader(`{"SessionContext":"sms-1"}`))
	req.Header.Set("X-TC-Action", "SendSms")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	for _, r := range srv.Requests() {
		fmt.Printf("%s attempt %d: %q\n", r.Action, r.N, r.Fault.Code)
	}
	fmt.Println("sent:", srv.Performed("sms-1"))
	// Output:
	// SendSms attempt 1: "RequestLimitExceeded"
	// SendSms attempt 2: ""
	// sent: 1
}

// Error bodies in the shapes the providers use, seen by a plain client.
func ExampleFault_format() {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	srv.SetDefault(
		yunrttest.Fault{Code: "ServiceUnavailable", Format: yunrttest.FormatXML},
		yunrttest.Fault{Code: "Throttling.User", TimeLeft: 1500 * time.Millisecond},
		yunrttest.Fault{Status: http.StatusBadGateway, Format: yunrttest.FormatHTML},
		yunrttest.Fault{Code: "isv.BUSINESS_LIMIT_CONTROL", Format: yunrttest.Format200},
	)
	for range 4 {
		resp, err := http.Get(srv.URL() + "/?Action=SendSms")
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("x-ratelimit-user-api"), strings.Contains(string(body), "Code"))
	}
	// Output:
	// 503 text/xml  true
	// 400 application/json Limit:100,Remain:0,TimeLeft:1500 true
	// 502 text/html  false
	// 200 application/json  true
}

// A strict gateway turns away a request that carries no signature, with
// the provider's own code, and never performs it.
func ExampleWithStrict() {
	srv := yunrttest.NewServer(classify.Baidu, yunrttest.WithStrict("my-ak", "my-sk"))
	defer srv.Close()

	client := &http.Client{Transport: yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Baidu))}
	resp, err := client.Post(srv.URL()+"/api/v3/sendsms?clientToken=t-1", "application/json", strings.NewReader(`{}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	r := srv.Requests()[0]
	fmt.Println(resp.StatusCode, r.Fault.Code, "sent:", srv.Performed("t-1"))
	// Output: 403 AccessDenied sent: 0
}

// One server for the three providers, told apart by their requests, with
// a reset connection: "sent, no answer".
func ExampleNewServer_allProviders() {
	srv := yunrttest.NewServer(classify.Unknown)
	defer srv.Close()
	srv.Script("order-7", yunrttest.Fault{Reset: true, Performed: true})

	client := &http.Client{Transport: yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Tencent))}
	req, _ := http.NewRequest(http.MethodPost, srv.URL(), strings.NewReader(`{}`))
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set(yunrttest.KeyHeader, "order-7")
	_, err := client.Do(req)
	fmt.Println(errors.Is(err, yunrt.ErrOutcomeUnknown), srv.Requests()[0].Provider, "sent:", srv.Performed("order-7"))
	// Output: true tencent sent: 1
}

// A quota of one attempt a second, by a server clock that stands still:
// yunrt meets Aliyun's Throttling.User on the second send, retries it
// once it may, and hands the caller the provider's answer; nothing over
// the quota was sent. (With a clock that moves, the retry gets through
// once the quota refills.)
func ExampleServer_SetQuota() {
	frozen := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithClock(func() time.Time { return frozen }))
	defer srv.Close()
	srv.SetQuota(1, 1)

	client := &http.Client{Transport: yunrt.New(nil,
		yunrt.WithHost(srv.Host(), classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 2, Throttled: policy.Backoff{Initial: 5 * time.Millisecond}}),
	)}
	for _, key := range []string{"sms-1", "sms-2"} {
		resp, err := client.Post(srv.URL()+"/?Action=SendSms&OutId="+key, "application/x-www-form-urlencoded", nil)
		if err != nil {
			fmt.Println(key, err)
			continue
		}
		resp.Body.Close()
		fmt.Println(key, resp.StatusCode, "attempts:", srv.Attempts(key), "sent:", srv.Performed(key))
	}
	for _, r := range srv.Requests() {
		fmt.Printf("%s attempt %d: %q\n", r.Key, r.N, r.Fault.Code)
	}
	// Output:
	// sms-1 200 attempts: 1 sent: 1
	// sms-2 400 attempts: 2 sent: 0
	// sms-1 attempt 1: ""
	// sms-2 attempt 1: "Throttling.User"
	// sms-2 attempt 2: "Throttling.User"
}
