package main

import (
	"sort"
	"strings"

	"github.com/yunrt/yunrt/classify"
)

// maxSuggestions is how many documented codes explain suggests for an
// undocumented one.
const maxSuggestions = 3

// suggest returns up to maxSuggestions documented codes of p nearest to
// code, compared case-insensitively by edit distance, nearest first (ties
// in the table's order). A code further than a third of its length (and
// at least 2 edits) from every documented code gets no suggestion: a
// wild guess helps no one.
func suggest(t *classify.Table, p classify.Provider, code string) []string {
	target := strings.ToLower(code)
	limit := max(2, len(target)/3)
	type cand struct {
		code string
		d    int
	}
	var cands []cand
	for _, e := range t.Entries(p) {
		if d := editDistance(target, strings.ToLower(e.Code)); d <= limit {
			cands = append(cands, cand{e.Code, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	var out []string
	for _, c := range cands[:min(len(cands), maxSuggestions)] {
		out = append(out, c.code)
	}
	return out
}

// documentedElsewhere returns the other providers whose documentation has
// code (exactly, or by a placeholder pattern).
func documentedElsewhere(t *classify.Table, p classify.Provider, code string) []string {
	var out []string
	for _, q := range classify.Providers() {
		if _, ok := t.Lookup(q, code); ok && q != p {
			out = append(out, q.String())
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
