package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

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
	"flow control inside HTTP 200":            {2, 1, "done", "success", false},
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
	var buf bytes.Buffer
	require.NoError(t, runDemo(context.Background(), &buf, true))
	var rows []row
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rows))

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
	assert.Equal(t, []string{"HTTP 503", "OK"}, byName["503 on a send"].Seen)
	assert.Equal(t, []string{"isv.BUSINESS_LIMIT_CONTROL", "OK"}, byName["flow control inside HTTP 200"].Seen)
	assert.Contains(t, byName["reset after the send was read"].Error, "outcome is unknown")
}

func TestRunDemoTable(t *testing.T) {
	code, out, errOut := runCmd("demo")
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.NotEmpty(t, lines)
	header := lines[0]
	for _, col := range []string{"SCENARIO", "PROVIDER", "ACTION", "ATTEMPTS", "CODES SEEN", "DECISION", "OUTCOME", "TIME"} {
		assert.Contains(t, header, col)
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

	var buf bytes.Buffer
	require.NoError(t, runScenarios(context.Background(), &buf, true, []scenario{base, withPolicy, own}))
	var rows []row
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rows))
	require.Len(t, rows, 3)
	assert.Equal(t, 2, rows[0].Attempts)
	assert.Equal(t, 1, rows[1].Attempts, "the scenario's WithPolicy replaces the demo policy")
	assert.Equal(t, "stop", rows[1].Decision)
	assert.Equal(t, 2, rows[2].Attempts)
	assert.Equal(t, 2, rows[2].Received)

	buf.Reset()
	require.NoError(t, runScenarios(context.Background(), &buf, false, []scenario{base, withPolicy, own}))
	assert.Contains(t, buf.String(), "aliyun:   3 scenarios:  5 attempts sent (5 received), 2 side effects performed, 0 duplicates")
}
