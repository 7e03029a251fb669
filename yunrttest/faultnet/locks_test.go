package faultnet

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerConcurrent: a test scripting and reading the server while its
// requests are in flight on several connections, each of the test's calls
// from a goroutine of its own: every request arrives once, the answered
// ones are performed once and read whole. Under the race detector it
// fails when a lock of the server's state is taken away (scripts/mutate
// -locks). One run per protocol.
func TestServerConcurrent(t *testing.T) {
	for _, proto := range []Proto{HTTP1, H2C} {
		t.Run(proto.String(), func(t *testing.T) { serveConcurrently(t, proto) })
	}
}

func serveConcurrently(t *testing.T, proto Proto) {
	srv := New(proto)
	client := &http.Client{Transport: srv.Transport()}
	defer srv.Close()
	defer client.CloseIdleConnections()
	const senders, each, keys = 4, 25, 8
	key := func(i int) string { return fmt.Sprint("k", i%keys) }
	var (
		sent atomic.Int64
		wg   sync.WaitGroup
	)
	start := make(chan struct{})
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", nil)
				require.NoError(t, err)
				req.Header.Set(KeyHeader, key(g*each+i))
				sent.Add(1)
				resp, err := client.Do(req)
				if assert.NoError(t, err) {
					_, err = io.Copy(io.Discard, resp.Body)
					assert.NoError(t, err)
					_ = resp.Body.Close()
				}
			}
		}()
	}
	var done atomic.Bool
	var calls sync.WaitGroup
	for _, call := range []func(i int){
		func(i int) { srv.Script("scripted-"+key(i), Fault{Kind: Answer}) }, // a key of its own: Script restarts its count
		func(i int) { assert.LessOrEqual(t, srv.Performed(key(i)), srv.Arrived(key(i))) },
		func(int) { assert.GreaterOrEqual(t, srv.Connections(), 0) },
		func(int) { _ = srv.Arrivals() },
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
	arrived, performed := 0, 0
	for i := range keys {
		arrived += srv.Arrived(key(i))
		performed += srv.Performed(key(i))
	}
	assert.EqualValues(t, sent.Load(), arrived, "every request arrived once")
	assert.EqualValues(t, sent.Load(), performed, "every answered request performed once")
	assert.Len(t, srv.Arrivals(), arrived)
	assert.Positive(t, srv.Connections())
}
