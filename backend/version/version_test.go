package version

import "testing"

func TestParseAndCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.4.0", "1.4.0", 0},
		{"v1.4.0", "1.4.0", 0},
		{"1.4.0+3.gabc1234", "1.4.0", 0}, // build metadata does not count
		{"1.4.0+3.gabc1234.dirty", "1.4.1", -1},
		{"1.10.0", "1.9.9", 1}, // numbers, not strings
		{"2.0.0", "1.99.99", 1},
		{"1.4.0-rc.1", "1.4.0", -1},
		{"1.4.0-rc.2", "1.4.0-rc.10", -1},
		{"1.4.0-alpha", "1.4.0-alpha.1", -1},
		{"1.4.0-1", "1.4.0-alpha", -1},
	} {
		a, ok := Parse(c.a)
		b, ok2 := Parse(c.b)
		if !ok || !ok2 {
			t.Fatalf("%s or %s did not parse", c.a, c.b)
		}
		if got := a.Compare(b); got != c.want {
			t.Errorf("%s vs %s = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := b.Compare(a); got != -c.want {
			t.Errorf("%s vs %s = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
	for _, bad := range []string{"", "dev", "1.4", "1.4.0.1", "01.4.0", "1.4.x", "1.4.0-", "-1.0.0"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		app, min, latest string
		want             Update
	}{
		{"1.2.0", "1.3.0", "1.5.0", Required},
		{"1.3.0", "1.3.0", "1.5.0", Available},
		{"1.5.0", "1.3.0", "1.5.0", UpToDate},
		{"1.6.0", "1.3.0", "1.5.0", UpToDate},
		{"1.5.0+2.gabc", "", "1.5.0", UpToDate},
		{"1.2.0", "", "", UpToDate}, // nothing set
		{"1.2.0", "", "1.3.0", Available},
		{"dev", "9.0.0", "9.0.0", Unknown}, // a developer's build is never stopped
		{"1.2.0", "junk", "also junk", UpToDate},
	} {
		if got := Check(c.app, c.min, c.latest); got != c.want {
			t.Errorf("Check(%s, min %s, latest %s) = %s, want %s", c.app, c.min, c.latest, got, c.want)
		}
	}
}
