package classify

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeSeedRows: the row count README gives for
// testdata/seedcodes.tsv ("What yunrt decides": "(241 rows, placeholders
// … included)") is the file's.
func TestReadmeSeedRows(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile(`\(([\d,]+) rows,\s+placeholders`).FindSubmatch(b)
	require.NotNil(t, m, "README.md, \"What yunrt decides\": the sentence \"(N rows, placeholders …\" on seedcodes.tsv is gone; update the test with it")
	n, err := strconv.Atoi(strings.ReplaceAll(string(m[1]), ",", ""))
	require.NoError(t, err)
	assert.Equal(t, len(seedCodes(t)), n, "README.md: the rows of classify/testdata/seedcodes.tsv")
}
