// Package evict bounds maps of per-endpoint state: it drops the entries
// idle too long and, when a map is full, its least recently used tenth.
// It uses the standard library only.
package evict

import "slices"

// Sweep deletes from m every entry not used for longer than idle before
// now (unix nanoseconds, as used returns them), and, when m still holds
// limit entries or more, the least recently used tenth. keep, when not
// nil, vetoes the deletion of an entry (an open circuit breaker). The
// caller holds whatever lock guards m.
func Sweep[K comparable, V any](m map[K]V, now, idle int64, limit int, used func(V) int64, keep func(V) bool) {
	for k, v := range m {
		if now-used(v) > idle && (keep == nil || !keep(v)) {
			delete(m, k)
		}
	}
	if len(m) < limit {
		return
	}
	last := make([]int64, 0, len(m))
	for _, v := range m {
		last = append(last, used(v))
	}
	slices.Sort(last)
	cutoff := last[len(last)/10]
	for k, v := range m {
		if used(v) <= cutoff && (keep == nil || !keep(v)) {
			delete(m, k)
		}
	}
}
