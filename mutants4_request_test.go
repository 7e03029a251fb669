package yunrt

import (
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// TestGoexitInBaseStaysAGoexit pins that yunrt's end-on-panic
// (request.endOnPanic) lets a runtime.Goexit in the base transport (a
// test's fake calling t.FailNow, say) end the caller's goroutine as a
// Goexit: it recovers nothing, so it does not turn it into a panic. (Only
// an observed request has that handler: hence the observer.)
func TestGoexitInBaseStaysAGoexit(t *testing.T) {
	base := rtFunc(func(*http.Request) (*http.Response, error) {
		runtime.Goexit()
		return nil, errors.New("unreachable")
	})
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(&recorder{}))
	tr.cfg.clk = newFakeClock()
	req := readCall(classify.Tencent).request(t, "http://api.example")
	done := make(chan any, 2)
	go func() {
		defer func() { done <- recover() }()
		_, _ = tr.RoundTrip(req)
		done <- "RoundTrip returned"
	}()
	assert.Nil(t, <-done, "the goroutine ended by Goexit, without a panic")
}

// tencentAnswer is a Tencent answer with status 200 and body.
func tencentAnswer(body string) *http.Response {
	return &http.Response{StatusCode: 200, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
		ContentLength: int64(len(body)), Body: &closeCounter{Reader: strings.NewReader(body)}}
}

// TestResignedOnceThenStops pins that a request remembers it was
// re-signed (request.resigned): a signed request whose timestamp the
// gateway rejects again after the re-signed attempt stops there, with the
// second answer, instead of being re-signed until MaxAttempts runs out.
func TestResignedOnceThenStops(t *testing.T) {
	const expired = `{"Response":{"Error":{"Code":"AuthFailure.SignatureExpire","Message":"x"},"RequestId":"r-1"}}`
	sent := 0
	base := rtFunc(func(*http.Request) (*http.Response, error) {
		sent++
		return tencentAnswer(expired), nil
	})
	rec := &recorder{}
	tr := New(base, WithHost("api.example", classify.Tencent), WithSigner(classify.Tencent, sign.TencentTC3Service(testCreds, "sms")),
		WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 5}), WithObserver(rec))
	tr.cfg.clk = newFakeClock()
	resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	require.NoError(t, err, "the last answer is handed back")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 2, sent, "sent, then re-signed once")
	at := rec.Attempts()
	require.Len(t, at, 2)
	assert.Equal(t, policy.Resign, at[0].Decision.Verdict)
	assert.True(t, at[1].Resigned)
	assert.Equal(t, policy.Stop, at[1].Decision.Verdict)
	assert.Contains(t, at[1].Decision.Reason, "again after re-signing")
}

// TestPerActionBreakersAreSeparate pins the breaker name of a request
// when breakers are per action (breaker.Settings.PerAction): the
// endpoint's name and the action's. One action failing opens its own
// breaker only: another action of the same endpoint is still sent.
func TestPerActionBreakersAreSeparate(t *testing.T) {
	const (
		failing = "DescribeSmsSignList"
		healthy = "DescribeSmsTemplateList"
	)
	var mu sync.Mutex
	var changes []BreakerChange
	sent := map[string]int{}
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		action := r.Header.Get("X-TC-Action")
		mu.Lock()
		sent[action]++
		mu.Unlock()
		if action == failing {
			return tencentAnswer(internalError), nil
		}
		return tencentAnswer(`{"Response":{"RequestId":"r-ok"}}`), nil
	})
	tr := New(base, WithHost("api.example", classify.Tencent), WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}),
		WithBreaker(classify.Tencent, breaker.Settings{PerAction: true, MinRequests: 2, FailureRatio: 0.5}),
		WithBreakerChange(func(c BreakerChange) { mu.Lock(); changes = append(changes, c); mu.Unlock() }))
	tr.cfg.clk = newFakeClock()
	roundTrip := func(action string) error {
		resp, err := tr.RoundTrip(call{p: classify.Tencent, action: action}.request(t, "http://api.example"))
		if err == nil {
			require.NoError(t, resp.Body.Close())
		}
		return err
	}
	for range 2 {
		require.NoError(t, roundTrip(failing), "the error answer is handed back")
	}
	assert.ErrorIs(t, roundTrip(failing), breaker.ErrOpen, "the failing action's breaker is open")
	require.NoError(t, roundTrip(healthy), "the other action's breaker is closed")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{failing: 2, healthy: 1}, sent)
	require.Len(t, changes, 1)
	assert.Equal(t, "tencent/api.example/"+failing, changes[0].Name)
	assert.Equal(t, "open", changes[0].To)
}
