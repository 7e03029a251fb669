package yunrt

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

func TestLogValue(t *testing.T) {
	u, err := url.Parse("https://ecs.aliyuncs.com/?AccessKeyId=LTAIkey&Action=DescribeRegions&Signature=SIGVALUE&SignatureNonce=NONCEVALUE&SecurityToken=TOKENVALUE")
	require.NoError(t, err)
	info := RequestInfo{Provider: classify.Aliyun, Action: "DescribeRegions", Kind: classify.Read, Method: "POST", Host: "ecs.aliyuncs.com", URL: u, Signed: true}
	leaky := &url.Error{Op: "Post", URL: u.String(), Err: syscall.ECONNRESET}
	tests := []struct {
		name  string
		value slog.LogValuer
		want  map[string]any // JSON values by key
		gone  []string       // keys left out
	}{
		{"request", info, map[string]any{"provider": "aliyun", "action": "DescribeRegions", "kind": "read", "method": "POST",
			"host": "ecs.aliyuncs.com", "signed": true,
			"url": "https://ecs.aliyuncs.com/?AccessKeyId=REDACTED&Action=DescribeRegions&Signature=REDACTED&SignatureNonce=REDACTED&SecurityToken=REDACTED"}, nil},
		{"retried attempt", Attempt{N: 1, State: Answered, Protocol: "HTTP/2.0", Duration: 3 * time.Millisecond,
			Result:   classify.Result{Class: classify.Retryable, Status: 503, Code: "ServiceUnavailable", RequestID: "rid-1", Message: "busy; SecurityToken=TOKENVALUE"},
			Decision: policy.Decision{Verdict: policy.Retry, Reason: "retryable"}, Delay: 5 * time.Millisecond, DelaySource: "backoff"},
			map[string]any{"n": 1.0, "state": "answered", "class": "retryable", "status": 503.0, "code": "ServiceUnavailable", "request_id": "rid-1",
				"decision": "retry", "reason": "retryable", "delay": 5e6, "delay_source": "backoff", "message": "busy; SecurityToken=[redacted]",
				"protocol": "HTTP/2.0"},
			[]string{"error", "resigned", "breaker", "budget_exhausted", "outcome_unknown"}},
		{"no answer", Attempt{N: 2, State: SentNoAnswer, Err: leaky, Result: classify.Result{Class: classify.SideEffectUnknown},
			Decision: policy.Decision{Verdict: policy.Stop, OutcomeUnknown: true}, Breaker: "closed"},
			map[string]any{"n": 2.0, "state": "sent-no-answer", "class": "side-effect-unknown", "decision": "stop", "outcome_unknown": true,
				"breaker": "closed", "error": `Post "https://ecs.aliyuncs.com/?[redacted]": connection reset by peer`},
			[]string{"status", "code", "delay", "protocol"}},
		{"failed request", End{Attempts: 2, Err: &Error{Provider: classify.Aliyun, Action: "DescribeRegions", Attempts: 2, Reason: ErrOutcomeUnknown, Err: leaky},
			Decision: policy.Decision{Verdict: policy.Stop, OutcomeUnknown: true}, Waited: time.Millisecond},
			map[string]any{"attempts": 2.0, "decision": "stop", "outcome_unknown": true, "waited": 1e6,
				"error": `yunrt: aliyun DescribeRegions: ` + ErrOutcomeUnknown.Error() + `: Post "https://ecs.aliyuncs.com/?[redacted]": connection reset by peer (after 2 attempts)`},
			[]string{"class", "status"}},
		{"answered request", End{Attempts: 1, Result: classify.Result{Class: classify.Success, Status: 200, RequestID: "rid-2"}, Decision: policy.Decision{Verdict: policy.Done}},
			map[string]any{"attempts": 1.0, "class": "success", "status": 200.0, "request_id": "rid-2", "decision": "done"},
			[]string{"error", "code", "waited", "reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", slog.Any("v", tt.value))
			for _, s := range []string{"SIGVALUE", "NONCEVALUE", "TOKENVALUE", "LTAIkey"} {
				assert.NotContains(t, buf.String(), s)
			}
			var line struct {
				V map[string]any `json:"v"`
			}
			require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
			for k, v := range tt.want {
				assert.Equal(t, v, line.V[k], "%s", k)
			}
			for _, k := range tt.gone {
				assert.NotContains(t, line.V, k)
			}
			for k, v := range line.V {
				assert.NotEqual(t, "", v, "%s is empty", k)
			}
		})
	}
}
