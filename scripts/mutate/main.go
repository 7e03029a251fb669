// Command mutate is a small mutation tester for one Go package: it applies
// one mutation at a time to the package's non-test source files (a
// comparison, logical or arithmetic operator swapped, an if condition
// negated, a statement or a bare return deleted, a boolean flipped,
// continue and break swapped),
// runs the package's tests (a -run subset if given), and prints a line
// per mutant: SURVIVED, KILLED with the tests that failed on it, INVALID
// (it does not compile) or TIMEOUT. With -confirm a kill is checked by
// running its killers once more on the mutant: a kill they do not repeat
// (a test that flaked under load) is FLAKY and counts as a survivor. The
// original file is restored after every mutant.
//
// With -locks it makes only lock mutants instead: each Lock or RLock call
// deleted together with its Unlock (the deferred or plain Unlock of the
// same receiver later in the same block), which only a test that runs the
// critical section concurrently under the race detector can kill: run
// them with -extra '-race'.
//
//	go run ./scripts/mutate -pkg ./policy [-files decide.go] [-funcs Decide,bounded] [-run Regexp] [-timeout 120s] [-list] [-only 3,7] [-confirm]
//	go run ./scripts/mutate -pkg ./breaker -locks -extra '-race' [-run Regexp]
//
// Run it from the module root of a scratch worktree (git worktree add): it
// rewrites files in place while it runs, and restores them on Ctrl-C.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type edit struct {
	start, end int // byte offsets replaced
	text       string
}

type mutant struct {
	file  string
	line  int
	fn    string
	desc  string
	edits []edit
}

func main() {
	pkg := flag.String("pkg", ".", "package directory")
	files := flag.String("files", "", "comma-separated file names (default: every non-test .go file)")
	funcs := flag.String("funcs", "", "comma-separated function or method names to mutate (default: all)")
	run := flag.String("run", "", "go test -run regexp")
	timeout := flag.Duration("timeout", 180*time.Second, "per test run")
	list := flag.Bool("list", false, "list the mutants, run nothing")
	tags := flag.String("extra", "", "extra go test flags, space-separated (e.g. -short)")
	only := flag.String("only", "", "comma-separated mutant indices to run")
	confirm := flag.Bool("confirm", false, "run the tests that killed a mutant once more on it; a kill they do not repeat (a test flaky under load) counts as a survivor")
	locks := flag.Bool("locks", false, "only lock mutants: a Lock and its Unlock deleted together (run with -extra '-race')")
	flag.Parse()

	names := fileNames(*pkg, *files)
	want := set(*funcs)
	var all []mutant
	for _, f := range names {
		if *locks {
			all = append(all, lockMutantsOf(filepath.Join(*pkg, f), want)...)
		} else {
			all = append(all, mutantsOf(filepath.Join(*pkg, f), want)...)
		}
	}
	if *list {
		for i, m := range all {
			fmt.Printf("%4d %s:%d %s: %s\n", i, m.file, m.line, m.fn, m.desc)
		}
		return
	}
	args := []string{"test", "-count=1", "-timeout", timeout.String()}
	if *run != "" {
		args = append(args, "-run", *run)
	}
	if *tags != "" {
		args = append(args, strings.Fields(*tags)...)
	}
	args = append(args, *pkg)

	start := time.Now()
	if st, out := runTests(args, *timeout+30*time.Second); st != "survived" {
		fmt.Printf("the unmutated tests do not pass (%s):\n%s\n", st, out)
		os.Exit(2)
	}
	fmt.Printf("baseline passes in %v; %d mutants\n", time.Since(start).Round(time.Second), len(all))

	restore := map[string][]byte{}
	for _, f := range names {
		p := filepath.Join(*pkg, f)
		b, err := os.ReadFile(p)
		check(err)
		restore[p] = b
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() {
		<-sig
		for p, b := range restore {
			_ = os.WriteFile(p, b, 0o644)
		}
		os.Exit(130)
	}()

	counts := map[string]int{}
	var survivors []mutant
	onlySet := set(*only)
	for i, m := range all {
		if onlySet != nil && !onlySet[fmt.Sprint(i)] {
			continue
		}
		orig := restore[m.file]
		check(os.WriteFile(m.file, apply(orig, m.edits), 0o644))
		st, by := runMutant(args, *timeout+30*time.Second, *confirm)
		check(os.WriteFile(m.file, orig, 0o644))
		counts[st]++
		if st == "survived" || st == "flaky" {
			survivors = append(survivors, m)
		}
		fmt.Printf("%-8s %4d %s:%d %s: %s%s\n", strings.ToUpper(st), i, m.file, m.line, m.fn, m.desc, by)
	}
	fmt.Printf("\n%d mutants run: %d killed, %d survived, %d killed only by a test that then passed (-confirm), %d did not compile, %d timed out (%v)\n",
		len(survivors)+counts["killed"]+counts["invalid"]+counts["timeout"], counts["killed"], counts["survived"], counts["flaky"],
		counts["invalid"], counts["timeout"], time.Since(start).Round(time.Second))
}

func set(csv string) map[string]bool {
	if csv == "" {
		return nil
	}
	m := map[string]bool{}
	for _, s := range strings.Split(csv, ",") {
		m[strings.TrimSpace(s)] = true
	}
	return m
}

func fileNames(dir, csv string) []string {
	if csv != "" {
		return strings.Split(csv, ",")
	}
	ents, err := os.ReadDir(dir)
	check(err)
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			out = append(out, n)
		}
	}
	return out
}

// runMutant runs the tests on the mutant in place and returns its status
// ("killed", "survived", "invalid", "timeout", or with confirm "flaky")
// and, for a kill, " (by TestA, TestB)": the top-level tests that failed.
func runMutant(args []string, limit time.Duration, confirm bool) (status, by string) {
	st, out := runTests(args, limit)
	if st != "killed" {
		return st, ""
	}
	killers := failedTests(out)
	if len(killers) == 0 {
		return st, " (by a panic or a failure outside any test)"
	}
	by = " (by " + strings.Join(killers, ", ") + ")"
	if confirm {
		if again, _ := runTests(withRun(args, "^("+strings.Join(killers, "|")+")$"), limit); again == "survived" {
			return "flaky", by + ", not again"
		}
	}
	return st, by
}

// failedTests returns the top-level tests a go test output reports as
// failed, in order.
func failedTests(out string) []string {
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "--- FAIL: "); ok {
			name, _, _ = strings.Cut(name, " ")
			names = append(names, name)
		}
	}
	return names
}

// withRun returns args with its -run pattern replaced by re.
func withRun(args []string, re string) []string {
	out := make([]string, 0, len(args)+2)
	for i := 0; i < len(args); i++ {
		if args[i] == "-run" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	pkg := out[len(out)-1]
	return append(append(out[:len(out)-1], "-run", re), pkg)
}

func runTests(args []string, limit time.Duration) (status, output string) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s := out.String()
	switch {
	case ctx.Err() != nil:
		return "timeout", s
	case err == nil:
		return "survived", s
	case strings.Contains(s, "[build failed]") || strings.Contains(s, "[setup failed]") || strings.Contains(s, "vet:"):
		return "invalid", s
	}
	return "killed", s
}

func apply(src []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		out = append(out[:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}

var swaps = map[token.Token]token.Token{
	token.EQL: token.NEQ, token.NEQ: token.EQL,
	token.LSS: token.LEQ, token.LEQ: token.LSS,
	token.GTR: token.GEQ, token.GEQ: token.GTR,
	token.LAND: token.LOR, token.LOR: token.LAND,
	token.ADD: token.SUB, token.SUB: token.ADD,
}

// parsed is a file read and parsed, and the functions of it to mutate.
type parsed struct {
	fset  *token.FileSet
	src   []byte
	funcs []*ast.FuncDecl
}

// parse reads and parses path and picks the functions with a body named
// in funcs (all when funcs is nil).
func parse(path string, funcs map[string]bool) parsed {
	fset := token.NewFileSet()
	src, err := os.ReadFile(path)
	check(err)
	f, err := parser.ParseFile(fset, path, src, 0)
	check(err)
	p := parsed{fset: fset, src: src}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil && (funcs == nil || funcs[fd.Name.Name]) {
			p.funcs = append(p.funcs, fd)
		}
	}
	return p
}

func (p parsed) off(pos token.Pos) int  { return p.fset.Position(pos).Offset }
func (p parsed) line(pos token.Pos) int { return p.fset.Position(pos).Line }

func mutantsOf(path string, funcs map[string]bool) []mutant {
	p := parse(path, funcs)
	src, off, line := p.src, p.off, p.line
	var out []mutant
	for _, fd := range p.funcs {
		fn := fd.Name.Name
		add := func(p token.Pos, desc string, es ...edit) {
			out = append(out, mutant{file: path, line: line(p), fn: fn, desc: desc, edits: es})
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if to, ok := swaps[n.Op]; ok {
					if (n.Op == token.ADD || n.Op == token.SUB) && isStringish(n) {
						break
					}
					o := off(n.OpPos)
					add(n.OpPos, fmt.Sprintf("%s → %s in %s", n.Op, to, snippet(src, off(n.Pos()), off(n.End()))),
						edit{o, o + len(n.Op.String()), to.String()})
				}
			case *ast.IfStmt:
				s, e := off(n.Cond.Pos()), off(n.Cond.End())
				add(n.Cond.Pos(), "negate if "+snippet(src, s, e), edit{s, s, "!("}, edit{e, e, ")"})
			case *ast.Ident:
				if n.Name == "true" || n.Name == "false" {
					to := map[string]string{"true": "false", "false": "true"}[n.Name]
					add(n.Pos(), n.Name+" → "+to, edit{off(n.Pos()), off(n.End()), to})
				}
			case *ast.BranchStmt:
				if n.Label == nil && (n.Tok == token.CONTINUE || n.Tok == token.BREAK) {
					to := map[token.Token]string{token.CONTINUE: "break", token.BREAK: "continue"}[n.Tok]
					add(n.Pos(), n.Tok.String()+" → "+to, edit{off(n.Pos()), off(n.End()), to})
				}
			case *ast.BlockStmt:
				for _, st := range n.List {
					switch st := st.(type) {
					case *ast.ExprStmt, *ast.IncDecStmt, *ast.DeferStmt, *ast.GoStmt:
						add(st.Pos(), "delete "+snippet(src, off(st.Pos()), off(st.End())), edit{off(st.Pos()), off(st.End()), ""})
					case *ast.AssignStmt:
						if st.Tok != token.DEFINE {
							add(st.Pos(), "delete "+snippet(src, off(st.Pos()), off(st.End())), edit{off(st.Pos()), off(st.End()), ""})
						}
					case *ast.ReturnStmt:
						if len(st.Results) == 0 {
							add(st.Pos(), "delete bare return", edit{off(st.Pos()), off(st.End()), ""})
						}
					}
				}
			}
			return true
		})
	}
	return out
}

// unlockOf names the method that releases each lock method.
var unlockOf = map[string]string{"Lock": "Unlock", "RLock": "RUnlock"}

// lockMutantsOf makes the lock mutants of a file: in every block, a
// statement R.Lock() (or R.RLock()) deleted with the first later statement
// of the block that is R.Unlock() (R.RUnlock()), deferred or not. A Lock
// whose Unlock lies in another block makes no mutant.
func lockMutantsOf(path string, funcs map[string]bool) []mutant {
	p := parse(path, funcs)
	src, off := p.src, p.off
	var out []mutant
	for _, fd := range p.funcs {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			b, ok := n.(*ast.BlockStmt)
			if !ok {
				return true
			}
			for i, st := range b.List {
				recv, method := lockCall(src, off, st)
				if unlockOf[method] == "" {
					continue
				}
				for _, later := range b.List[i+1:] {
					if r, m := lockCall(src, off, later); r == recv && m == unlockOf[method] {
						out = append(out, mutant{file: path, line: p.line(st.Pos()), fn: fd.Name.Name,
							desc:  "delete " + recv + "." + method + "() and its " + snippet(src, off(later.Pos()), off(later.End())),
							edits: []edit{{off(st.Pos()), off(st.End()), ""}, {off(later.Pos()), off(later.End()), ""}}})
						break
					}
				}
			}
			return true
		})
	}
	return out
}

// lockCall returns the receiver and method of a statement R.M() or
// defer R.M() without arguments; "" when st is neither.
func lockCall(src []byte, off func(token.Pos) int, st ast.Stmt) (recv, method string) {
	var call *ast.CallExpr
	switch st := st.(type) {
	case *ast.ExprStmt:
		call, _ = st.X.(*ast.CallExpr)
	case *ast.DeferStmt:
		call = st.Call
	}
	if call == nil || len(call.Args) != 0 {
		return "", ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", ""
	}
	return string(src[off(sel.X.Pos()):off(sel.X.End())]), sel.Sel.Name
}

// isStringish guesses a string concatenation (a string literal operand):
// swapping + for - there only fails to compile.
func isStringish(b *ast.BinaryExpr) bool {
	for _, e := range []ast.Expr{b.X, b.Y} {
		if l, ok := e.(*ast.BasicLit); ok && l.Kind == token.STRING {
			return true
		}
	}
	return false
}

func snippet(src []byte, s, e int) string {
	t := strings.Join(strings.Fields(string(src[s:e])), " ")
	if len(t) > 70 {
		t = t[:67] + "..."
	}
	return t
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
