package yunrt

import (
	"errors"
	"net/http"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt/classify"
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
