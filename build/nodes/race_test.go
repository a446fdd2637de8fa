//go:build race

package nodes

// raceEnabled: these tests run under the race detector, and so does the santrald they build.
const raceEnabled = true
