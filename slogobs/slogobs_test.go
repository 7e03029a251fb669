package slogobs_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
	"github.com/yunrt/yunrt/slogobs"
)

// line is one logged JSON line, the parts the tests read.
type line struct {
	Level     string         `json:"level"`
	Msg       string         `json:"msg"`
	ErrorType string         `json:"error.type"`
	Request   map[string]any `json:"request"`
	Attempt   map[string]any `json:"attempt"`
	End       map[string]any `json:"end"`
}

func parse(t *testing.T, buf *bytes.Buffer) []line {
	t.Helper()
	var out []line
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var v line
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
		out = append(out, v)
	}
	return out
}

func fastPolicy() policy.Policy {
	return policy.Policy{
		Rate:        policy.Rate{NoAdapt: true},
		MaxAttempts: 3,
		Retryable:   policy.Backoff{Initial: 2 * time.Millisecond, Max: 5 * time.Millisecond},
		Throttled:   policy.Backoff{Initial: 2 * time.Millisecond, Max: 5 * time.Millisecond},
		MaxDelay:    time.Second,
	}
}

// request builds a call in the provider's shape, keyed for the emulator;
// an Aliyun call carries credentials in its URL, as an SDK's would, and
// a nonce when key starts with "nonce".
func request(t *testing.T, srv *testserver.Server, action, key string) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	switch srv.Provider() {
	case classify.Aliyun:
		q := url.Values{"Action": {action}, "AccessKeyId": {"LTAIlogkey"}, "Signature": {"SIGlogvalue"}, "SecurityToken": {"TOKENlog"}}
		if strings.HasPrefix(key, "nonce") {
			q.Set("SignatureNonce", "NONCElog")
		}
		req, err = http.NewRequest(http.MethodPost, srv.URL()+"/?"+q.Encode(), nil)
	default:
		req, err = http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(`{"PhoneNumberSet":["+8613800000000"]}`))
		if err == nil {
			req.Header.Set("X-TC-Action", action)
		}
	}
	require.NoError(t, err)
	req.Header.Set(testserver.KeyHeader, key)
	return req
}

func TestObserver(t *testing.T) {
	tests := []struct {
		name     string
		provider classify.Provider
		action   string
		faults   []testserver.Fault
		opts     []yunrt.Option
		level    slog.Level
		wantErr  error
		want     []line // level, msg, error.type of each line, in order
		check    func(t *testing.T, lines []line)
	}{
		{
			name: "retried read, debug", provider: classify.Aliyun, action: "DescribeRegions", level: slog.LevelDebug,
			faults: []testserver.Fault{{Code: "ServiceUnavailable"}},
			want: []line{
				{Level: "WARN", Msg: slogobs.MsgRetry, ErrorType: "ServiceUnavailable"},
				{Level: "DEBUG", Msg: slogobs.MsgAttempt},
				{Level: "DEBUG", Msg: slogobs.MsgRequest},
			},
			check: func(t *testing.T, lines []line) {
				assert.Equal(t, "retry", lines[0].Attempt["decision"])
				assert.Equal(t, 503.0, lines[0].Attempt["status"])
				assert.Equal(t, "DescribeRegions", lines[0].Request["action"])
				assert.Equal(t, "read", lines[0].Request["kind"])
				assert.Contains(t, lines[0].Request["url"], "Signature=REDACTED")
				assert.Equal(t, 2.0, lines[2].End["attempts"])
			},
		},
		{
			name: "retried read, info: successes are not logged", provider: classify.Aliyun, action: "DescribeRegions", level: slog.LevelInfo,
			faults: []testserver.Fault{{Code: "ServiceUnavailable"}},
			want:   []line{{Level: "WARN", Msg: slogobs.MsgRetry, ErrorType: "ServiceUnavailable"}},
		},
		{
			name: "nonce signed elsewhere: not resent", provider: classify.Aliyun, action: "DescribeRegions", level: slog.LevelInfo,
			faults: []testserver.Fault{{Code: "ServiceUnavailable"}},
			want: []line{
				{Level: "WARN", Msg: slogobs.MsgAttemptFailed, ErrorType: "ServiceUnavailable"},
				{Level: "WARN", Msg: slogobs.MsgRequestFailed, ErrorType: "ServiceUnavailable"},
			},
			check: func(t *testing.T, lines []line) {
				assert.Contains(t, lines[0].Request["url"], "SignatureNonce=REDACTED")
				assert.Equal(t, "stop", lines[0].Attempt["decision"])
			},
		},
		{
			name: "unknown-outcome write", provider: classify.Tencent, action: "SendSms", level: slog.LevelInfo,
			faults:  []testserver.Fault{{Reset: true, Performed: true}},
			wantErr: yunrt.ErrOutcomeUnknown,
			want: []line{
				{Level: "WARN", Msg: slogobs.MsgAttemptFailed, ErrorType: "sent_no_answer"},
				{Level: "WARN", Msg: slogobs.MsgRequestFailed, ErrorType: "outcome_unknown"},
			},
			check: func(t *testing.T, lines []line) {
				assert.Equal(t, "sent-no-answer", lines[0].Attempt["state"])
				assert.Equal(t, true, lines[1].End["outcome_unknown"])
				assert.Contains(t, lines[1].End["error"], "outcome is unknown")
			},
		},
		{
			name: "breaker opens, then refuses", provider: classify.Aliyun, action: "SendSms", level: slog.LevelInfo,
			faults: []testserver.Fault{{Code: "ServiceUnavailable"}, {Code: "ServiceUnavailable"}, {Code: "ServiceUnavailable"}},
			opts:   []yunrt.Option{yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 1, MinOpenTimeout: time.Hour, OpenTimeout: time.Hour})}, // open for good: the second request comes on the real clock
			want: []line{
				{Level: "WARN", Msg: slogobs.MsgBreaker},
				{Level: "WARN", Msg: slogobs.MsgAttemptFailed, ErrorType: "ServiceUnavailable"},
				{Level: "WARN", Msg: slogobs.MsgRequestFailed, ErrorType: "ServiceUnavailable"},
			},
		},
		{
			name: "signed by yunrt", provider: classify.Tencent, action: "SendSms", level: slog.LevelDebug,
			faults: []testserver.Fault{{Code: "RequestLimitExceeded"}},
			opts: []yunrt.Option{yunrt.WithSigner(classify.Tencent, sign.TencentTC3Service(
				sign.StaticCredentials{AccessKeyID: "AKIDlogkey", AccessKeySecret: "SECRETlog", SecurityToken: "TOKENlog"}, "sms"))},
			want: []line{
				{Level: "WARN", Msg: slogobs.MsgRetry, ErrorType: "RequestLimitExceeded"},
				{Level: "DEBUG", Msg: slogobs.MsgAttempt},
				{Level: "DEBUG", Msg: slogobs.MsgRequest},
			},
			check: func(t *testing.T, lines []line) {
				assert.Equal(t, true, lines[0].Request["signed"])
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.New(tt.provider)
			defer srv.Close()
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tt.level}))
			base := http.DefaultTransport.(*http.Transport).Clone()
			defer base.CloseIdleConnections()
			tr := yunrt.New(base, append([]yunrt.Option{yunrt.WithHost(srv.Host(), tt.provider),
				yunrt.WithPolicy(tt.provider, fastPolicy()), yunrt.WithObserver(slogobs.New(logger))}, tt.opts...)...)

			key := "k"
			if strings.HasPrefix(tt.name, "nonce") {
				key = "nonce-k"
			}
			srv.Script(key, tt.faults...)
			resp, err := tr.RoundTrip(request(t, srv, tt.action, key))
			if resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				require.NoError(t, resp.Body.Close())
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			if tt.name == "breaker opens, then refuses" {
				_, err := tr.RoundTrip(request(t, srv, tt.action, "k2"))
				require.ErrorIs(t, err, breaker.ErrOpen)
				tt.want = append(tt.want,
					line{Level: "WARN", Msg: slogobs.MsgAttemptFailed, ErrorType: "breaker_open"},
					line{Level: "WARN", Msg: slogobs.MsgRequestFailed, ErrorType: "breaker_open"})
			}

			for _, s := range []string{"SIGlogvalue", "NONCElog", "TOKENlog", "LTAIlogkey", "AKIDlogkey", "SECRETlog", "Authorization"} {
				assert.NotContains(t, buf.String(), s)
			}
			for _, a := range srv.Log() { // the signatures yunrt computed
				if v := a.Header.Get("Authorization"); v != "" {
					assert.NotContains(t, buf.String(), v[len(v)-16:])
				}
			}
			lines := parse(t, &buf)
			got := make([]line, len(lines))
			for i, l := range lines {
				got[i] = line{Level: l.Level, Msg: l.Msg, ErrorType: l.ErrorType}
			}
			require.Equal(t, tt.want, got, buf.String())
			if tt.check != nil {
				tt.check(t, lines)
			}
		})
	}
}

func TestNilLoggerUsesDefault(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	slogobs.New(nil).BreakerChange(yunrt.BreakerChange{Provider: classify.Aliyun, Name: "aliyun/h", From: "closed", To: "open"})
	assert.Contains(t, buf.String(), "level=WARN msg=\"yunrt breaker\" provider=aliyun name=aliyun/h from=closed to=open")
}
