package slogobs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/slogobs"
)

// lockedBuffer is a bytes.Buffer for a handler written from several
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestRequestHooksConcurrent: attempts of one request reported from
// several goroutines while the request ends (yunrt calls the hooks one
// after the other; a wrapper need not): every attempt and every end of
// the request is logged, one line each. Under the race detector it fails when the last attempt's lock is taken away
// (scripts/mutate -locks).
func TestRequestHooksConcurrent(t *testing.T) {
	var out lockedBuffer
	obs := slogobs.New(slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	info := yunrt.RequestInfo{Provider: classify.Aliyun, Action: "SendSms", Kind: classify.Write, Method: "POST", Host: "dysmsapi.aliyuncs.com"}
	ctx := obs.RequestStart(context.Background(), info)
	const goroutines, each = 4, 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				state := []yunrt.SendState{yunrt.NotSent, yunrt.SentNoAnswer}[(g+i)%2]
				obs.AttemptEnd(ctx, info, yunrt.Attempt{N: g*each + i + 1, State: state, Err: errors.New("reset"),
					Result: classify.Result{Provider: classify.Aliyun, Class: classify.Retryable}})
			}
		}()
	}
	wg.Add(1)
	go func() { // the request's error type, read while attempts still report
		defer wg.Done()
		<-start
		for range each {
			obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1, Err: errors.New("gave up")})
		}
	}()
	close(start)
	wg.Wait()
	logged := out.String()
	assert.Equal(t, goroutines*each+each, strings.Count(logged, "\n"), "every attempt and request end logged")
}
