package otel_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
)

// TestRequestHooksConcurrent: the hooks of one request called from
// several goroutines at once (yunrt calls them one after the other; a
// wrapper reporting attempts from goroutines of its own, with error types
// read meanwhile, does not): attempts that overlap get spans of their own
// (an attempt ended by another's start, and a span for an end whose start
// was taken), and every span started is ended. Under the race detector it
// fails when the request state's lock is taken away (scripts/mutate
// -locks).
func TestRequestHooksConcurrent(t *testing.T) {
	t.Run("recording", func(t *testing.T) {
		h := newHarness(t)
		hooksConcurrently(t, h.obs)
		assert.GreaterOrEqual(t, len(h.spans()), hooksGoroutines*hooksEach+1, "a span per attempt and the request's")
		assert.Len(t, h.rec.Started(), len(h.spans()), "every span started is ended")
	})
	// Without a recording provider nothing but the request state's lock
	// orders the hooks (a span recorder's lock would order them too).
	t.Run("not-recording", func(t *testing.T) { hooksConcurrently(t, yunrtotel.NewObserver()) })
}

const hooksGoroutines, hooksEach = 4, 50

// hooksConcurrently runs the hooks of one request on obs from
// hooksGoroutines goroutines of attempts and one that ends the request
// meanwhile; every error type read on the way names the failure.
func hooksConcurrently(t *testing.T, obs *yunrtotel.Observer) {
	info := yunrt.RequestInfo{Provider: classify.Aliyun, Action: "SendSms", Kind: classify.Write, Method: "POST", Host: "dysmsapi.aliyuncs.com"}
	ctx := obs.RequestStart(context.Background(), info)
	const goroutines, each = hooksGoroutines, hooksEach
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				n := g*each + i + 1
				actx := obs.AttemptStart(ctx, info, n)
				obs.AttemptEnd(actx, info, yunrt.Attempt{N: n, State: yunrt.SentNoAnswer,
					Result:   classify.Result{Provider: classify.Aliyun, Class: classify.SideEffectUnknown},
					Decision: policy.Decision{Verdict: policy.Stop}})
				typ := obs.RequestErrorType(ctx, info, yunrt.End{Attempts: n, Err: context.Canceled})
				assert.NotEmpty(t, typ, "a failed request has an error type")
			}
		}()
	}
	wg.Add(1)
	go func() { // the request ended while attempts still report
		defer wg.Done()
		<-start
		obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1, Err: context.Canceled})
	}()
	close(start)
	wg.Wait()
	obs.RequestEnd(ctx, info, yunrt.End{Attempts: goroutines * each}) // ends the attempts that started after the first
}
