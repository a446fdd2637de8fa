// Package version is Santral's one version: stamped at build time into santrald, the desktop app
// and every package (-ldflags "-X santral/backend/version.Version=…", from build/version.sh,
// which reads the git tag), and compared by the server's minimum and latest app versions.
package version

import (
	"strconv"
	"strings"
)

// Version is this build's version: "1.4.0" on a tag v1.4.0, "1.4.0+3.gabc1234" three commits
// after it, "dev" for a build that was not stamped (go run, go test).
var Version = "dev"

// Semver is a parsed MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]. Build metadata does not count in
// comparisons (semver §10): 1.4.0+3.gabc1234 is 1.4.0 as far as "minimum 1.4.0" is concerned.
type Semver struct {
	Major, Minor, Patch int
	Pre                 string
}

// Parse reads a version, with or without a leading "v". It refuses anything else ("dev").
func Parse(s string) (Semver, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	var v Semver
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s, v.Pre = s[:i], s[i+1:]
		if v.Pre == "" {
			return Semver{}, false
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Semver{}, false
	}
	nums := [3]int{}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			return Semver{}, false
		}
		nums[i] = n
	}
	v.Major, v.Minor, v.Patch = nums[0], nums[1], nums[2]
	return v, true
}

// Compare returns -1, 0 or 1 as a is older than, the same as, or newer than b.
func (a Semver) Compare(b Semver) int {
	for _, d := range [3]int{a.Major - b.Major, a.Minor - b.Minor, a.Patch - b.Patch} {
		if d != 0 {
			return sign(d)
		}
	}
	// A prerelease comes before its release; two prereleases compare field by field.
	switch {
	case a.Pre == b.Pre:
		return 0
	case a.Pre == "":
		return 1
	case b.Pre == "":
		return -1
	}
	af, bf := strings.Split(a.Pre, "."), strings.Split(b.Pre, ".")
	for i := 0; i < len(af) && i < len(bf); i++ {
		an, aerr := strconv.Atoi(af[i])
		bn, berr := strconv.Atoi(bf[i])
		switch {
		case aerr == nil && berr == nil:
			if an != bn {
				return sign(an - bn)
			}
		case aerr == nil: // numeric identifiers sort before alphanumeric ones
			return -1
		case berr == nil:
			return 1
		default:
			if c := strings.Compare(af[i], bf[i]); c != 0 {
				return c
			}
		}
	}
	return sign(len(af) - len(bf))
}

func (v Semver) String() string {
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// Update is what an app of version app should do, given the server's minimum and latest
// versions (either may be empty: not set).
type Update string

// The answers: nothing to do, a newer version exists (a notice the agent may dismiss), or
// this version may no longer be used (the app shows only the update screen), or unknown (the
// app's own version is not a release: a developer's build is never stopped).
const (
	UpToDate  Update = "current"
	Available Update = "available"
	Required  Update = "required"
	Unknown   Update = "unknown"
)

// Check compares an app's version with the server's minimum and latest.
func Check(app, minimum, latest string) Update {
	a, ok := Parse(app)
	if !ok {
		return Unknown
	}
	if m, ok := Parse(minimum); ok && a.Compare(m) < 0 {
		return Required
	}
	if l, ok := Parse(latest); ok && a.Compare(l) < 0 {
		return Available
	}
	return UpToDate
}
