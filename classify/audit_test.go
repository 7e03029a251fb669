package classify

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// auditRow is one line of testdata/audit_rt2.tsv: rt2's independent reading
// of one seed code, written before looking at yunrt's table.
type auditRow struct {
	provider, code, status, class, scope, reason string
	line                                         int
}

// readAudit reads testdata/audit_rt2.tsv (lines starting with '#' and the
// header are skipped).
func readAudit(t *testing.T) []auditRow {
	t.Helper()
	f, err := os.Open("testdata/audit_rt2.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []auditRow
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "provider\t") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 6 {
			t.Fatalf("audit_rt2.tsv:%d: %d columns, want 6", n, len(c))
		}
		rows = append(rows, auditRow{c[0], c[1], c[2], c[3], c[4], c[5], n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// key names a row as its subtest does: provider/code/status.
func (r auditRow) key() string { return r.provider + "/" + r.code + "/" + r.status }

// concrete turns a seed's placeholder code into one a server would send:
// "Missing{ParameterName}" -> "MissingAppKey", "Forbidden%s" -> "ForbiddenAppKey".
func (r auditRow) concrete() string {
	c := strings.ReplaceAll(r.code, "{ParameterName}", "AppKey")
	return strings.ReplaceAll(c, "%s", "AppKey")
}

// httpStatus is the status the row is classified with: the seed's, else 200
// for Tencent (it answers every error with HTTP 200), else 400.
func (r auditRow) httpStatus(t *testing.T) int {
	if r.status == "-" {
		if r.provider == "tencent" {
			return 200
		}
		return 400
	}
	s, err := strconv.Atoi(r.status)
	if err != nil {
		t.Fatalf("audit_rt2.tsv:%d: status %q", r.line, r.status)
	}
	return s
}

// auditAccepted: rows where the audit and yunrt differ and yunrt's answer is
// kept (AUDIT-WRONG: rt2 changed its mind after reading yunrt's reason;
// UNDECIDABLE: the seed does not say, yunrt's choice is the safer one or as
// safe). Key: provider/code/status. Value: yunrt's "class/scope", and why.
var auditAccepted = map[string]struct{ yunrt, why string }{
	// None since 2026-12-02. The one UNDECIDABLE row,
	// tencent/LimitExceeded.DeliveryFrequencyLimit (yunrt: permanent/none,
	// rt2: permanent/recipient), was settled for rt2's reading: the seed's
	// "频率限制策略" is the console's per-number frequency policy, as yunrt's
	// own note said.
}

// auditDisputed: rows where rt2 argues yunrt is wrong (YUNRT-WRONG). Each is
// skipped with "DISPUTE (rt2): ..." while DefaultTable still gives yunrt's
// recorded answer; the row fails if the table gives anything else (remove
// the row here once DefaultTable agrees with the TSV). Value: yunrt's
// "class/scope" when disputed, and the dispute.
var auditDisputed = map[string]struct{ yunrt, why string }{
	// None since 2026-12-02. Both disputes were settled for rt2's reading
	// (classify/codes.go): tencent/DryRunOperation is permanent, not
	// success (seed 002: an answer with an Error field is a failed call;
	// SPEC: success has no provider error in the body; tencentcloud-sdk-go
	// returns it as an error), and tencent/LimitExceeded.PhoneNumberCountLimit
	// has no scope, not recipient (more than 200 numbers in one request is
	// the request's size, not one recipient's limit).
}

// TestIndependentAudit pins DefaultTable's class and scope for every seed code
// in testdata/audit_rt2.tsv, rt2's independent reading of the five seeds. A
// row agrees with the table, or is listed in auditAccepted (and must then
// still hold yunrt's answer recorded there), or is listed in auditDisputed
// (skipped, to be fixed). A change to any row's class or scope fails.
func TestIndependentAudit(t *testing.T) {
	tab := DefaultTable()
	rows := readAudit(t)
	if len(rows) != 229 {
		t.Fatalf("audit_rt2.tsv has %d rows, want 229", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		r := r
		if seen[r.key()] {
			t.Fatalf("audit_rt2.tsv:%d: duplicate row %s", r.line, r.key())
		}
		seen[r.key()] = true
		t.Run(r.key(), func(t *testing.T) {
			p, err := ParseProvider(r.provider)
			if err != nil {
				t.Fatal(err)
			}
			code := r.concrete()
			class := tab.Class(p, code, r.httpStatus(t))
			got := class.String() + "/" + tab.Scope(p, code, class).String()
			want := r.class + "/" + r.scope
			if d, ok := auditDisputed[r.key()]; ok {
				switch got {
				case want:
					t.Errorf("disputed row now agrees (%s): remove it from auditDisputed", got)
				case d.yunrt:
					t.Skip("DISPUTE (rt2): " + d.why + " [yunrt: " + got + ", audit: " + want + "]")
				default:
					t.Errorf("disputed row changed: DefaultTable says %s, disputed answer %s, audit says %s", got, d.yunrt, want)
				}
				return
			}
			if a, ok := auditAccepted[r.key()]; ok {
				if got != a.yunrt {
					t.Errorf("accepted difference changed: DefaultTable says %s, accepted %s (%s); audit said %s", got, a.yunrt, a.why, want)
				}
				return
			}
			if got != want {
				t.Errorf("DefaultTable says %s, audit says %s (audit_rt2.tsv:%d: %s)", got, want, r.line, r.reason)
			}
		})
	}
	for k := range auditAccepted {
		if !seen[k] {
			t.Errorf("auditAccepted names %s, not a row of audit_rt2.tsv", k)
		}
	}
	for k := range auditDisputed {
		if !seen[k] {
			t.Errorf("auditDisputed names %s, not a row of audit_rt2.tsv", k)
		}
	}
}
