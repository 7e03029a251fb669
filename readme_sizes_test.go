package yunrt

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeNumbers finds re in README.md and returns its submatches as
// numbers (thousands separators allowed), failing with the pattern when
// the sentence is gone.
func readmeNumbers(t *testing.T, readme, what string, re *regexp.Regexp) []int {
	t.Helper()
	m := re.FindStringSubmatch(readme)
	require.NotNil(t, m, "README.md no longer says %s (pattern %s): update the pattern with the sentence", what, re)
	out := make([]int, 0, len(m)-1)
	for _, s := range m[1:] {
		n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		require.NoError(t, err, what)
		out = append(out, n)
	}
	return out
}

// TestReadmeRequestStateSizes: the sizes README states for a request's
// recycled state, its read-ahead buffer and the part never recycled (the
// bounds table and "How error bodies are read") are the structs' sizes,
// measured as they were when written: unsafe.Sizeof on a 64-bit platform. A field added to
// request made the README's 1,176 B false (1,200 B).
func TestReadmeRequestStateSizes(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("README states the sizes on 64-bit platforms")
	}
	readme := readmeText(t)
	state, handedSize, buf := int(unsafe.Sizeof(request{})), int(unsafe.Sizeof(handed{})), peekBufLen

	row := readmeNumbers(t, readme, "the bounds table's recycled memory",
		regexp.MustCompile(`\| recycled memory \| a request's state \(\*\*([\d,]+) B\*\*, its (\d+) B read-ahead included\)[^|]*Per request, \*\*(\d+) B\*\*`))
	assert.Equal(t, []int{state, buf, handedSize}, row, "README.md, bounds table, row \"recycled memory\": request state, read-ahead buffer, part never recycled (bytes)")

	prose := readmeNumbers(t, readme, "the recycled state's size in \"How error bodies are read\"",
		regexp.MustCompile(`request's own state \(([\d,]+) B with that (\d+) B buffer\)(?s:.{0,600}?)a separate (\d+) B part`))
	assert.Equal(t, []int{state, buf, handedSize}, prose, "README.md, \"How error bodies are read\": request state, read-ahead buffer, part never recycled (bytes)")
}
