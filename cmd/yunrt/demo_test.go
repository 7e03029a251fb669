package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/internal/testserver"
)

// demoWant is what must happen in each demo scenario.
type demoWant struct {
	attempts  int
	performed int
	decision  string // the last attempt's verdict
	outcome   string // prefix of the outcome
	unknown   bool   // the write's outcome is unknown and it was not resent
}

var demoWants = map[string]demoWant{
	// Aliyun.
	"503 on a send, then OK":                  {2, 1, "done", "success", false},
	"throttled with a TimeLeft hint":          {2, 1, "done", "success", false},
	"per-number limit inside HTTP 200":        {1, 0, "stop", "stopped: throttled", false},
	"push Timeout (was performed)":            {1, 1, "stop", "outcome unknown, not resent", true},
	"query Timeout":                           {2, 1, "done", "success", false},
	"XML ServiceUnavailable":                  {2, 1, "done", "success", false},
	"wrong signature":                         {1, 0, "stop", "stopped: permanent", false},
	"nonce used, signed elsewhere":            {1, 0, "stop", "outcome unknown, not resent", true},
	"server clock +20 min, yunrt signs (RPC)": {2, 1, "done", "success", false},
	"server clock +20 min, yunrt signs (V3)":  {2, 1, "done", "success", false},
	"nonce used on a read, yunrt signs":       {2, 1, "done", "success", false},
	"nonce used on a send, yunrt signs":       {1, 1, "stop", "outcome unknown, not resent", true},
	// Tencent Cloud.
	"RequestLimitExceeded in 200":             {2, 1, "done", "success", false},
	"SMS InternalError.Timeout":               {1, 1, "stop", "outcome unknown, not resent", true},
	"reset after the send was read":           {1, 1, "stop", "outcome unknown, not resent (ErrOutcomeUnknown)", true},
	"reset on a read":                         {2, 1, "done", "success", false},
	"signature expired, signed elsewhere":     {1, 0, "stop", "stopped: resign", false},
	"server clock +20 min, yunrt signs (TC3)": {2, 1, "done", "success", false},
	// Baidu AI Cloud.
	"500 with an empty body on a read":        {2, 1, "done", "success", false},
	"503 on a send":                           {2, 1, "done", "success", false},
	"InternalError, send with clientToken":    {2, 1, "done", "success", false},
	"InternalError, send without token":       {1, 1, "stop", "stopped: retryable", false},
	"RequestExpired, signed elsewhere":        {1, 0, "stop", "stopped: resign", false},
	"server clock -20 min, yunrt signs (BCE)": {2, 1, "done", "success", false},
}

func TestRunDemoJSON(t *testing.T) {
	rep, err := runScenarios(context.Background(), demoScenarios())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, rep.write(&buf, output{json: true}))
	var got report
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	rows := got.Scenarios
	require.Len(t, got.Summary, 3, "one summary per provider")
	for _, s := range got.Summary {
		assert.Zero(t, s.Duplicates, s.Provider)
		assert.Equal(t, s.Attempts, s.Received, s.Provider)
	}

	scenarios := demoScenarios()
	require.Len(t, rows, len(scenarios), "one row per scenario")
	require.Len(t, demoWants, len(scenarios), "every scenario has an expectation here")
	for i, sc := range scenarios {
		r := rows[i]
		t.Run(sc.Name, func(t *testing.T) {
			want, ok := demoWants[sc.Name]
			require.True(t, ok, "no expectation for scenario %q", sc.Name)
			assert.Equal(t, sc.Name, r.Scenario)
			assert.Equal(t, sc.Provider.String(), r.Provider)
			assert.Equal(t, sc.Action, r.Action)
			assert.Equal(t, want.attempts, r.Attempts, "attempts (observer)")
			assert.Equal(t, r.Attempts, r.Received, "the emulator received every attempt the observer saw")
			assert.Len(t, r.Seen, r.Attempts)
			assert.Len(t, r.Detail, r.Attempts)
			assert.Equal(t, want.performed, r.Performed, "side effects performed")
			assert.LessOrEqual(t, r.Performed, 1, "no scenario performs its action twice")
			assert.Equal(t, want.decision, r.Decision)
			assert.NotEmpty(t, r.Reason)
			assert.True(t, strings.HasPrefix(r.Outcome, want.outcome), "outcome %q", r.Outcome)
			assert.Equal(t, want.unknown, r.OutcomeUnknown)
			if want.unknown {
				assert.Equal(t, 1, r.Attempts, "an unknown-outcome write is never resent")
			}
			if r.Decision == "done" {
				assert.Equal(t, "OK", r.Seen[len(r.Seen)-1])
			}
			for _, a := range r.Detail[:len(r.Detail)-1] {
				assert.Contains(t, []string{"retry", "resign"}, a.Verdict, "only the last attempt ends the request")
			}
		})
	}

	// Spot checks of what the attempts saw.
	byName := map[string]row{}
	for _, r := range rows {
		byName[r.Scenario] = r
	}
	assert.Equal(t, []string{"Throttling.User (400)", "OK"}, byName["throttled with a TimeLeft hint"].Seen)
	assert.Equal(t, "timeleft", byName["throttled with a TimeLeft hint"].Detail[0].DelaySource)
	assert.Equal(t, []string{"reset"}, byName["reset after the send was read"].Seen)
	assert.Equal(t, []string{"reset", "OK"}, byName["reset on a read"].Seen)
	assert.Equal(t, []string{"HTTP 500 (InternalError inferred)", "OK"}, byName["500 with an empty body on a read"].Seen)
	assert.Equal(t, []string{"HTTP 503 (ServiceUnavailable inferred)", "OK"}, byName["503 on a send"].Seen)
	assert.Equal(t, []string{"isv.BUSINESS_LIMIT_CONTROL"}, byName["per-number limit inside HTTP 200"].Seen, "a per-number limit is handed back at once")
	assert.Contains(t, byName["reset after the send was read"].Error, "outcome is unknown")
}

func TestRunDemoTable(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		columns  []string
		maxWidth int // in runes; 0 for no limit
	}{
		{"default fits 120 columns", []string{"demo"},
			[]string{"SCENARIO", "PROVIDER", "CODES SEEN", "DECISIONS", "OUTCOME", "SENT"}, 120},
		{"wide has every column", []string{"demo", "-wide"},
			[]string{"SCENARIO", "PROVIDER", "ACTION", "ATTEMPTS", "CODES SEEN", "DECISION", "OUTCOME", "TIME", "NOTE"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(tt.args...)
			require.Equal(t, exitOK, code, errOut)
			assert.Empty(t, errOut)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			require.NotEmpty(t, lines)
			for _, col := range tt.columns {
				assert.Contains(t, lines[0]+out[strings.Index(out, "LOAD SCENARIO"):], col)
			}
			for _, l := range lines {
				if tt.maxWidth > 0 {
					assert.LessOrEqual(t, utf8.RuneCountInString(l), tt.maxWidth, "line too wide: %q", l)
				}
			}
			for _, sc := range demoScenarios() {
				assert.Contains(t, out, sc.Name)
			}
			for _, p := range []string{"aliyun:", "tencent:", "baidu:"} {
				found := false
				for _, l := range lines {
					if strings.HasPrefix(l, p) {
						found = true
						assert.Contains(t, l, ", 0 duplicates")
					}
				}
				assert.True(t, found, "totals line for %s", p)
			}
			assert.NotContains(t, out, "DUPLICATE")
			assert.Contains(t, out, "throttled endpoint, 2× its quota")
		})
	}
}

// demo -json holds every scenario, the summaries and the load scenarios.
func TestRunDemoJSONComplete(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load scenarios")
	}
	code, out, errOut := runCmd("demo", "-json")
	require.Equal(t, exitOK, code, errOut)
	var rep struct {
		Scenarios []row     `json:"scenarios"`
		Summary   []summary `json:"summary"`
		Load      []struct {
			Name      string  `json:"scenario"`
			Provider  string  `json:"provider"`
			Requests  int     `json:"requests"`
			Note      string  `json:"note"`
			ElapsedMS float64 `json:"elapsed_ms"`
		} `json:"load"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Len(t, rep.Scenarios, len(demoScenarios()))
	assert.Len(t, rep.Summary, 3)
	require.Len(t, rep.Load, 3)
	for _, l := range rep.Load {
		assert.NotZero(t, l.Requests, l.Name)
		assert.Contains(t, []string{"aliyun", "tencent"}, l.Provider, l.Name)
		assert.NotEmpty(t, l.Note, l.Name)
		assert.Positive(t, l.ElapsedMS, l.Name)
	}
}

// TestScenarioOptions checks the extension points: a scenario with extra
// transport options or emulator options gets its own transport or
// emulator, and its counts still go to its provider.
func TestScenarioOptions(t *testing.T) {
	base := demoScenarios()[0] // a ServiceUnavailable then OK
	withPolicy := base
	withPolicy.Name = "no retries"
	pol := demoPolicy()
	pol.MaxAttempts = 1
	withPolicy.Options = append(withPolicy.Options, yunrt.WithPolicy(base.Provider, pol))
	own := base
	own.Name = "own emulator"
	own.Server = append(own.Server, testserver.WithClock(time.Now))

	rep, err := runScenarios(context.Background(), []scenario{base, withPolicy, own})
	require.NoError(t, err)
	rows := rep.Scenarios
	require.Len(t, rows, 3)
	assert.Equal(t, 2, rows[0].Attempts)
	assert.Equal(t, 1, rows[1].Attempts, "the scenario's WithPolicy replaces the demo policy")
	assert.Equal(t, "stop", rows[1].Decision)
	assert.Equal(t, 2, rows[2].Attempts)
	assert.Equal(t, 2, rows[2].Received)

	var buf bytes.Buffer
	require.NoError(t, rep.write(&buf, output{}))
	assert.Contains(t, buf.String(), "aliyun:   3 scenarios:  5 attempts sent (5 received), 2 side effects performed, 0 duplicates")
}
