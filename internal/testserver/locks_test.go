package testserver

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

// TestLoadControlsConcurrent: the load controls (outage, flaky share,
// quotas) set and the arrival log read while requests are in flight, as
// the benchmarks and the demo do between and during scenarios. Every
// attempt is counted once and answered either in full or by one of the
// conditions set. Under the race detector it fails when a lock of the
// load state or of the log is taken away (scripts/mutate -locks): the
// handlers of concurrent requests meter the quotas, and the controls
// write what they read.
func TestLoadControlsConcurrent(t *testing.T) {
	srv := New(classify.Aliyun)
	t.Cleanup(srv.Close)
	client := newClient(t, func(tr *http.Transport) { tr.MaxIdleConnsPerHost = 8 })
	const senders, each = 4, 40
	var (
		sent, answered atomic.Int64
		wg             sync.WaitGroup
	)
	start := make(chan struct{})
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				action := []string{"SendSms", "QuerySendDetails"}[(g+i)%2]
				resp, err := client.Post(srv.URL()+"/?Action="+action, "text/plain", nil)
				sent.Add(1)
				if assert.NoError(t, err) {
					_ = resp.Body.Close()
					answered.Add(1)
				}
			}
		}()
	}
	// Each control from a goroutine of its own, looping while the senders
	// send: only the server's locks order them with the handlers.
	var done atomic.Bool
	var calls sync.WaitGroup
	for _, call := range []func(i int){
		func(i int) { // an outage that ends at once, or none
			srv.SetOutage(time.Now().Add(time.Duration(i%2)*time.Millisecond), Fault{})
		},
		func(i int) { srv.SetFlaky(float64(i%3)/10, Fault{}) },
		func(i int) { srv.SetQuota(float64(i%2)*5000, 50) },
		func(i int) { srv.SetActionQuota("SendSms", float64(i%2)*5000, 50, Fault{}) },
		func(int) { _, _ = srv.FirstFault("Throttling") },
		func(int) { assert.GreaterOrEqual(t, srv.ArrivalRate(time.Time{}), 0.0) },
	} {
		calls.Add(1)
		go func() {
			defer calls.Done()
			<-start
			for i := 0; !done.Load(); i++ {
				call(i)
			}
		}()
	}
	close(start)
	wg.Wait()
	done.Store(true)
	calls.Wait()
	attempts, performed := srv.Totals()
	require.EqualValues(t, senders*each, sent.Load())
	assert.EqualValues(t, answered.Load(), attempts, "every attempt counted once")
	assert.LessOrEqual(t, performed, attempts)
	for _, a := range srv.Log() {
		if a.Fault.Code != "" {
			assert.Contains(t, []string{"ServiceUnavailable", "Throttling.User", "Throttling.Api"}, a.Fault.Code, fmt.Sprint(a.Action, " at ", a.At))
		}
	}
}
