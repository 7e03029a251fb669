package slogobs_test

import (
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/slogobs"
)

// A Tencent Cloud SendSms call throttled once, logged at Debug. The
// handler here keeps a few attributes so the output is stable; a real
// one logs them all (time, request id, url, duration, reason, …).
func ExampleNew() {
	srv := testserver.New(classify.Tencent)
	defer srv.Close()
	srv.Script("sms-1", testserver.Fault{Code: "RequestLimitExceeded"})

	keep := []string{"level", "msg", "error.type", "action", "n", "decision", "attempts"}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindGroup || slices.Contains(keep, a.Key) {
				return a
			}
			return slog.Attr{}
		},
	}))

	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: yunrt.New(base,
		yunrt.WithHost(srv.Host(), classify.Tencent),
		yunrt.WithPolicy(classify.Tencent, policy.Policy{Throttled: policy.Backoff{Initial: 5 * time.Millisecond}}),
		yunrt.WithObserver(slogobs.New(logger)),
	)}
	req, _ := http.NewRequest(http.MethodPost, srv.URL(), strings.NewReader(`{"PhoneNumberSet":["+8613800000000"]}`))
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set(testserver.KeyHeader, "sms-1")
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	resp.Body.Close()
	// Output:
	// level=WARN msg="yunrt retry" error.type=RequestLimitExceeded request.action=SendSms attempt.n=1 attempt.decision=retry
	// level=DEBUG msg="yunrt attempt" request.action=SendSms attempt.n=2 attempt.decision=done
	// level=DEBUG msg="yunrt request" request.action=SendSms end.attempts=2 end.decision=done
}
