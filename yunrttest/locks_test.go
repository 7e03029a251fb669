package yunrttest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// TestServerConcurrent: a test scripting and reading the emulator while
// its requests are in flight, as a test of concurrent code does: every
// attempt is counted once, and no key performs more than it was sent.
// Under the race detector it fails when a lock of the emulator's state is
// taken away (scripts/mutate -locks).
func TestServerConcurrent(t *testing.T) {
	t.Run("emulator", func(t *testing.T) { serveConcurrently(t, NewServer(classify.Aliyun), nil) })
	// A strict gateway verifies signed requests and remembers their
	// nonces, and turns unsigned ones away (counted as attempts too).
	signer := sign.AliyunRPC(sign.StaticCredentials{AccessKeyID: "ak", AccessKeySecret: "secret"})
	t.Run("strict", func(t *testing.T) {
		serveConcurrently(t, NewServer(classify.Aliyun, WithStrict("ak", "secret")), signer)
	})
	t.Run("strict-unsigned", func(t *testing.T) { serveConcurrently(t, NewServer(classify.Aliyun, WithStrict("ak", "secret")), nil) })
}

// serveConcurrently sends requests to srv, signed by signer unless it is
// nil, from 4 goroutines, while the test's calls script and read srv.
func serveConcurrently(t *testing.T, srv *Server, signer sign.Signer) {
	defer srv.Close()
	const senders, each, keys = 4, 40, 8
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
				req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=SendSms", nil)
				if !assert.NoError(t, err) {
					return
				}
				req.Header.Set(KeyHeader, key(g*each+i))
				if signer != nil {
					nonce, err := sign.NewNonce()
					require.NoError(t, err)
					require.NoError(t, signer.Sign(context.Background(), req, nil, sign.Stamp{Time: time.Now(), Nonce: nonce}))
				}
				resp, err := http.DefaultClient.Do(req)
				if assert.NoError(t, err) {
					_ = resp.Body.Close()
				}
				sent.Add(1)
			}
		}()
	}
	// Each of the test's calls from a goroutine of its own, looping while
	// the senders send: only the emulator's locks order them.
	var done atomic.Bool
	var calls sync.WaitGroup
	for _, call := range []func(i int){
		func(i int) { // half the keys: the others follow SetDefault
			srv.Script(key(i%(keys/2)), Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable})
		},
		func(int) { srv.SetDefault(Fault{Code: "Throttling.User", Status: http.StatusBadRequest}) },
		func(i int) { assert.LessOrEqual(t, srv.Performed(key(i)), srv.Attempts(key(i))) },
		func(int) { a, p := srv.Totals(); assert.LessOrEqual(t, p, a) },
		func(int) { _ = srv.Requests() },
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
	require.EqualValues(t, sent.Load(), attempts, "every attempt counted once")
	assert.Len(t, srv.Requests(), attempts)
	assert.LessOrEqual(t, performed, attempts)
	if signer != nil {
		assert.Positive(t, performed, "the strict gateway verified signed requests")
	}
	for i := range keys {
		assert.LessOrEqual(t, srv.Performed(key(i)), srv.Attempts(key(i)), key(i))
	}
}
