package bench

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// BenchmarkPiece measures every hot-path piece alone (see Pieces):
// BenchmarkPiece/<piece>. `go -C bench run ./cmd/yunrt-bench -pieces`
// runs it and prints the table.
func BenchmarkPiece(b *testing.B) {
	for _, p := range Pieces() {
		b.Run(p.Name, func(b *testing.B) {
			op := p.New()
			if err := op(); err != nil { // warm up: breakers, endpoints, pools
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if p.Parallel {
				b.SetParallelism(4) // 8 goroutines on 2 cores
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := op(); err != nil {
							b.Error(err)
							return
						}
					}
				})
				return
			}
			for i := 0; i < b.N; i++ {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPieces checks that every piece does what its benchmark claims on
// the happy-path inputs (each op checks its own result), concurrently for
// the parallel ones, and that the pieces' bases and refs exist.
func TestPieces(t *testing.T) {
	names := map[string]bool{}
	for _, p := range Pieces() {
		require.False(t, names[p.Name], "piece %s listed twice", p.Name)
		names[p.Name] = true
	}
	for _, p := range Pieces() {
		t.Run(p.Name, func(t *testing.T) {
			for _, dep := range []string{p.Base, p.Ref} {
				assert.True(t, dep == "" || names[dep], "piece %s: base or ref %q is no piece", p.Name, dep)
			}
			op := p.New()
			goroutines := 1
			if p.Parallel {
				goroutines = 8
			}
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for range goroutines {
				wg.Go(func() {
					for range 50 {
						if err := op(); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}
		})
	}
}

// pieceAllocs returns the allocations of one operation of piece p, less its
// base's when it has one.
func pieceAllocs(t *testing.T, byName map[string]Piece, p Piece) float64 {
	t.Helper()
	op := p.New()
	require.NoError(t, op())
	n := testing.AllocsPerRun(1000, func() {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	})
	if p.Base != "" {
		n -= pieceAllocs(t, byName, byName[p.Base])
	}
	return n
}

// TestPiecesAllocs pins the allocations of every sequential piece (for a
// piece with a Base, its allocations over the base's: what yunrt adds). It
// fails, naming the piece, when one grows. Lower a pin when an
// optimisation lands (the allocs/op column of `yunrt-bench -pieces` gives
// the number: the figure in parentheses for rows with a base). Skipped
// under the race detector, which allocates.
func TestPiecesAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	// The pins: allocations per operation, as measured (issue 17 lowered
	// them from 666c9b2's: transport aliyun +13 → +5, tencent +11 → +5;
	// the signers' rewrite lowered sign/aliyun-rpc 78 → 8 and
	// sign/tencent-tc3 61 → 8); for the transport rows other than bare, the
	// allocations over bare's.
	pins := map[string]float64{
		"decode/aliyun-200B":                1,
		"decode/tencent-200B":               1,
		"decode/tencent-4KiB-truncated":     0,
		"provider/aliyun":                   0,
		"provider/tencent":                  0,
		"action/aliyun":                     0,
		"action/tencent":                    0,
		"lookup/aliyun":                     0,
		"lookup/tencent":                    0,
		"sdk-headers/aliyun":                0,
		"sdk-headers/tencent":               0,
		"peek/aliyun-200B":                  0,
		"peek/tencent-200B-nolength":        0,
		"peek/tencent-1MiB-nolength":        1,
		"decide/success":                    0,
		"breaker/seq":                       0,
		"floor/clone-trace-cancel":          4,
		"floor/read-ahead-decode":           0,
		"floor/clone-read-ahead-decode":     1,
		"sign/aliyun-rpc":                   8,
		"sign/tencent-tc3":                  8,
		"transport/aliyun/bare":             3,
		"transport/aliyun/default":          4,
		"transport/aliyun/breaker-off":      4,
		"transport/aliyun/observer":         5,
		"transport/aliyun/read":             4,
		"transport/aliyun/attempt-timeout":  4,
		"transport/aliyun/bare-deadline":    8,
		"transport/aliyun/deadline":         7,
		"transport/tencent/bare":            5,
		"transport/tencent/default":         4,
		"transport/tencent/breaker-off":     4,
		"transport/tencent/observer":        5,
		"transport/tencent/read":            4,
		"transport/tencent/attempt-timeout": 4,
		"transport/tencent/bare-deadline":   10,
		"transport/tencent/deadline":        7,
		"transport/aliyun/signer":           11,
		"transport/tencent/signer":          15,
		"transport/aliyun/bare-signed":      3,
		"transport/aliyun/signed":           4,
		"transport/tencent/bare-signed":     5,
		"transport/tencent/signed":          4,
	}
	byName := map[string]Piece{}
	for _, p := range Pieces() {
		byName[p.Name] = p
	}
	for name := range pins {
		_, ok := byName[name]
		assert.True(t, ok, "pin %s names no piece: remove it", name)
	}
	for _, p := range Pieces() {
		if p.Parallel {
			continue // the sequential piece pins the same operation
		}
		pin, ok := pins[p.Name]
		if !assert.True(t, ok, "piece %s has no pin: add it", p.Name) {
			continue
		}
		got := pieceAllocs(t, byName, p)
		assert.LessOrEqual(t, got, pin, "piece %s: %.0f allocs/op, pinned at %.0f: it grew", p.Name, got, pin)
		if got < pin {
			t.Logf("piece %s: %.0f allocs/op, pinned at %.0f: lower the pin", p.Name, got, pin)
		}
		if testing.Verbose() {
			t.Logf("%-32s %3.0f allocs/op", p.Name, got)
		}
	}
}

// TestPieceTable checks the pieces table on fixed benchmark output: medians,
// the cost over the base (paired per run), the comparison with the ref, and
// rows only for the pieces measured.
func TestPieceTable(t *testing.T) {
	const out = `goos: linux
BenchmarkPiece/breaker/par-2         	 1000	        90 ns/op	       8 B/op	       1 allocs/op
BenchmarkPiece/transport/aliyun/bare-2    	 1000	       300 ns/op	     512 B/op	       3 allocs/op
BenchmarkPiece/transport/aliyun/default-2 	 1000	      2000 ns/op	    1700 B/op	      16 allocs/op
BenchmarkPiece/transport/aliyun/breaker-off-2	 1000	      1900 ns/op	    1650 B/op	      15 allocs/op
BenchmarkPiece/transport/aliyun/bare-2    	 1000	       500 ns/op	     512 B/op	       3 allocs/op
BenchmarkPiece/transport/aliyun/default-2 	 1000	      2400 ns/op	    1700 B/op	      16 allocs/op
BenchmarkPiece/transport/aliyun/breaker-off-2	 1000	      2200 ns/op	    1650 B/op	      15 allocs/op
BenchmarkPiece/transport/aliyun/bare-2    	 1000	       400 ns/op	     512 B/op	       3 allocs/op
BenchmarkPiece/transport/aliyun/default-2 	 1000	      2300 ns/op	    1700 B/op	      16 allocs/op
BenchmarkPiece/transport/aliyun/breaker-off-2	 1000	      2150 ns/op	    1650 B/op	      15 allocs/op
`
	set, err := ParseBench(strings.NewReader(out))
	require.NoError(t, err)
	table := PieceTable(set)
	lines := strings.Split(strings.TrimSpace(table), "\n")
	require.Len(t, lines, 2+4, table) // header, separator, the four pieces measured
	assert.Equal(t, "| piece | ns/op | allocs/op | B/op | notes |", lines[0])
	for _, tc := range []struct{ piece, cells string }{
		{"breaker/par", "| 90 ns | 1 | 8 B | "},
		{"transport/aliyun/bare", "| 400 ns | 3 | 512 B | "},
		// over bare per run: default 1700, 1900, 1900 ns; breaker-off 1600, 1700, 1750 ns.
		{"transport/aliyun/default", "| 2.30 µs (+1.90 µs) | 16 (+13) | 1700 B (+1188) | "},
		{"transport/aliyun/breaker-off", "| 2.15 µs (+1.70 µs) | 15 (+12) | 1650 B (+1138) | "},
	} {
		t.Run(tc.piece, func(t *testing.T) {
			var row string
			for _, l := range lines {
				if strings.HasPrefix(l, "| `"+tc.piece+"` |") {
					row = l
				}
			}
			require.NotEmpty(t, row, "no row for %s in\n%s", tc.piece, table)
			assert.Contains(t, row, "`"+tc.piece+"` "+tc.cells)
		})
	}
	// breaker-off − default per run: −100, −200, −150 ns.
	assert.Contains(t, table, "over `transport/aliyun/default`: −150 ns, -1 allocs, -50 B |")
	assert.Contains(t, table, "| `breaker/par` | 90 ns | 1 | 8 B | the same from 4 goroutines per CPU (8 on 2 cores), one endpoint |")
}

// ExamplePieceTable renders the pieces table from benchmark output (here
// one run of one piece; yunrt-bench -pieces feeds it -count runs of all).
func ExamplePieceTable() {
	set, _ := ParseBench(strings.NewReader(
		"BenchmarkPiece/breaker/seq-2   1000000   120 ns/op   48 B/op   1 allocs/op\n"))
	fmt.Print(PieceTable(set))
	// Output:
	// | piece | ns/op | allocs/op | B/op | notes |
	// | --- | --- | --- | --- | --- |
	// | `breaker/seq` | 120 ns | 1 | 48 B | breaker Set.Allow + Ticket.Done(success), closed, one endpoint |
}
