package bench

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"testing"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
)

// floorRT is the least a transport that keeps yunrt's promises does to
// every request on the wire: an attempt context it can cancel (to bound
// the read-ahead and stop a copy net/http starts on its own), the send
// guard's four trace hooks, the request's clone, and a body whose Close
// ends that context. It reads nothing ahead and decides nothing.
type floorRT struct {
	base  http.RoundTripper
	trace *httptrace.ClientTrace // floorTrace
}

// RoundTrip implements http.RoundTripper.
func (f floorRT) RoundTrip(req *http.Request) (*http.Response, error) {
	out, cancel := floorAttempt(req, f.trace)
	resp, err := f.base.RoundTrip(out)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = cancelBody{resp.Body, cancel}
	return resp, nil
}

// cancelBody ends its attempt's context when closed.
type cancelBody struct {
	rc interface {
		Read([]byte) (int, error)
		Close() error
	}
	cancel context.CancelCauseFunc
}

func (b cancelBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b cancelBody) Close() error               { err := b.rc.Close(); b.cancel(nil); return err }

// BenchmarkLoopbackFloor measures the floor (floorRT) on loopback against
// bare net/http and yunrt, on the Aliyun 200 B send: on the wire the
// floor costs net/http's own context under a cancellable one and the
// trace hooks' arguments, which the in-memory pieces do not show.
//
//	go test -run x -bench LoopbackFloor -count 8 -benchtime 300ms . | tee floor.txt
//	go tool benchstat -col /rt floor.txt
func BenchmarkLoopbackFloor(b *testing.B) {
	body := Bodies[0]
	srv := NewServer(body)
	defer srv.Close()
	for _, name := range []string{"bare", "floor", "yunrt"} {
		for _, par := range []bool{false, true} {
			b.Run("mode="+map[bool]string{false: "seq", true: "par"}[par]+"/rt="+name, func(b *testing.B) {
				base := NewBase()
				defer base.CloseIdleConnections()
				var rt http.RoundTripper = base
				switch name {
				case "floor":
					rt = floorRT{base, floorTrace()}
				case "yunrt":
					rt = yunrt.New(base, yunrt.WithHost(srv.Host(), classify.Aliyun))
				}
				tmpl := NewTemplate(body.Provider, srv.URL)
				b.ReportAllocs()
				if !par {
					for i := 0; i < b.N; i++ {
						if err := roundTrip(rt, tmpl.Request(), 200); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := roundTrip(rt, tmpl.Request(), 200); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
