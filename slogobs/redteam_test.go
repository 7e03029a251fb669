package slogobs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/slogobs"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRedteamRequestErrorTypeFollowsLastAttempt: a read whose attempts
// all ended sent-no-answer logs its failed request with error.type
// sent_no_answer, as its attempts; it said not_sent.
func TestRedteamRequestErrorTypeFollowsLastAttempt(t *testing.T) {
	var buf bytes.Buffer
	obs := slogobs.New(slog.New(slog.NewJSONHandler(&buf, nil)))
	base := rtFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection reset by peer") })
	pol := policy.Policy{MaxAttempts: 2, Rate: policy.Rate{NoAdapt: true},
		Retryable: policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond}}
	tr := yunrt.New(base, yunrt.WithHost("ecs.aliyuncs.invalid", classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, pol), yunrt.WithObserver(obs))
	req, err := http.NewRequest(http.MethodGet, "http://ecs.aliyuncs.invalid/?Action=DescribeRegions", nil)
	require.NoError(t, err)
	_, err = tr.RoundTrip(req)
	require.Error(t, err)
	types := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Msg       string `json:"msg"`
			ErrorType string `json:"error.type"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		types[rec.Msg] = rec.ErrorType
	}
	require.Equal(t, "sent_no_answer", types[slogobs.MsgAttemptFailed], "precondition: %v", types)
	assert.Equal(t, "sent_no_answer", types[slogobs.MsgRequestFailed])
}
