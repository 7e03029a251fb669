package bench

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"testing"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
)

type floorRT struct{ base http.RoundTripper }

func (f floorRT) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	trace := &httptrace.ClientTrace{GetConn: func(string) {}, GotConn: func(httptrace.GotConnInfo) {}, WroteHeaders: func() {}, WroteRequest: func(httptrace.WroteRequestInfo) {}}
	ctx = httptrace.WithClientTrace(ctx, trace)
	resp, err := f.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = cancelBody{resp.Body, cancel}
	return resp, nil
}

type cancelBody struct {
	rc interface {
		Read([]byte) (int, error)
		Close() error
	}
	cancel context.CancelCauseFunc
}

func (b cancelBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b cancelBody) Close() error               { err := b.rc.Close(); b.cancel(nil); return err }

func BenchmarkZZLoopFloor(b *testing.B) {
	body := Bodies[0]
	srv := NewServer(body)
	defer srv.Close()
	for _, name := range []string{"bare", "floor", "yunrt"} {
		for _, par := range []bool{false, true} {
			b.Run(name+map[bool]string{false: "/seq", true: "/par"}[par], func(b *testing.B) {
				base := NewBase()
				defer base.CloseIdleConnections()
				var rt http.RoundTripper = base
				switch name {
				case "floor":
					rt = floorRT{base}
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
