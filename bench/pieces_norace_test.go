//go:build !race

package bench

// raceEnabled reports that the race detector is on: allocation counts are
// not pinned then (the detector allocates).
const raceEnabled = false
