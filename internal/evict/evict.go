// Package evict bounds maps of per-endpoint state: it drops the entries
// idle too long and, when a map is full, its least recently used tenth.
// It uses the standard library only.
package evict

import "slices"

// Sweep deletes from m every entry not used for longer than idle before
// now (unix nanoseconds, as used returns them), and, when m still holds
// limit entries or more, a tenth of them: the least recently used of
// those it may delete. keep, when not nil, vetoes the deletion of an
// entry (an open circuit breaker); kept entries are left out of the
// reckoning, so that however many of the oldest are kept, a full sweep
// still frees room. The caller holds whatever lock guards m.
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
		if keep == nil || !keep(v) {
			last = append(last, used(v))
		}
	}
	if len(last) == 0 {
		return // every entry is kept
	}
	slices.Sort(last)
	cutoff := last[min(len(m)/10, len(last)-1)]
	for k, v := range m {
		if used(v) <= cutoff && (keep == nil || !keep(v)) {
			delete(m, k)
		}
	}
}
