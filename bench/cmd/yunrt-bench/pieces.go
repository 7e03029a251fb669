package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/yunrt/yunrt/bench"
)

// runPieces runs BenchmarkPiece alone (or reads its results from
// benchFile) and prints the pieces table; raw outputs go to out:
// pieces.txt, benchstat-pieces.txt, pieces.md.
func runPieces(dir, out, benchFile string, count int, benchtime string) {
	start := time.Now()
	file, runs := benchFile, "results of "+benchFile
	if file == "" {
		file, runs = filepath.Join(out, "pieces.txt"), fmt.Sprintf("%d runs of -benchtime %s", count, benchtime)
		check(runBenchmarks(dir, out, file, count, 0, benchtime, "Piece"))
	}
	set := benchstatAndParse(file, filepath.Join(out, "benchstat-pieces.txt"), "-filter", ".name:Piece")
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s · %s %s/%s · %d CPUs · %s · yunrt %s · %s · wall time %s\n\n", time.Now().Format("2006-01-02"),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), revision(dir), runs, time.Since(start).Round(time.Second))
	b.WriteString(bench.PieceTable(set))
	check(os.WriteFile(filepath.Join(out, "pieces.md"), b.Bytes(), 0o644))
	_, _ = io.Copy(os.Stdout, &b)
}

// benchstatAndParse writes benchstat's summary of file (with args before
// the file) to statFile, and returns file's results.
func benchstatAndParse(file, statFile string, args ...string) *bench.BenchSet {
	stat, err := exec.Command("go", append(append([]string{"tool", "benchstat"}, args...), file)...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchstat: %v\n%s", err, stat)
	}
	check(os.WriteFile(statFile, stat, 0o644))
	f, err := os.Open(file)
	check(err)
	defer f.Close()
	set, err := bench.ParseBench(f)
	check(err)
	return set
}

// piecesSection is the pieces table of set as a section of table.md, ""
// when set holds no piece.
func piecesSection(set *bench.BenchSet) string {
	if set.Samples(bench.PieceName(bench.Pieces()[0].Name), "ns/op") == 0 {
		return ""
	}
	return "\n### Hot-path pieces\n\n" + bench.PieceTable(set)
}
