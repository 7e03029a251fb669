package yunrt_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/yunrttest"
)

// A Tencent Cloud SendSms call that is throttled once (the error arrives
// inside an HTTP 200 body) and then succeeds. The emulator stands in for
// sms.tencentcloudapi.com.
func Example() {
	srv := yunrttest.NewServer(classify.Tencent)
	defer srv.Close()
	srv.Script("sms-1", yunrttest.Fault{Code: "RequestLimitExceeded"})

	client := &http.Client{Transport: yunrt.New(nil,
		yunrt.WithHost(srv.Host(), classify.Tencent), // a real endpoint needs no mapping
		yunrt.WithPolicy(classify.Tencent, policy.Policy{Throttled: policy.Backoff{Initial: 10 * time.Millisecond}}),
	)}
	req, _ := http.NewRequest(http.MethodPost, srv.URL(), strings.NewReader(`{"PhoneNumberSet":["+8613800000000"]}`))
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set(yunrttest.KeyHeader, "sms-1")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), "send success"))
	fmt.Println("attempts:", srv.Attempts("sms-1"), "sent:", srv.Performed("sms-1"))
	// Output:
	// 200 true
	// attempts: 2 sent: 1
}

// A push whose connection is cut after the server read it: the outcome is
// unknown, so yunrt does not send it again and says so.
func ExampleError() {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	srv.Script("push-1", yunrttest.Fault{Reset: true, Performed: true})

	client := &http.Client{Transport: yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun))}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=Push&AppKey=1&Target=DEVICE&TargetValue=d1", nil)
	req.Header.Set(yunrttest.KeyHeader, "push-1")
	_, err := client.Do(req)

	var e *yunrt.Error
	fmt.Println(errors.Is(err, yunrt.ErrOutcomeUnknown), errors.As(err, &e) && e.Attempts == 1)
	fmt.Println("pushed:", srv.Performed("push-1"))
	// Output:
	// true true
	// pushed: 1
}

// Watching the circuit breakers alone: an Aliyun endpoint whose first
// answer is a 503 opens its breaker (MinRequests 1), which then refuses
// the next call without sending it.
func ExampleWithBreakerChange() {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	srv.Script("sms-1", yunrttest.Fault{Code: "ServiceUnavailable"})

	client := &http.Client{Transport: yunrt.New(nil,
		yunrt.WithHost(srv.Host(), classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}),
		yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 1, MinOpenTimeout: time.Hour, OpenTimeout: time.Hour}),
		yunrt.WithBreakerChange(func(c yunrt.BreakerChange) {
			fmt.Printf("%s breaker: %s -> %s\n", c.Provider, c.From, c.To)
		}),
	)}
	for _, key := range []string{"sms-1", "sms-2"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=SendSms&PhoneNumbers=1", nil)
		req.Header.Set(yunrttest.KeyHeader, key)
		resp, err := client.Do(req)
		if err != nil {
			fmt.Println(key, "refused:", errors.Is(err, breaker.ErrOpen))
			continue
		}
		resp.Body.Close()
		fmt.Println(key, resp.StatusCode)
	}
	fmt.Println("attempts:", srv.Attempts("sms-1"), srv.Attempts("sms-2"))
	// Output:
	// aliyun breaker: closed -> open
	// sms-1 503
	// sms-2 refused: true
	// attempts: 1 0
}
