//go:build race

package yunrt

// raceEnabled reports that the race detector is on: timing bounds of the
// property test get more slack, and it runs fewer cases.
const raceEnabled = true
