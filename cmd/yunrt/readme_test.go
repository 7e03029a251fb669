package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeBlock returns the first fenced block of the repository's
// README.md that follows the line containing marker, without its fences.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	text := string(b)
	i := strings.Index(text, marker)
	require.GreaterOrEqual(t, i, 0, "README.md has no line containing %q", marker)
	open := strings.Index(text[i:], "\n```")
	require.GreaterOrEqual(t, open, 0, "README.md: no fenced block after %q", marker)
	body := text[i+open+1:]
	body = body[strings.Index(body, "\n")+1:] // past the opening fence
	end := strings.Index(body, "\n```")
	require.GreaterOrEqual(t, end, 0, "README.md: the block after %q is not closed", marker)
	return body[:end+1]
}

// columns splits a table line printed by tabwriter into its cells.
func columns(line string) []string {
	return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
}

// TestReadmeDemoSample: README's sample run of "yunrt demo" shows, line
// for line, the scenario table and the per-provider totals the demo
// prints now (those do not vary between runs), and the load table's
// columns. The sample once kept scenarios the demo had renamed and split.
func TestReadmeDemoSample(t *testing.T) {
	sample := readmeBlock(t, "One run (loopback, 2-core machine")
	scenarios, load, found := strings.Cut(sample, "\nLOAD SCENARIO")
	require.True(t, found, "README's demo sample has no load table (LOAD SCENARIO)")

	rep, err := runScenarios(context.Background(), demoScenarios())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, rep.write(&buf, output{}))
	assert.Equal(t, buf.String(), scenarios,
		"README.md's demo sample (the section \"The demo\") differs from what the demo prints: paste a fresh run of `go run ./cmd/yunrt demo`")

	buf.Reset()
	require.NoError(t, writeLoad(&buf, nil, false))
	header, _, _ := strings.Cut(buf.String(), "\n")
	loadHeader, _, _ := strings.Cut("LOAD SCENARIO"+load, "\n")
	assert.Equal(t, columns(header), columns(loadHeader), "README.md's demo sample: the load table's columns")
}
