package yunrt

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
)

// uniqueBodies is a base transport answering every request 200 with a
// JSON body without Content-Length (as a chunked answer has), each body
// different, so that a byte handed to the wrong caller shows.
type uniqueBodies struct {
	mu    sync.Mutex
	rng   *rand.Rand
	sent  [][]byte
	short bool // bodies of 50 to 500 bytes, read ahead into the (recycled) request's own buffer
	// failEvery > 0: every failEvery-th answer is a Tencent
	// RequestLimitExceeded inside HTTP 200 (throttled: not performed),
	// which yunrt discards and retries.
	failEvery int
	failed    int // how many such answers were sent
}

func (u *uniqueBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	u.mu.Lock()
	n := len(u.sent)
	size := 520 + u.rng.IntN(6000) // past the request's own 512 B buffer, around the 4 KiB read-ahead
	if u.short {
		size = 50 + u.rng.IntN(450)
	}
	body := []byte(fmt.Sprintf(`{"Response":{"RequestId":"req-%d","Data":"`, n))
	if u.failEvery > 0 && n%u.failEvery == 0 {
		u.failed++
		body = []byte(fmt.Sprintf(`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"busy"},"RequestId":"req-%d","Data":"`, n))
	}
	for len(body) < size-4 {
		body = append(body, byte('a'+u.rng.IntN(26)))
	}
	body = append(body, `"}}`...)
	u.sent = append(u.sent, body)
	u.mu.Unlock()
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1, Request: r,
	}, nil
}

// openBody is an answer a test caller holds, and how much of it it read.
type openBody struct {
	want   []byte
	body   io.ReadCloser
	off    int
	closed bool // read on after Close: any error may end it
}

// read reads up to n bytes and checks them against the answer's own.
func (o *openBody) read(t *testing.T, n int) {
	t.Helper()
	p := make([]byte, n)
	m, err := o.body.Read(p)
	require.LessOrEqual(t, o.off+m, len(o.want), "more bytes than the answer had")
	require.Equal(t, o.want[o.off:o.off+m], p[:m], "bytes %d..%d are another answer's", o.off, o.off+m)
	o.off += m
	if err != nil && !o.closed {
		require.ErrorIs(t, err, io.EOF)
		require.Equal(t, len(o.want), o.off, "EOF before the end")
	}
}

// TestReadAheadBufferNeverShared drives answers whose read-ahead goes
// into a recycled buffer through random caller behaviour (read through,
// read a part, close early, read after close, io.Copy), with up to 8
// answers open at once, and checks that every byte a body yields is its
// own: a buffer recycled while a body could still hand it out would give
// one caller another's bytes.
func TestReadAheadBufferNeverShared(t *testing.T) {
	base := &uniqueBodies{rng: rand.New(rand.NewPCG(7, 8))}
	checkNeverShared(t, New(base), base, happyRequest)
}

// TestRecycledRequestNeverShared is TestReadAheadBufferNeverShared with
// short answers, read ahead into the request's own buffer: the request
// is recycled by the first Close of a body replayed to its end, and a
// request recycled while its body could still hand out that buffer (or
// recycled twice, by two Closes) would give one caller another's bytes.
func TestRecycledRequestNeverShared(t *testing.T) {
	base := &uniqueBodies{rng: rand.New(rand.NewPCG(17, 18)), short: true}
	checkNeverShared(t, New(base), base, happyRequest)
}

// TestRecycledRequestNeverSharedWithRetries is the same with one answer
// in three a throttle: a request's body and read-ahead then serve
// a discarded attempt before the returned one.
func TestRecycledRequestNeverSharedWithRetries(t *testing.T) {
	for _, short := range []bool{true, false} {
		base := &uniqueBodies{rng: rand.New(rand.NewPCG(23, 24)), short: short, failEvery: 3}
		tr := New(base, WithPolicy(classify.Tencent, fastPolicy()), WithBreaker(classify.Tencent, breaker.Settings{Off: true}))
		made := checkNeverShared(t, tr, base, happyRequest)
		base.mu.Lock()
		assert.Greater(t, base.failed, 250)
		assert.Equal(t, made+base.failed, len(base.sent), "every error answer retried once")
		base.mu.Unlock()
	}
}

// TestReadAheadBufferNeverSharedOnTheWire is the same over loopback TCP,
// with long and short answers: net/http's own chunked bodies (each answer flushed in pieces, so it has
// no Content-Length) from a real server, read through a real
// http.Transport, with up to 8 answers open on their own connections.
func TestReadAheadBufferNeverSharedOnTheWire(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		name := map[bool]string{false: "HTTP1/", true: "HTTP2/"}[h2]
		t.Run(name+"4KiB", func(t *testing.T) {
			checkNeverSharedOnTheWire(t, &uniqueBodies{rng: rand.New(rand.NewPCG(11, 12))}, h2)
		})
		t.Run(name+"short", func(t *testing.T) {
			checkNeverSharedOnTheWire(t, &uniqueBodies{rng: rand.New(rand.NewPCG(21, 22)), short: true}, h2)
		})
	}
}

// checkNeverSharedOnTheWire runs checkNeverShared over loopback TCP on
// gen's answers: HTTP/1.1 chunked, or HTTP/2 over TLS (whose goroutines
// may still hold an attempt's context after its body was closed).
func checkNeverSharedOnTheWire(t *testing.T, gen *uniqueBodies, h2 bool) {
	var protoSeen atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protoSeen.Store(int32(r.ProtoMajor))
		resp, _ := gen.RoundTrip(r) // draws this answer's unique body
		body, _ := io.ReadAll(resp.Body)
		w.Header().Set("Content-Type", "application/json")
		for len(body) > 0 { // flushed in pieces: chunked on the wire
			n := min(len(body), 700)
			_, _ = w.Write(body[:n])
			w.(http.Flusher).Flush()
			body = body[n:]
		}
	}))
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport)
	defer base.CloseIdleConnections()
	defer func() { assert.Equal(t, map[bool]int32{false: 1, true: 2}[h2], protoSeen.Load(), "the protocol") }()
	req := func(classify.Provider) *http.Request {
		r, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(`{}`))
		require.NoError(t, err)
		r.Host = "sms.tencentcloudapi.com"
		r.Header.Set("X-TC-Action", "SendSms")
		return r
	}
	checkNeverShared(t, New(base, WithHost("sms.tencentcloudapi.com", classify.Tencent)), gen, req)
}

// checkNeverShared runs the random reads, closes and copies of
// TestReadAheadBufferNeverShared through tr, whose answers gen draws.
func checkNeverShared(t *testing.T, tr *Transport, gen *uniqueBodies, request func(classify.Provider) *http.Request) (made int) {
	base := gen
	rng := rand.New(rand.NewPCG(3, 4))
	var open []*openBody
	defer func() {
		for _, o := range open {
			o.body.Close()
		}
	}()
	for i := 0; i < 3000; i++ {
		if len(open) < 8 {
			resp, err := tr.RoundTrip(request(classify.Tencent))
			require.NoError(t, err)
			made++
			base.mu.Lock()
			want := base.sent[len(base.sent)-1]
			base.mu.Unlock()
			open = append(open, &openBody{want: want, body: resp.Body})
		}
		k := rng.IntN(len(open))
		o := open[k]
		drop := func() { open = append(open[:k], open[k+1:]...) }
		switch op := rng.IntN(5); {
		case o.closed: // read on after Close, while later answers come in
			o.read(t, 1+rng.IntN(3000))
			if rng.IntN(3) == 0 {
				drop()
			}
		case op < 2: // read a part
			o.read(t, 1+rng.IntN(3000))
		case op == 2: // close (maybe twice), and read on later
			require.NoError(t, o.body.Close())
			if rng.IntN(2) == 0 {
				require.NoError(t, o.body.Close())
			}
			o.closed = true
		case op == 3: // io.Copy the rest (WriteTo), then close
			var got bytes.Buffer
			_, err := io.Copy(&got, o.body)
			require.NoError(t, err)
			require.Equal(t, string(o.want[o.off:]), got.String())
			require.NoError(t, o.body.Close())
			drop()
		default: // read through, then close (maybe twice, or read on after)
			for o.off < len(o.want) {
				o.read(t, 1+rng.IntN(4096))
			}
			require.NoError(t, o.body.Close())
			switch rng.IntN(3) {
			case 0:
				drop()
			case 1:
				require.NoError(t, o.body.Close())
				drop()
			default:
				o.closed = true
			}
		}
	}
	return made
}

// TestReadAheadCloseDuringRead closes bodies while another goroutine
// reads them, with other requests running alongside: the reader must only
// ever see its own answer's bytes (and, under -race, no data race).
func TestReadAheadCloseDuringRead(t *testing.T) {
	t.Run("4KiB", func(t *testing.T) { checkCloseDuringRead(t, &uniqueBodies{rng: rand.New(rand.NewPCG(9, 10))}) })
	t.Run("short", func(t *testing.T) {
		checkCloseDuringRead(t, &uniqueBodies{rng: rand.New(rand.NewPCG(19, 20)), short: true})
	})
}

// checkCloseDuringRead runs TestReadAheadCloseDuringRead on base's answers.
func checkCloseDuringRead(t *testing.T, base *uniqueBodies) {
	tr := New(base)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, seed))
			for i := 0; i < 300; i++ {
				resp, err := tr.RoundTrip(happyRequest(classify.Tencent))
				if !assert.NoError(t, err) {
					return
				}
				base.mu.Lock()
				want := findSent(base.sent, resp)
				base.mu.Unlock()
				read := make(chan []byte)
				go func() {
					var got []byte
					p := make([]byte, 1+rng.IntN(700))
					for {
						n, err := resp.Body.Read(p)
						got = append(got, p[:n]...)
						if err != nil {
							break
						}
					}
					read <- got
				}()
				resp.Body.Close()
				got := <-read
				assert.True(t, bytes.HasPrefix(want, got), "a reader saw bytes of another answer")
			}
		}(uint64(g))
	}
	wg.Wait()
}

// findSent returns the body base sent for resp: the one its read-ahead
// starts with (each body starts with its own request id).
func findSent(sent [][]byte, resp *http.Response) []byte {
	b := resp.Body.(*attemptBody)
	for _, s := range sent {
		if bytes.HasPrefix(b.prefix, s[:min(len(s), 40)]) {
			return s
		}
	}
	return nil
}
