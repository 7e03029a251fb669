//go:build race

package classify

// raceEnabled: timing checks are meaningless under the race detector.
const raceEnabled = true
