package breaker

import (
	"testing"
	"time"

	"github.com/yunrt/yunrt/classify"
)

// BenchmarkAllowDone: AllowAt then DoneAt of a success on a closed
// breaker, with the caller's clock reading (the transport's hot path).
func BenchmarkAllowDone(b *testing.B) {
	ok := Outcome{Class: classify.Success}
	start := time.Unix(1_700_000_000, 0)
	// one asks and reports once, a microsecond after *now.
	one := func(b *testing.B, s *Set, now *time.Time) {
		*now = now.Add(time.Microsecond)
		_, t, err := s.AllowAt("ecs.aliyuncs.com", *now)
		if err != nil {
			b.Fatal(err)
		}
		t.DoneAt(ok, *now)
	}
	b.Run("seq", func(b *testing.B) {
		s := NewSet(Settings{}, nil)
		now := start
		b.ReportAllocs()
		for b.Loop() {
			one(b, s, &now)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := NewSet(Settings{}, nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			now := start
			for pb.Next() {
				one(b, s, &now)
			}
		})
	})
}

// BenchmarkAllowDoneClock: Allow then Done of a success, each reading the
// clock (time.Now) as before AllowAt existed.
func BenchmarkAllowDoneClock(b *testing.B) {
	ok := Outcome{Class: classify.Success}
	b.Run("seq", func(b *testing.B) {
		s := NewSet(Settings{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			_, t, err := s.Allow("ecs.aliyuncs.com")
			if err != nil {
				b.Fatal(err)
			}
			t.Done(ok)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := NewSet(Settings{}, nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, t, err := s.Allow("ecs.aliyuncs.com")
				if err != nil {
					b.Fatal(err)
				}
				t.Done(ok)
			}
		})
	})
}
