package interop

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "write testdata/table.md from this run")

const tableFile = "testdata/table.md"

// sdkCases lists every SDK, in table order.
func sdkCases() []sdkCase {
	return []sdkCase{tencentCase(), aliyunV3Case(), aliyunRPCCase(), baiduCase()}
}

// row is one SDK × scenario line of the table.
type row struct {
	sdk, scenario, what string
	alone, yunrt        string
}

// TestInteropTable runs every scenario with every SDK twice: the SDK
// alone with its own retries on, and the SDK with yunrt underneath and its
// retries off. It asserts the yunrt column (every scenario ends as the
// step says), checks that the baseline ran, and compares the whole table
// with testdata/table.md, the record of what each SDK alone did (rewrite
// it with -update).
func TestInteropTable(t *testing.T) {
	var rows []row
	total := 0
	for _, c := range sdkCases() {
		total += len(c.steps)
		t.Run(c.id, func(t *testing.T) {
			for _, sc := range scenarios {
				st, ok := c.steps[sc.id]
				if !ok {
					continue
				}
				t.Run(string(sc.id), func(t *testing.T) {
					var alone, with run
					t.Run("sdk-alone", func(t *testing.T) {
						alone = execute(t, c, sc.id, sdkAlone)
						require.Positive(t, alone.attempts, "the baseline ran")
						t.Logf("SDK alone: %s (%s %v)", alone.cell(), alone.out.errType, alone.out.err)
					})
					t.Run("sdk+yunrt", func(t *testing.T) {
						with = execute(t, c, sc.id, withYunrt)
						t.Logf("SDK + yunrt: %s (%s %v)", with.cell(), with.out.errType, with.out.err)
						logYunrt(t, with)
						checkYunrt(t, c, sc.id, with)
					})
					if alone.attempts > 0 && with.attempts > 0 {
						rows = append(rows, row{c.name, sc.label, st.what, alone.cell(), with.cell()})
					}
				})
			}
		})
	}

	table := renderTable(rows)
	t.Log("\n" + table)
	if len(rows) != total {
		t.Logf("%d of %d rows ran (-run filter or a failure): %s not compared", len(rows), total, tableFile)
		return
	}
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(tableFile), 0o755))
		require.NoError(t, os.WriteFile(tableFile, []byte(table), 0o644))
		return
	}
	recorded, err := os.ReadFile(tableFile)
	require.NoError(t, err, "run go test -run TestInteropTable -update . to record the table")
	assert.Equal(t, string(recorded), table, "what the SDKs did differs from %s (after a deliberate change: -update)", tableFile)
}

// renderTable renders rows as a markdown table.
func renderTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| SDK | scenario | the server answers | SDK alone (own retries on): attempts / performed / result | SDK + yunrt (SDK retries off): attempts / performed / result |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join([]string{r.sdk, r.scenario, r.what, r.alone, r.yunrt}, " | ") + " |\n")
	}
	return b.String()
}
