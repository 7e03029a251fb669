package yunrt_test

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fragmentMarker, on the line before a ```go fence of README.md, marks a
// snippet that is deliberately incomplete; every other Go snippet must be a
// complete, gofmt'd file that builds: a program (package main), or a test
// file of the user's own, which is run.
const fragmentMarker = "<!-- fragment -->"

// snippet is one ```go block of a Markdown file.
type snippet struct {
	line     int // of the opening fence, 1-based
	code     string
	fragment bool
}

// goSnippets returns the ```go blocks of a Markdown file.
func goSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var (
		out  []snippet
		cur  *snippet
		prev string // the last non-blank line before a fence
		sc   = bufio.NewScanner(f)
	)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		case strings.TrimSpace(line) == "```go":
			cur = &snippet{line: n, fragment: strings.TrimSpace(prev) == fragmentMarker}
		case strings.TrimSpace(line) != "":
			prev = line
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "unclosed ```go block")
	return out
}

// TestReadmeSnippets builds every complete Go snippet of README.md in a
// module of its own that depends on this checkout.
func TestReadmeSnippets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the README's snippets with the go command")
	}
	snippets := goSnippets(t, "README.md")
	files := map[string]string{}
	for _, s := range snippets {
		if s.fragment {
			continue
		}
		name := fmt.Sprintf("README.md:%d", s.line)
		if !strings.HasPrefix(s.code, "package ") {
			t.Errorf("%s: a Go snippet must be a complete program (package main …) or be marked %s", name, fragmentMarker)
			continue
		}
		formatted, err := format.Source([]byte(s.code))
		if assert.NoError(t, err, name) {
			assert.Equal(t, string(formatted), s.code, "%s is not gofmt'd", name)
		}
		file := "main.go"
		if !strings.HasPrefix(s.code, "package main\n") {
			file = "snippet_test.go" // a test of the user's own, run below
		}
		files[fmt.Sprintf("snippet%d/%s", s.line, file)] = s.code
	}
	require.NotEmpty(t, files, "the README has complete Go snippets")
	dir := consumerModule(t, files)
	out, err := goOffline(t, dir, "vet", "./...")
	require.NoError(t, err, "the README's snippets do not build:\n%s", out)
	out, err = goOffline(t, dir, "test", "-count=1", "./...")
	require.NoError(t, err, "the README's test snippets fail:\n%s", out)
}

// TestSeparateModule is a user's own module: it depends on yunrt, scripts
// an Aliyun push Timeout with yunrttest and asserts the push was
// performed exactly once. Its go directive stays what the user wrote.
func TestSeparateModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a separate module with the go command")
	}
	dir := consumerModule(t, map[string]string{"push/push_test.go": `package push_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/yunrttest"
)

func TestPushTimeoutSentOnce(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	srv.Script("push-1", yunrttest.Fault{Code: "Timeout", Performed: true})

	client := &http.Client{Transport: yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun))}
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=Push&AppKey=1&Target=DEVICE&TargetValue=d1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(yunrttest.KeyHeader, "push-1")
	resp, err := client.Do(req)
	var e *yunrt.Error
	if errors.As(err, &e) {
		t.Fatalf("a Timeout answer is a response, not an error: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	if n := srv.Attempts("push-1"); n != 1 {
		t.Errorf("%d attempts, want 1: a push Timeout is never resent", n)
	}
	if n := srv.Performed("push-1"); n != 1 {
		t.Errorf("pushed %d times, want exactly once", n)
	}
}
`})
	out, err := goOffline(t, dir, "test", "-count=1", "-v", "./...")
	require.NoError(t, err, "the separate module's test failed:\n%s", out)
	assert.Contains(t, string(out), "--- PASS: TestPushTimeoutSentOnce")

	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(mod), "\ngo 1.26.0\n", "depending on yunrt does not raise the user's go directive")
}

// consumerModule writes a module outside the repository that requires
// this checkout through a replace directive, with files (path: content),
// and returns its directory.
func consumerModule(t *testing.T, files map[string]string) string {
	t.Helper()
	repo, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	mod := "module example.com/consumer\n\ngo 1.26.0\n\n" +
		"require github.com/yunrt/yunrt v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/yunrt/yunrt => " + repo + "\n"
	files["go.mod"] = mod
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	files["go.sum"] = string(sum) // the checksums of yunrt's own dependencies
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// goOffline runs the go command in dir with -mod=mod and the module cache
// only (GOPROXY=off); when a module is missing from the cache it tries
// once more with the environment's proxy.
func goOffline(t *testing.T, dir string, args ...string) ([]byte, error) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	run := func(proxy ...string) ([]byte, error) {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
		cmd.Env = append(cmd.Env, proxy...)
		return cmd.CombinedOutput()
	}
	out, err := run("GOPROXY=off")
	if err != nil && strings.Contains(string(out), "GOPROXY=off") {
		t.Logf("not all modules are in the cache; using the proxy:\n%s", out)
		return run()
	}
	return out, err
}

// TestReadmeNamesExistingTests: every test, fuzz target, benchmark and
// example the README or the CHANGELOG names in backquotes is defined in some _test.go file
// of the repository (any of its modules); a name ending in * names a
// family by its prefix. A renamed or deleted test fails it, so the docs
// never cite evidence that is gone.
func TestReadmeNamesExistingTests(t *testing.T) {
	notTests := map[string]bool{"TestKey": true} // yunrttest's query parameter
	cited := map[string]string{}                 // name → the file citing it
	citeRE := regexp.MustCompile("`(?:[\\w./]+/)?((?:Test|Fuzz|Benchmark|Example)\\w*\\*?)")
	for _, doc := range []string{"README.md", "CHANGELOG.md"} {
		b, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, m := range citeRE.FindAllSubmatch(b, -1) {
			if name := string(m[1]); !notTests[name] {
				cited[name] = doc
			}
		}
	}
	require.NotEmpty(t, cited)
	defined := map[string]bool{}
	funcRE := regexp.MustCompile(`(?m)^func (?:\([^)]*\) )?((?:Test|Fuzz|Benchmark|Example)\w*)\(`)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		for _, m := range funcRE.FindAllSubmatch(b, -1) {
			defined[string(m[1])] = true
		}
		return err
	})
	require.NoError(t, err)
	for name, doc := range cited {
		prefix, family := strings.CutSuffix(name, "*")
		found := defined[name]
		for d := range defined {
			found = found || family && strings.HasPrefix(d, prefix)
		}
		assert.True(t, found, "%s cites %s, which no _test.go file defines", doc, name)
	}
}

// TestReadmeLinksResolve checks that every in-page link of README.md
// ("(#anchor)") names a heading, slugged as GitHub slugs them (lower
// case; punctuation other than '-' and '_' dropped; spaces become '-'),
// and every relative file link names a file of the repository: the
// contents list once pointed at a "Layout" heading that had been renamed.
func TestReadmeLinksResolve(t *testing.T) {
	text := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(readmeText(t), "")
	anchors := map[string]bool{}
	drop := regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(text, -1) {
		slug := drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(m[1])), "")
		anchors[strings.ReplaceAll(slug, " ", "-")] = true
	}
	links := regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(text, -1)
	require.NotEmpty(t, links)
	for _, m := range links {
		target := m[1]
		switch {
		case strings.HasPrefix(target, "#"):
			assert.True(t, anchors[target[1:]], "README.md links to %s: no heading has that anchor", target)
		case !strings.Contains(target, "://") && !strings.HasPrefix(target, "mailto:"):
			path, _, _ := strings.Cut(target, "#")
			_, err := os.Stat(filepath.FromSlash(path))
			assert.NoError(t, err, "README.md links to %s: no such file", target)
		}
	}
}

// readmeText returns README.md for this package's tests (the in-package
// tests of readme_numbers_test.go have their own: a package yunrt_test
// helper is out of their reach).
func readmeText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	return string(b)
}

// TestReadmeYunrttestExports: the README's list of what package yunrttest
// exports ("Exported: …" in "Testing your code with yunrttest") names
// every exported function, type, method of Server and constant of the
// package (Format's own values aside), and nothing it does not export:
// Server.Provider, ParseFormat and FormatError were once missing.
func TestReadmeYunrttestExports(t *testing.T) {
	m := regexp.MustCompile("(?s)\nExported: (`NewServer`.*?)\\. Faults below HTTP").FindStringSubmatch(readmeText(t))
	require.NotNil(t, m, "README.md, \"Testing your code with yunrttest\": the sentence \"Exported: `NewServer`, … . Faults below HTTP\" is gone; update the test with it")
	listed := map[string]bool{}
	for _, n := range regexp.MustCompile("`(\\w+)`").FindAllStringSubmatch(m[1], -1) {
		listed[n[1]] = true
	}

	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, "yunrttest", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	require.NoError(t, err)
	exported := map[string]bool{}
	for _, f := range pkgs["yunrttest"].Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil && !recvIs(d, "Server") {
					continue
				}
				if d.Name.IsExported() {
					exported[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						if sp.Name.IsExported() {
							exported[sp.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							if n.IsExported() && !strings.HasPrefix(n.Name, "Format") {
								exported[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	require.NotEmpty(t, exported)
	for name := range exported {
		assert.True(t, listed[name], "package yunrttest exports %s, which README.md's \"Exported: …\" list does not name", name)
	}
	for name := range listed {
		assert.True(t, exported[name], "README.md's \"Exported: …\" list of yunrttest names %s, which the package does not export", name)
	}
}

// recvIs reports whether method d's receiver is typ or *typ.
func recvIs(d *ast.FuncDecl, typ string) bool {
	r := d.Recv.List[0].Type
	if s, ok := r.(*ast.StarExpr); ok {
		r = s.X
	}
	id, ok := r.(*ast.Ident)
	return ok && id.Name == typ
}

// TestReadmeSentinels: README's table of sentinel errors ("Errors") names
// every exported error variable of errors.go, as `yunrt.ErrX`.
func TestReadmeSentinels(t *testing.T) {
	_, table, ok := strings.Cut(readmeText(t), "\n| sentinel | when |\n")
	require.True(t, ok, "README.md, \"Errors\": the sentinel table (| sentinel | when |) is gone; update the test with it")
	table, _, _ = strings.Cut(table, "\n\n")
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `yunrt\\.(Err\\w+)`").FindAllStringSubmatch(table, -1) {
		listed[m[1]] = true
	}
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	require.NoError(t, err)
	var vars []string
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, sp := range g.Specs {
				for _, n := range sp.(*ast.ValueSpec).Names {
					if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
						vars = append(vars, n.Name)
					}
				}
			}
		}
	}
	require.NotEmpty(t, vars)
	for _, v := range vars {
		assert.True(t, listed[v], "errors.go exports %s, which README.md's sentinel table does not list", v)
		delete(listed, v)
	}
	assert.Empty(t, listed, "README.md's sentinel table lists errors errors.go does not declare")
}
