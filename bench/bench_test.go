package bench

import (
	"strings"
	"testing"
)

// These tests check only what holds whatever the machine's noise: every
// adapter runs, the happy path answers in full, yunrt never performs a
// send twice. Timing and ratios are the report's business, not theirs.

func TestHappyPathEveryAdapter(t *testing.T) {
	for _, body := range Bodies {
		for _, network := range Networks {
			if body.MemOnly && network != "mem" {
				continue
			}
			srv := StartServer(network, body)
			for _, name := range Adapters {
				var c *Client
				var tmpl *Template
				if srv != nil {
					c = NewClient(name, srv.Base(), srv.Host(), body.Provider, DefaultSettings)
					tmpl = NewTemplate(body.Provider, srv.URL)
				} else {
					host := MemHost(body.Provider)
					c = NewClient(name, NewMemTransport(body), host, body.Provider, DefaultSettings)
					tmpl = NewTemplate(body.Provider, "http://"+host)
				}
				for i := 0; i < 3; i++ {
					if err := roundTrip(c.RT, tmpl.Request(), len(body.Data)); err != nil {
						t.Errorf("%s %s %s: %v", name, network, body.Name, err)
					}
				}
				c.Close()
			}
			if srv != nil {
				srv.Close()
			}
		}
	}
}

// TestH2ServerSpeaksHTTP2: net=h2 measures what it says, HTTP/2 over TLS,
// through the base every adapter gets (a base that fell back to
// HTTP/1.1 would make the h2 rows a copy of the loopback ones).
func TestH2ServerSpeaksHTTP2(t *testing.T) {
	body := Bodies[0]
	srv := NewServerH2(body)
	defer srv.Close()
	resp, err := srv.Base().RoundTrip(NewTemplate(body.Provider, srv.URL).Request())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.TLS == nil {
		t.Fatalf("proto %s, TLS %v: want HTTP/2 over TLS", resp.Proto, resp.TLS != nil)
	}
}

func TestBodies(t *testing.T) {
	for _, b := range Bodies {
		switch {
		case strings.HasSuffix(b.Name, "200B") && (len(b.Data) < 150 || len(b.Data) > 250):
			t.Errorf("%s: %d bytes", b.Name, len(b.Data))
		case strings.Contains(b.Name, "1MiB") && (len(b.Data) < 1<<20-200 || len(b.Data) > 1<<20),
			strings.Contains(b.Name, "4MiB") && (len(b.Data) < 4<<20-200 || len(b.Data) > 4<<20):
			t.Errorf("%s: %d bytes", b.Name, len(b.Data))
		}
		if b.Provider.String() == "tencent" && !strings.HasPrefix(string(b.Data), `{"Response":{`) {
			t.Errorf("%s is not a Tencent answer", b.Name)
		}
	}
}

// TestUnknownOutcomes: a send whose first attempt was performed and
// whose answer does not say so is never performed twice by yunrt (nor by
// the bare transport, which never retries).
func TestUnknownOutcomes(t *testing.T) {
	for _, kind := range []int{UnknownTencent200, UnknownAliyun500, UnknownReset} {
		for _, a := range Adapters {
			r := Unknown(a, kind)
			t.Logf("%s, %s: %d duplicates; %s", r.Scenario, a, r.Duplicates, r.Errors())
			if r.Requests() != 20 || r.Attempts < 20 {
				t.Errorf("%s, %s: %d requests, %d attempts", r.Scenario, a, r.Requests(), r.Attempts)
			}
			if (a == Yunrt || a == Bare) && r.Duplicates != 0 {
				t.Errorf("%s, %s: %d duplicate sends", r.Scenario, a, r.Duplicates)
			}
		}
	}
}

// TestScenarios runs every scenario for every adapter (about a minute).
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every resilience scenario: about a minute")
	}
	results := map[string]map[string]*Result{}
	for _, sc := range Scenarios() {
		results[sc.Name] = map[string]*Result{}
		for _, a := range Adapters {
			r := sc.Run(a)
			results[sc.Name][a] = r
			if r.Requests() == 0 || r.Attempts == 0 {
				t.Errorf("%s, %s: %d requests, %d attempts", sc.Name, a, r.Requests(), r.Attempts)
			}
			if a == Yunrt && r.Duplicates != 0 {
				t.Errorf("%s, yunrt: %d duplicate side effects", sc.Name, r.Duplicates)
			}
			if a == Bare && r.Attempts != r.Requests() {
				t.Errorf("%s, bare: %d attempts for %d requests", sc.Name, r.Attempts, r.Requests())
			}
		}
	}
	tab := &Table{}
	ScenarioRows(tab, results)
	md := tab.Markdown()
	if strings.Contains(md, "NaN") || len(tab.Rows) < 15 {
		t.Errorf("table:\n%s", md)
	}
}

func TestParseBenchAndTable(t *testing.T) {
	out := `goos: linux
BenchmarkHappy/net=mem/body=aliyun-200B/mode=seq/adapter=bare-2         	 1064595	       268.6 ns/op	 744.54 MB/s	     512 B/op	       3 allocs/op
BenchmarkHappy/net=mem/body=aliyun-200B/mode=seq/adapter=bare-2         	 1064595	       300.0 ns/op	 744.54 MB/s	     512 B/op	       3 allocs/op
BenchmarkHappy/net=mem/body=aliyun-200B/mode=seq/adapter=bare-2         	 1064595	       250.0 ns/op	 744.54 MB/s	     512 B/op	       3 allocs/op
BenchmarkHappy/net=mem/body=aliyun-200B/mode=seq/adapter=yunrt-2         	  362980	       976.0 ns/op	 204.91 MB/s	     768 B/op	       8 allocs/op
BenchmarkHappy/net=mem/body=aliyun-200B/mode=seq/adapter=retryablehttp-2 	  362980	       900.0 ns/op	 204.91 MB/s	     768 B/op	       8 allocs/op
BenchmarkHappy/net=loopback/body=aliyun-200B/mode=par/adapter=yunrt-2 	  3629	       90000 ns/op	 204.91 MB/s	     768 B/op	       8 allocs/op	 3.000 newconns
PASS
`
	s, err := ParseBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Median(HappyName("mem", "aliyun-200B", "seq", Bare), "ns/op"); got != 268.6 {
		t.Errorf("median %v", got)
	}
	if got := s.Median(HappyName("loopback", "aliyun-200B", "par", Yunrt), "newconns"); got != 3 {
		t.Errorf("newconns %v", got)
	}
	tab := &Table{}
	HappyRows(tab, s)
	md := tab.Markdown()
	if !strings.Contains(md, "976 ns (3.63×, +707 ns)") || !strings.Contains(md, "**missed**") {
		t.Errorf("table:\n%s", md)
	}
}
