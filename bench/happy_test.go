package bench

import (
	"testing"
)

// BenchmarkHappy measures one successful request through each adapter:
// over loopback TCP to a minimal server (net=loopback: HTTP/1.1 in the
// clear; net=h2: TLS and HTTP/2, as HTTPS endpoints are reached), and
// through an in-memory base transport (exact allocations), sequentially
// and with 8 goroutines.
// Sub-benchmark names are key=value pairs so that
// `benchstat -col /adapter` puts the adapters side by side.
func BenchmarkHappy(b *testing.B) {
	for _, network := range Networks {
		for _, body := range Bodies {
			if body.MemOnly && network != "mem" {
				continue
			}
			srv := StartServer(network, body)
			for _, mode := range []string{"seq", "par"} {
				for _, name := range Adapters {
					b.Run("net="+network+"/body="+body.Name+"/mode="+mode+"/adapter="+name, func(b *testing.B) {
						happy(b, name, body, srv, mode == "par")
					})
				}
			}
			if srv != nil {
				srv.Close()
			}
		}
	}
}

func happy(b *testing.B, name string, body Body, srv *Server, parallel bool) {
	var (
		c    *Client
		tmpl *Template
	)
	if srv != nil {
		c = NewClient(name, srv.Base(), srv.Host(), body.Provider, DefaultSettings)
		tmpl = NewTemplate(body.Provider, srv.URL)
	} else {
		host := MemHost(body.Provider)
		c = NewClient(name, NewMemTransport(body), host, body.Provider, DefaultSettings)
		tmpl = NewTemplate(body.Provider, "http://"+host)
	}
	defer c.Close()
	if err := roundTrip(c.RT, tmpl.Request(), len(body.Data)); err != nil { // warm up: one connection
		b.Fatal(err)
	}
	conns := 0
	if srv != nil {
		conns = srv.Connections()
	}
	b.SetBytes(int64(len(body.Data)))
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.SetParallelism(4) // 8 goroutines on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := roundTrip(c.RT, tmpl.Request(), len(body.Data)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		for i := 0; i < b.N; i++ {
			if err := roundTrip(c.RT, tmpl.Request(), len(body.Data)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if srv != nil {
		// Connections opened during the timed loop (the warm-up opened
		// one; 8 goroutines may need up to 7 more).
		b.ReportMetric(float64(srv.Connections()-conns), "newconns")
	}
}
