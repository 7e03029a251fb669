package otel_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestProtocolVersionValues drives the Observer with one attempt per row
// and checks network.protocol.version on the attempt span and on the
// http.client.request.duration point: the version part of
// Attempt.Protocol, "2" and "3" without their ".0" (the conventions'
// example is "2"), "1.0" and "1.1" as they are, and no attribute when the
// protocol is empty or not HTTP, or the attempt has no answer (the
// conventions: not set when the version is not known).
func TestProtocolVersionValues(t *testing.T) {
	rows := []struct {
		proto string
		state yunrt.SendState
		want  string // "" = absent
	}{
		{"HTTP/1.1", yunrt.Answered, "1.1"},
		{"HTTP/1.0", yunrt.Answered, "1.0"},
		{"HTTP/2.0", yunrt.Answered, "2"},
		{"HTTP/3.0", yunrt.Answered, "3"},
		{"", yunrt.Answered, ""},
		{"HTTP/", yunrt.Answered, ""},
		{"SPDY/3.1", yunrt.Answered, ""},
		{"HTTP/1.1", yunrt.SentNoAnswer, ""},
	}
	u, _ := url.Parse("https://ecs.aliyuncs.com/?Action=DescribeRegions")
	info := yunrt.RequestInfo{Provider: classify.Aliyun, Action: "DescribeRegions", Kind: classify.Read,
		Method: "GET", Host: "ecs.aliyuncs.com", URL: u}
	for _, r := range rows {
		t.Run(r.proto+"/"+r.state.String(), func(t *testing.T) {
			h := newHarness(t)
			ctx := h.obs.RequestStart(context.Background(), info)
			actx := h.obs.AttemptStart(ctx, info, 1)
			a := yunrt.Attempt{N: 1, State: r.state, Protocol: r.proto, Duration: time.Millisecond,
				Decision: policy.Decision{Verdict: policy.Done}}
			if r.state == yunrt.Answered {
				a.Result = classify.Result{Provider: classify.Aliyun, Class: classify.Success, Status: 200}
			} else {
				a.Result = classify.Result{Provider: classify.Aliyun, Class: classify.SideEffectUnknown}
			}
			h.obs.AttemptEnd(actx, info, a)
			h.obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1, Result: a.Result, Decision: a.Decision})

			spans := h.named("GET DescribeRegions")
			require.Len(t, spans, 1, dump(h.spans()))
			v, ok := attrs(spans[0])["network.protocol.version"]
			assert.Equal(t, r.want != "", ok, "span attribute present")
			assert.Equal(t, r.want, v.AsString(), "span")

			m, found := findMetric(h.collect(t), "http.client.request.duration")
			require.True(t, found)
			hist := m.Data.(metricdata.Histogram[float64])
			require.Len(t, hist.DataPoints, 1)
			mv, ok := hist.DataPoints[0].Attributes.Value("network.protocol.version")
			assert.Equal(t, r.want != "", ok, "metric attribute present")
			assert.Equal(t, r.want, mv.AsString(), "metric")
		})
	}
}
