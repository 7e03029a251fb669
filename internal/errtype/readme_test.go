package errtype

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeErrorTypes: README's "error.type is never a Go type name"
// table names every identifier of this package (its string constants),
// and no other.
func TestReadmeErrorTypes(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(b), "**`error.type`** is never a Go type name:")
	require.True(t, ok, "README.md: the error.type table's heading sentence is gone; update the test with it")
	table, _, _ = strings.Cut(strings.TrimLeft(table, "\n"), "\n\n")
	listed := map[string]bool{}
	cell := regexp.MustCompile("`([a-z_A-Z]+)`")
	for _, line := range strings.Split(table, "\n")[2:] { // past the header and the rule
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
		for _, m := range cell.FindAllStringSubmatch(first, -1) {
			if m[1] == strings.ToLower(m[1]) || m[1] == Other {
				listed[m[1]] = true
			}
		}
	}
	all := stringConsts(t, "errtype.go")
	require.Contains(t, all, BreakerOpen)
	for _, v := range all {
		assert.True(t, listed[v], "README.md's error.type table does not list %q", v)
		delete(listed, v)
	}
	assert.Empty(t, listed, "README.md's error.type table lists values errtype does not have")
}

// stringConsts returns the values of the exported string constants
// declared in file.
func stringConsts(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	require.NoError(t, err)
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && n.IsExported() && lit.Kind == token.STRING {
					v, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out = append(out, v)
				}
			}
		}
	}
	return out
}
