package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/yunrt/yunrt/classify"
)

const codesUsage = `Usage: yunrt codes [--provider P] [--class C] [--json]

Lists every error code the classifier knows (classify's default table):
provider, code, documented HTTP status, class and, for flow control, the
scope it limits (what yunrt slows down: recipient, action, api, account,
host or client). A code with a placeholder ("Missing{ParameterName}")
stands for every code it matches. Classes: success, retryable, throttled,
resign, side-effect-unknown, permanent.

Flags:
`

// codeRow is one code as "yunrt codes" prints it, and the shape of its
// JSON output.
type codeRow struct {
	Provider string `json:"provider"`
	Code     string `json:"code"`
	// Status is the documented HTTP status, 0 when none is documented.
	Status int    `json:"status"`
	Class  string `json:"class"`
	// Scope is what a flow-control code limits (classify.Table.Scope),
	// empty for other codes.
	Scope   string `json:"scope,omitempty"`
	Message string `json:"message"`
	Note    string `json:"note,omitempty"`
}

// runCodesCmd runs "yunrt codes".
func runCodesCmd(args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("codes", codesUsage, stdout, stderr)
	provider := cmd.fs.String("provider", "", "only this provider's codes: aliyun, tencent or baidu (default all)")
	class := cmd.fs.String("class", "", "only codes of this class")
	jsonOut := cmd.fs.Bool("json", false, "print a JSON array")
	if code, done := cmd.parsed(cmd.fs.Parse(args)); done {
		return code
	}
	if cmd.fs.NArg() > 0 {
		return cmd.usageErr("unexpected arguments %q", cmd.fs.Args())
	}
	p := classify.Unknown
	if *provider != "" {
		var err error
		if p, err = classify.ParseProvider(*provider); err != nil || p == classify.Unknown {
			return cmd.usageErr("unknown provider %q (want aliyun, tencent or baidu)", *provider)
		}
	}
	var want *classify.Class
	if *class != "" {
		c, err := classify.ParseClass(*class)
		if err != nil {
			return cmd.usageErr("unknown class %q", *class)
		}
		want = &c
	}
	rows := codeRows(classify.DefaultTable(), p, want)
	var err error
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rows)
	} else {
		err = writeCodes(stdout, rows)
	}
	if err != nil {
		fmt.Fprintf(stderr, "yunrt codes: %v\n", err)
		return exitFail
	}
	return exitOK
}

// codeRows lists t's entries of p (all providers for Unknown), of class
// want when it is not nil, sorted by provider and code.
func codeRows(t *classify.Table, p classify.Provider, want *classify.Class) []codeRow {
	rows := []codeRow{}
	for _, e := range t.Entries(p) {
		if want != nil && e.Class != *want {
			continue
		}
		row := codeRow{
			Provider: e.Provider.String(), Code: e.Code, Status: e.Status,
			Class: e.Class.String(), Message: e.Message, Note: e.Note,
		}
		if sc := t.Scope(e.Provider, e.Code, e.Class); sc != classify.NoScope {
			row.Scope = sc.String()
		}
		rows = append(rows, row)
	}
	return rows
}

// writeCodes prints the rows as a table without messages (they are in
// "yunrt explain" and --json); "-" stands for no status or no scope.
func writeCodes(w io.Writer, rows []codeRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tCODE\tSTATUS\tCLASS\tSCOPE")
	for _, r := range rows {
		status, scope := "-", "-"
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		if r.Scope != "" {
			scope = r.Scope
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Provider, r.Code, status, r.Class, scope)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d codes\n", len(rows))
	return err
}
