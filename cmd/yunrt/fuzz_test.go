package main

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseFaultFlag: any -fault value parses or fails cleanly, and what
// parses survives the round trip through a script file's spec.
func FuzzParseFaultFlag(f *testing.F) {
	for _, s := range []string{"Throttling.User", "ok", "Timeout,performed", "status=502,format=html", "code=X,latency=1s,timeleft=2ms", "A,,B", "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseFaultFlag(in)
		if err != nil {
			return
		}
		back, err := specOf(got).fault()
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose spec fails: %v", in, got, err)
		}
		if describe(got) != describe(back) {
			t.Fatalf("%q: round trip changed %q to %q", in, describe(got), describe(back))
		}
	})
}

// FuzzParseScript: any script file parses or fails cleanly, and every
// fault of a parsed one converts.
func FuzzParseScript(f *testing.F) {
	for _, s := range []string{`{}`, `{"default":[{"code":"X","latency":"1s"}]}`, `{"keys":{"k":[{"reset":true}]}}`, `{"strict":{"access_key_id":"a","secret":"b"}}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sc, err := parseScript(in)
		if err != nil {
			return
		}
		for _, s := range sc.Default {
			if _, err := s.fault(); err != nil {
				t.Fatalf("checked script has a bad fault: %v", err)
			}
		}
		for _, fs := range sc.Keys {
			for _, s := range fs {
				if _, err := s.fault(); err != nil {
					t.Fatalf("checked script has a bad fault: %v", err)
				}
			}
		}
	})
}

// FuzzServeQuota: any -quota value parses or fails cleanly, and what
// parses is a usable bucket (a finite rate above 0, a burst of 1 or more)
// whose description names it.
func FuzzServeQuota(f *testing.F) {
	for _, s := range []string{"20", "20:5", "0.001:2", "0", "-1", "Inf", "NaN", "1e308:1", "5:", ":5", "5:0", "5:-1", "1:99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var l serveLoad
		if err := l.check(in); err != nil {
			return
		}
		if in == "" { // the flag left out: no quota
			if l != (serveLoad{}) {
				t.Fatalf("no -quota set %+v", l)
			}
			return
		}
		if !(l.rate > 0) || math.IsInf(l.rate, 0) || l.burst < 1 {
			t.Fatalf("%q parsed to rate %v, burst %d", in, l.rate, l.burst)
		}
		if !strings.Contains(l.String(), "a quota of") {
			t.Fatalf("%q: description %q", in, l.String())
		}
	})
}
