package classify

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type seedRow struct {
	seed, code, example string
	provider            Provider
	class               Class
}

func readSeedTable(t *testing.T) []seedRow {
	t.Helper()
	f, err := os.Open("testdata/seedcodes.tsv")
	require.NoError(t, err)
	defer f.Close()
	var rows []seedRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		require.Len(t, cols, 5, "line %q", line)
		p, err := ParseProvider(cols[1])
		require.NoError(t, err)
		c, err := ParseClass(cols[4])
		require.NoError(t, err)
		rows = append(rows, seedRow{seed: cols[0], provider: p, code: cols[2], example: cols[3], class: c})
	}
	require.NoError(t, sc.Err())
	return rows
}

// TestSeedCodes walks every code of every seed document and checks the
// class the default table gives it, both for the code as documented and
// for a concrete code that fills its placeholder.
func TestSeedCodes(t *testing.T) {
	table := DefaultTable()
	rows := readSeedTable(t)
	require.Greater(t, len(rows), 200)
	for _, r := range rows {
		t.Run(r.provider.String()+"/"+r.example, func(t *testing.T) {
			e, ok := table.Lookup(r.provider, r.code)
			require.True(t, ok, "documented code %q has no entry", r.code)
			assert.Equal(t, r.code, e.Code)
			assert.NotEmpty(t, e.Message)
			assert.Equal(t, r.class, table.Class(r.provider, r.code, e.Status), "class of %q", r.code)
			ex, ok := table.Lookup(r.provider, r.example)
			require.True(t, ok, "concrete code %q matches no entry", r.example)
			assert.True(t, samePattern(r.code, ex.Code), "concrete code %q matched %q, not %q", r.example, ex.Code, r.code)
			assert.Equal(t, r.class, table.Class(r.provider, r.example, e.Status), "class of %q", r.example)
		})
	}
}

// TestSeedTableComplete extracts the codes from the seed documents
// themselves and checks that the test table lists exactly those, so a
// code can neither be missed nor invented.
func TestSeedTableComplete(t *testing.T) {
	want := map[string]map[string]bool{}
	for _, r := range readSeedTable(t) {
		if want[r.seed] == nil {
			want[r.seed] = map[string]bool{}
		}
		want[r.seed][r.code] = true
	}
	files, err := filepath.Glob("testdata/seeds/*.txt")
	require.NoError(t, err)
	require.Len(t, files, 5)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(file)
			require.NoError(t, err)
			got := extractSeedCodes(name, string(b))
			require.NotEmpty(t, got)
			assert.Equal(t, keys(want[name]), keys(got))
		})
	}
}

var (
	asciiCode  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.%{}_]*$`)
	tencentRow = regexp.MustCompile(`^([A-Z][A-Za-z]+(?:\.[A-Za-z]*)?) \S`)
)

// extractSeedCodes reads the code column of one seed document. Each
// document has its own table layout.
func extractSeedCodes(name, text string) map[string]bool {
	got := map[string]bool{}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		switch {
		case strings.HasPrefix(name, "000"): // "|" line, then "CODE |"
			if strings.TrimSpace(line) == "|" && i+1 < len(lines) {
				code := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(lines[i+1]), "|"))
				if code != "错误代码" {
					got[code] = true
				}
			}
		case strings.HasPrefix(name, "001"): // "CODE | …" or "scene | CODE | …"
			cols := strings.Split(line, " | ")
			if len(cols) < 4 {
				continue
			}
			for _, c := range cols[:2] {
				if c = strings.TrimSpace(c); asciiCode.MatchString(c) {
					got[c] = true
					break
				}
			}
		case strings.HasPrefix(name, "002"): // "CODE 说明"
			if m := tencentRow.FindStringSubmatch(line); m != nil && m[1] != "Error" { // "Error 中的 Code 表示错误码"
				got[m[1]] = true
			}
		case strings.HasPrefix(name, "003"): // "CODE   message   status   meaning"
			cols := strings.Split(line, " \u00a0 ")
			if len(cols) >= 4 && asciiCode.MatchString(strings.TrimSpace(cols[0])) {
				got[strings.TrimSpace(cols[0])] = true
			}
		case strings.HasPrefix(name, "004"): // "| CODE | message | status | meaning |"
			cols := strings.Split(line, "|")
			if len(cols) > 4 {
				if c := strings.TrimSpace(cols[1]); c != "Code" && asciiCode.MatchString(c) {
					got[c] = true
				}
			}
		}
	}
	return got
}

// samePattern reports whether two documented codes match the same codes:
// "Invalid%s" and "Invalid{ParameterName}" do.
func samePattern(a, b string) bool {
	if a == b {
		return true
	}
	ap, as, aok := splitPattern(a)
	bp, bs, bok := splitPattern(b)
	return aok && bok && ap == bp && as == bs
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestClassRules(t *testing.T) {
	table := DefaultTable()
	tests := []struct {
		name   string
		p      Provider
		code   string
		status int
		want   Class
	}{
		{"no code 200", Aliyun, "", 200, Success},
		{"no code 503", Aliyun, "", 503, Retryable},
		{"no code 502", Tencent, "", 502, Retryable},
		{"no code 504", Baidu, "", 504, Retryable},
		{"no code 429", Baidu, "", 429, Throttled},
		{"no code 408", Aliyun, "", 408, Retryable},
		{"no code 404", Aliyun, "", 404, Permanent},
		{"aliyun throttling family", Aliyun, "Throttling.Concurrent", 400, Throttled},
		{"tencent throttling family", Tencent, "RequestLimitExceeded.SomethingNew", 200, Throttled},
		{"tencent dotted inherits base", Tencent, "InternalError.NewKind", 200, Retryable},
		{"tencent dotted failed op", Tencent, "FailedOperation.NewKind", 200, Permanent},
		{"unknown code in 200 body", Tencent, "Brand.New", 200, Permanent},
		{"unknown code 503", Aliyun, "SomethingWentWrong", 503, Retryable},
		{"unknown code 400", Baidu, "SomethingWrong", 400, Permanent},
		{"sms flow control in 200", Aliyun, "isv.BUSINESS_LIMIT_CONTROL", 200, Throttled},
		{"placeholder needs a name", Aliyun, "Missing", 400, Permanent},
		{"placeholder rejects dots", Aliyun, "InvalidFoo.Bar.LengthLimit", 400, Permanent},
		{"pattern is per provider", Baidu, "MissingPhoneNumbers", 500, Retryable},
		{"codes are per provider", Baidu, "SignatureNonceUsed", 400, Permanent},
		// The flow-control families by prefix alone (no documented base),
		// each for its own provider only.
		{"aliyun throttling prefix", Aliyun, "ThrottlingNew", 400, Throttled},
		{"tencent limit prefix", Tencent, "RequestLimitExceededNew", 200, Throttled},
		{"throttling prefix is aliyun's", Baidu, "ThrottlingNew", 400, Permanent},
		{"limit prefix is tencent's", Aliyun, "RequestLimitExceededNew", 400, Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, table.Class(tt.p, tt.code, tt.status))
		})
	}
}

func TestNewTableOverrides(t *testing.T) {
	mine := Entry{Provider: Aliyun, Code: "InternalError", Status: 500, Class: Permanent, Message: "mine"}
	table := NewTable(append(DefaultEntries(), mine)...)
	assert.Equal(t, Permanent, table.Class(Aliyun, "InternalError", 500))
	assert.Equal(t, Retryable, DefaultTable().Class(Aliyun, "InternalError", 500), "the default table is not shared")
	var zero Table
	assert.Equal(t, Retryable, zero.Class(Aliyun, "InternalError", 500), "zero table classifies by status")
	// A code shorter than a pattern's literal text, whose prefix and
	// suffix overlap, does not match it (and does not slice backwards).
	overlap := NewTable(Entry{Provider: Aliyun, Code: "Ab%sba", Class: Throttled})
	for code, want := range map[string]bool{"Aba": false, "Abba": false, "Abxba": true} {
		_, ok := overlap.Lookup(Aliyun, code)
		assert.Equal(t, want, ok, code)
	}
	_, ok := DefaultTable().Lookup(Aliyun, "")
	assert.False(t, ok, "no entry for no code")
	var none *Table
	_, ok = none.Lookup(Aliyun, "InternalError")
	assert.False(t, ok, "a nil table has no entries")
	assert.Equal(t, Retryable, none.Class(Aliyun, "InternalError", 500), "a nil table classifies by status")
	// A later placeholder pattern replaces the earlier one for the codes
	// it matches, not only for the pattern's own spelling.
	pattern := Entry{Provider: Aliyun, Code: "Missing{ParameterName}", Status: 400, Class: Retryable, Message: "mine"}
	table = NewTable(append(DefaultEntries(), pattern)...)
	assert.Equal(t, Permanent, DefaultTable().Class(Aliyun, "MissingPhoneNumbers", 400))
	assert.Equal(t, Retryable, table.Class(Aliyun, "MissingPhoneNumbers", 400))
	assert.Equal(t, Retryable, table.Class(Aliyun, "Missing{ParameterName}", 400))
}

// TestPatternsMostSpecificFirst: of two placeholder patterns matching a
// code, the one with more literal text wins, whatever the entries' order;
// a repeated pattern replaces the earlier one and the entries after it
// are still read.
func TestPatternsMostSpecificFirst(t *testing.T) {
	specific := Entry{Provider: Aliyun, Code: "Invalid{ParameterName}.NotFound", Class: Permanent, Message: "specific"}
	general := Entry{Provider: Aliyun, Code: "{ParameterName}.NotFound", Class: Retryable, Message: "general"}
	again := general
	again.Class = Resign
	later := Entry{Provider: Aliyun, Code: "Later", Class: Throttled, Message: "later"}
	for _, entries := range [][]Entry{{specific, general}, {general, specific}, {general, again, specific, later}} {
		table := NewTable(entries...)
		e, ok := table.Lookup(Aliyun, "InvalidDeviceId.NotFound")
		require.True(t, ok)
		assert.Equal(t, "specific", e.Message)
		e, ok = table.Lookup(Aliyun, "DeviceId.NotFound")
		require.True(t, ok)
		assert.Equal(t, entries[len(entries)-1] == later, e.Class == Resign, "a repeated pattern replaces the earlier one")
	}
	assert.Equal(t, Throttled, NewTable(general, again, specific, later).Class(Aliyun, "Later", 200), "entries after a repeated pattern are read")
}

// TestEntries: a table's entries of one provider, or of all, each once,
// sorted by provider and code.
func TestEntries(t *testing.T) {
	table := DefaultTable()
	count := map[Provider]int{}
	for _, e := range DefaultEntries() {
		count[e.Provider]++
	}
	sorted := func(es []Entry) bool {
		return sort.SliceIsSorted(es, func(i, j int) bool {
			return es[i].Provider < es[j].Provider || es[i].Provider == es[j].Provider && es[i].Code < es[j].Code
		})
	}
	for _, p := range Providers() {
		es := table.Entries(p)
		assert.Len(t, es, count[p], p)
		assert.True(t, sorted(es), p)
		for _, e := range es {
			require.Equal(t, p, e.Provider)
		}
	}
	all := table.Entries(Unknown)
	assert.Len(t, all, len(DefaultEntries()))
	assert.True(t, sorted(all))
	assert.Empty(t, NewTable(Entry{Provider: Aliyun, Code: "A"}).Entries(Tencent))
}

// TestNames pins the names of kinds and sources and Result.Failed.
func TestNames(t *testing.T) {
	for k, want := range map[Kind]string{Read: "read", Write: "write"} {
		assert.Equal(t, want, k.String())
		text, err := k.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, want, string(text))
	}
	for s, want := range map[Source]string{FromStatus: "status", FromBody: "body", FromHeader: "header"} {
		assert.Equal(t, want, s.String())
	}
	for c := Success; c <= Permanent; c++ {
		assert.Equal(t, c != Success, Result{Class: c}.Failed(), c)
	}
}

func TestEntriesUnique(t *testing.T) {
	seen := map[tableKey]bool{}
	for _, e := range DefaultEntries() {
		k := tableKey{e.Provider, e.Code}
		assert.False(t, seen[k], "duplicate entry %v %q", e.Provider, e.Code)
		seen[k] = true
		assert.NotEmpty(t, e.Message, e.Code)
	}
}

func TestProviderForHost(t *testing.T) {
	for host, want := range map[string]Provider{
		"ecs.cn-hangzhou.aliyuncs.com":         Aliyun,
		"dysmsapi.aliyuncs.com:443":            Aliyun,
		"abc.alicloudapi.com":                  Aliyun,
		"sms.tencentcloudapi.com":              Tencent,
		"cvm.ap-guangzhou.tencentcloudapi.com": Tencent,
		"SMS.BJ.BAIDUBCE.COM":                  Baidu,
		"bj.bcebos.com":                        Baidu,
		"127.0.0.1:8080":                       Unknown,
		"notaliyuncs.com":                      Unknown,
		"aliyuncs.com":                         Aliyun,
		"aliyuncs.com.":                        Aliyun,
		"x.aliyuncs.com.:443":                  Aliyun,
		"liyuncs.com":                          Unknown,
		".aliyuncs.com":                        Aliyun,
		"aliyuncs.com.evil.example":            Unknown,
		"[::1]:80":                             Unknown,
	} {
		assert.Equal(t, want, ProviderForHost(host), host)
	}
}

func TestParseNames(t *testing.T) {
	for _, p := range Providers() {
		got, err := ParseProvider(strings.ToUpper(p.String()))
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	_, err := ParseProvider("aws")
	assert.Error(t, err)
	for c := Success; c <= Permanent; c++ {
		got, err := ParseClass(c.String())
		require.NoError(t, err)
		assert.Equal(t, c, got)
	}
	_, err = ParseClass("nope")
	assert.Error(t, err)
	assert.Equal(t, "class(6)", (Permanent + 1).String(), "a value past the last class")
	// UnmarshalText sets a class from its name, and leaves it on an error.
	c := Resign
	require.NoError(t, c.UnmarshalText([]byte("throttled")))
	assert.Equal(t, Throttled, c)
	assert.Error(t, c.UnmarshalText([]byte("nope")))
	assert.Equal(t, Throttled, c)
}

// TestIsName pins what a placeholder stands for (Entry.Code's doc): one
// or more ASCII letters, digits or underscores, each range to its ends.
func TestIsName(t *testing.T) {
	for s, want := range map[string]bool{
		"a": true, "z": true, "A": true, "Z": true, "0": true, "9": true, "_": true, "PhoneNumbers_2": true,
		"": false, ".": false, "-": false, "`": false, "{": false, "@": false, "[": false, "/": false, ":": false,
		"é": false, "Foo.Bar": false, "a b": false,
	} {
		assert.Equal(t, want, isName(s), "%q", s)
	}
	// As Lookup applies it: Missing{ParameterName} matches MissingZ_9.
	e, ok := DefaultTable().Lookup(Aliyun, "MissingZ_9")
	require.True(t, ok)
	assert.Equal(t, "Missing{ParameterName}", e.Code)
}
