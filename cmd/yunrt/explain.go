package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// explanation is what explain prints about one code, and the shape of its
// JSON output.
type explanation struct {
	Provider string `json:"provider"`
	Code     string `json:"code"`
	// Documented reports that the code, or a placeholder pattern matching
	// it, is in the default table.
	Documented bool `json:"documented"`
	// Matched is the documented code the code matched: the code itself,
	// a placeholder pattern ("Missing{ParameterName}"), or "" when none.
	Matched string `json:"matched"`
	Pattern bool   `json:"pattern"`
	// Parameter is the part of the code that filled the pattern's
	// placeholder ("PhoneNumbers"), "" when no pattern matched.
	Parameter string `json:"parameter,omitempty"`
	// Status is the HTTP status the code is assumed to come with: the
	// --status flag, else the documented status, else 0.
	Status       int    `json:"status"`
	StatusSource string `json:"status_source"` // "flag", "documented" or "none"
	Class        string `json:"class"`
	// Rule says which rule of classify.Table.Class gave the class.
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Note    string `json:"note"`
	// Action is the --action given, "" when none (then Kind is write).
	Action     string `json:"action"`
	Kind       string `json:"kind"`
	Signed     bool   `json:"signed"`
	Idempotent bool   `json:"idempotent"`
	// Verdict is the policy's verdict as is ("done" for a success class);
	// Decision maps it to what the transport does: retry, resign or stop.
	Verdict  string `json:"verdict"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	// Suggestions are the documented codes nearest to an undocumented
	// one (case-insensitive edit distance), nearest first.
	Suggestions []string `json:"suggestions,omitempty"`
	// DocumentedFor names the other providers that document the code.
	DocumentedFor []string `json:"documented_for,omitempty"`
}

const explainUsage = `Usage: yunrt explain CODE (--provider P | --host H) [--action A] [--token] [--unsigned] [--status N] [--json]

Explains a provider error code: the documented entry it matches, its HTTP
status, its class, and what the default policy decides on a first attempt
that got it. Flags may come before or after CODE.

A code that is not documented is still explained (by the rule classify
applies to it), the nearest documented codes are suggested, and the exit
code is 2. "yunrt codes" lists the documented codes.

Flags:
`

// runExplainCmd runs "yunrt explain".
func runExplainCmd(args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("explain", explainUsage, stdout, stderr)
	fs := cmd.fs
	provider := fs.String("provider", "", "provider: aliyun, tencent or baidu (required unless --host names one)")
	host := fs.String("host", "", `host the code came from ("aip.baidubce.com"): gives --provider when it is missing, and must agree with it`)
	action := fs.String("action", "", `API action ("SendSms", "DescribeRegions", Baidu "POST /api/v3/sendsms"); none means a write`)
	token := fs.Bool("token", false, "the request carries an idempotency token (ClientToken / clientToken)")
	unsigned := fs.Bool("unsigned", false, "the request was signed elsewhere: yunrt has no signer to re-sign it")
	status := fs.Int("status", -1, "HTTP status the code came with (default: the documented one)")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterleaved(fs, args)
	if code, done := cmd.parsed(err); done {
		return code
	}
	usageErr := cmd.usageErr
	switch {
	case len(pos) == 0 || strings.TrimSpace(pos[0]) == "":
		return usageErr("missing CODE")
	case len(pos) > 1:
		return usageErr("one CODE expected, got %d arguments: %q", len(pos), pos)
	case len(pos[0]) > classify.MaxCodeLen:
		// Suggestions cost len(CODE) × the table: a 1 MiB CODE took 14 s.
		return usageErr("CODE is %d bytes: no provider code is longer than %d", len(pos[0]), classify.MaxCodeLen)
	case !printable(pos[0]):
		return usageErr("CODE %q holds invalid UTF-8 or control characters: no provider code does", pos[0])
	case *provider == "" && *host == "":
		return usageErr("missing --provider")
	}
	hp := classify.ProviderForHost(*host)
	if *host != "" && hp == classify.Unknown {
		return usageErr("--host %q is not a host of aliyun, tencent or baidu", *host)
	}
	if *provider == "" {
		*provider = hp.String()
	}
	p, err := classify.ParseProvider(*provider)
	if err != nil || p == classify.Unknown {
		return usageErr("unknown provider %q (want aliyun, tencent or baidu)", *provider)
	}
	if *host != "" && hp != p {
		return usageErr("--host %q is a %s host, not %s", *host, hp, p)
	}
	if *status < -1 || *status > 599 {
		return usageErr("--status %d is not an HTTP status", *status)
	}
	table := classify.DefaultTable()
	ex := explain(table, p, strings.TrimSpace(pos[0]), *action, *token, !*unsigned, *status)
	if !ex.Documented {
		ex.Suggestions = suggest(table, p, ex.Code)
		ex.DocumentedFor = documentedElsewhere(table, p, ex.Code)
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(ex)
	} else {
		err = ex.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "yunrt explain: %v\n", err)
		return exitFail
	}
	if ex.Documented {
		return exitOK
	}
	fmt.Fprintln(stderr, undocumentedHint(ex))
	return exitUndocumented
}

// undocumentedHint tells the user an explained code is not documented,
// and what they may have meant.
func undocumentedHint(ex explanation) string {
	msg := fmt.Sprintf("yunrt explain: %s is not a documented %s code", ex.Code, ex.Provider)
	if len(ex.DocumentedFor) > 0 {
		msg += fmt.Sprintf(" (it is documented for %s: --provider %s)", strings.Join(ex.DocumentedFor, ", "), ex.DocumentedFor[0])
	}
	if len(ex.Suggestions) > 0 {
		return msg + "; did you mean " + strings.Join(ex.Suggestions, ", ") + "?"
	}
	return msg + `; "yunrt codes --provider ` + ex.Provider + `" lists the documented codes`
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments (the flag package stops at the first positional)
// and returns the positionals in order. Everything after "--" is
// positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// explain looks code up in t and applies the default policy of p to a
// first attempt that got it. status < 0 means the documented status.
func explain(t *classify.Table, p classify.Provider, code, action string, token, signed bool, status int) explanation {
	ex := explanation{
		Provider:   p.String(),
		Code:       code,
		Action:     action,
		Signed:     signed,
		Idempotent: token,
	}
	e, ok := t.Lookup(p, code)
	if ok {
		ex.Documented = true
		ex.Matched = e.Code
		ex.Pattern = e.Code != code
		if ex.Pattern {
			ex.Parameter = placeholderValue(e.Code, code)
		}
		ex.Message = e.Message
		ex.Note = e.Note
	}
	switch {
	case status >= 0:
		ex.Status, ex.StatusSource = status, "flag"
	case ok && e.Status != 0:
		ex.Status, ex.StatusSource = e.Status, "documented"
	default:
		ex.StatusSource = "none"
	}
	class := t.Class(p, code, ex.Status)
	ex.Class = class.String()
	ex.Rule = classRule(t, p, code, ex.Status)

	kind := classify.Write // "unknown actions are writes"
	if action != "" {
		kind = classify.KindOf(p, action, "POST")
	}
	ex.Kind = kind.String()

	d := policy.Default(p).Decide(policy.Outcome{
		Result:     classify.Result{Provider: p, Status: ex.Status, Code: code, Class: class},
		Kind:       kind,
		Idempotent: token,
		Signed:     signed,
		Attempt:    1,
		// Every Aliyun signature carries a nonce: a request signed
		// elsewhere cannot be resent.
		ForeignNonce: !signed && p == classify.Aliyun,
	})
	ex.Verdict = d.Verdict.String()
	ex.Decision = decisionName(d.Verdict)
	ex.Reason = d.Reason
	return ex
}

// placeholderValue returns what fills the placeholder ("%s" or
// "{ParameterName}") of pattern in code.
func placeholderValue(pattern, code string) string {
	for _, ph := range []string{"%s", "{ParameterName}"} {
		if pre, suf, ok := strings.Cut(pattern, ph); ok && len(code) >= len(pre)+len(suf) {
			return code[len(pre) : len(code)-len(suf)]
		}
	}
	return ""
}

// decisionName maps a policy verdict to what the transport does next:
// "retry", "resign" or "stop" (a success needs nothing more: "stop").
func decisionName(v policy.Verdict) string {
	switch v {
	case policy.Retry:
		return "retry"
	case policy.Resign:
		return "resign"
	}
	return "stop"
}

// classRule names the rule of classify.Table.Class that classifies code,
// following the order its documentation gives.
func classRule(t *classify.Table, p classify.Provider, code string, status int) string {
	if code == "" {
		return "rule 1: no code, the class of the HTTP status"
	}
	if e, ok := t.Lookup(p, code); ok {
		if e.Code != code {
			return "rule 2: documented placeholder pattern " + e.Code
		}
		return "rule 2: documented code"
	}
	switch {
	case p == classify.Aliyun && strings.HasPrefix(code, "Throttling"):
		return "rule 3: undocumented, in Aliyun's Throttling* flow-control family"
	case p == classify.Tencent && strings.HasPrefix(code, "RequestLimitExceeded"):
		return "rule 3: undocumented, in Tencent's RequestLimitExceeded* flow-control family"
	}
	if i := strings.IndexByte(code, '.'); i > 0 {
		if e, ok := t.Lookup(p, code[:i]); ok {
			return fmt.Sprintf("rule 4: undocumented sub-kind of the documented %s (%s)", e.Code, e.Class)
		}
	}
	if c := classify.StatusClass(status); c != classify.Success {
		return fmt.Sprintf("rule 5: undocumented, classified by its HTTP status %d", status)
	}
	return "rule 5: undocumented, and no error status to go by (an error inside a 2xx body): permanent"
}

// writeText prints the explanation as aligned "field  value" lines.
func (ex explanation) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	line("code", ex.Code)
	line("provider", ex.Provider)
	switch {
	case ex.Pattern:
		line("documented", fmt.Sprintf("yes: %s matched the documented pattern %s (placeholder = %s)", ex.Code, ex.Matched, ex.Parameter))
	case ex.Documented:
		line("documented", "yes: "+ex.Matched)
	default:
		line("documented", "no: "+ex.Code+" is not in the "+ex.Provider+" documentation yunrt is built on")
	}
	switch ex.StatusSource {
	case "documented":
		line("status", fmt.Sprintf("HTTP %d (documented)", ex.Status))
	case "flag":
		line("status", fmt.Sprintf("HTTP %d (--status)", ex.Status))
	default:
		line("status", "none documented")
	}
	line("class", ex.Class+" ("+ex.Rule+")")
	if ex.Message != "" {
		line("message", ex.Message)
	}
	if ex.Note != "" {
		line("note", ex.Note)
	}
	if ex.Action == "" {
		line("action", "none given: assumed a write (unknown actions are writes)")
	} else {
		line("action", ex.Action)
	}
	line("kind", ex.Kind)
	if ex.Signed {
		line("signed", "yes: yunrt signs each attempt (fresh nonce and timestamp); --unsigned for a request signed elsewhere")
	} else {
		line("signed", "no: signed elsewhere, yunrt cannot re-sign it")
	}
	if ex.Idempotent {
		line("token", "yes: carries an idempotency token")
	} else {
		line("token", "no idempotency token")
	}
	line("decision", ex.Decision+": "+ex.Reason)
	return tw.Flush()
}

// printable reports whether s is valid UTF-8 without control characters,
// so that echoing it cannot drive the terminal.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
