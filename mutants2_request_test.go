package yunrt

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

const internalError = `{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"r-1"}}`

// answer500 is a Tencent InternalError answer with body.
func answer500(body io.ReadCloser) *http.Response {
	return &http.Response{StatusCode: 500, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
		ContentLength: -1, Body: body}
}

// TestStoppedAnswerIsClosed: an answer the request stops on without
// returning it (its retry would pass the deadline: ErrDeadline) is closed
// before RoundTrip returns, once.
func TestStoppedAnswerIsClosed(t *testing.T) {
	body := &closeCounter{Reader: strings.NewReader(internalError)}
	base := rtFunc(func(*http.Request) (*http.Response, error) { return answer500(body), nil })
	pol := policy.Policy{MaxAttempts: 3, Retryable: policy.Backoff{Initial: 5 * time.Second, Max: 5 * time.Second, Multiplier: 1, Jitter: -1}}
	tr := New(base, WithHost("api.example", classify.Tencent), WithPolicy(classify.Tencent, pol))
	fc := newFakeClock()
	tr.cfg.clk = fc
	ctx, cancel := context.WithDeadline(context.Background(), fc.Now().Add(time.Second))
	defer cancel()
	resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example").WithContext(ctx))
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, ErrDeadline)
	assert.Equal(t, int32(1), body.closes.Load())
}

// slowBody advances a fake clock on its first Read: an answer whose
// body takes that long to come.
type slowBody struct {
	io.Reader
	fc    *fakeClock
	took  time.Duration
	slept bool
}

func (b *slowBody) Read(p []byte) (int, error) {
	if !b.slept {
		b.slept = true
		b.fc.Advance(b.took)
	}
	return b.Reader.Read(p)
}

func (b *slowBody) Close() error { return nil }

// TestReadAheadTimeCounts: the time an error answer's body took to come
// counts toward MaxElapsed: with 2 s of read-ahead, a 1.5 s backoff would
// end past MaxElapsed (3 s), so the request stops instead of retrying (it
// would retry if the clock were read when the headers came).
func TestReadAheadTimeCounts(t *testing.T) {
	fc := newFakeClock()
	sent := 0
	base := rtFunc(func(*http.Request) (*http.Response, error) {
		sent++
		return answer500(&slowBody{Reader: strings.NewReader(internalError), fc: fc, took: 2 * time.Second}), nil
	})
	pol := policy.Policy{MaxAttempts: 3, MaxElapsed: 3 * time.Second,
		Retryable: policy.Backoff{Initial: 1500 * time.Millisecond, Max: 1500 * time.Millisecond, Multiplier: 1, Jitter: -1}}
	rec := &recorder{}
	tr := New(base, WithHost("api.example", classify.Tencent), WithPolicy(classify.Tencent, pol), WithObserver(rec))
	tr.cfg.clk = fc
	resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	require.NoError(t, err, "the last answer is handed back")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 1, sent)
	at := rec.Attempts()
	require.Len(t, at, 1)
	assert.Equal(t, policy.Stop, at[0].Decision.Verdict)
	assert.Contains(t, at[0].Decision.Reason, "MaxElapsed")
}

// panickyBody serves its reader, then panics: a base transport's bug in
// the middle of a body.
type panickyBody struct{ io.Reader }

func (b panickyBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if errors.Is(err, io.EOF) {
		panic("body bug")
	}
	return n, err
}

func (panickyBody) Close() error { return nil }

// TestPanicAfterAttemptEndReportsItOnce: a base body that panics while
// yunrt drains it between attempts (after the observer heard the
// attempt's end) ends the request for the observer without a second end
// of that attempt.
func TestPanicAfterAttemptEndReportsItOnce(t *testing.T) {
	long := `{"Response":{"Error":{"Code":"InternalError","Message":"` + strings.Repeat("m", 20000) + `"},"RequestId":"r-1"}}`
	base := rtFunc(func(*http.Request) (*http.Response, error) {
		return answer500(panickyBody{strings.NewReader(long)}), nil
	})
	rec := &recorder{}
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec), WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 3}))
	tr.cfg.clk = newFakeClock()
	func() {
		defer func() { assert.Equal(t, "body bug", recover()) }()
		_, _ = tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	}()
	at := rec.Attempts()
	require.Len(t, at, 1, "the first attempt ended once")
	assert.Equal(t, policy.Retry, at[0].Decision.Verdict)
	ends := rec.Ends()
	require.Len(t, ends, 1)
	assert.ErrorIs(t, ends[0].Err, ErrBasePanic)
}

// panickyEndObserver records the request's end, then panics.
type panickyEndObserver struct{ recorder }

func (o *panickyEndObserver) RequestEnd(ctx context.Context, info RequestInfo, e End) {
	o.recorder.RequestEnd(ctx, info, e)
	panic("observer bug")
}

// TestObserverPanicAtTheEndEndsOnce: an observer that panics in
// RequestEnd hears the request's end once: yunrt's own end-on-panic does
// not end the request again.
func TestObserverPanicAtTheEndEndsOnce(t *testing.T) {
	base := rtFunc(func(*http.Request) (*http.Response, error) { return nil, io.ErrUnexpectedEOF })
	obs := &panickyEndObserver{}
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(obs), WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
	func() {
		defer func() { assert.Equal(t, "observer bug", recover()) }()
		_, _ = tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	}()
	assert.Len(t, obs.Ends(), 1)
	assert.Len(t, obs.Attempts(), 1)
}
