package main

// What a run prints and writes: one table per scenario (santrald's figure, the baseline's, the
// ratio, the goal with PASS or MISS — printed, never asserted), and the same as JSON.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Figure is one measured quantity. Values are medians over the rounds; Rounds keeps each.
type Figure struct {
	Metric         string    `json:"metric"`
	Unit           string    `json:"unit"`
	Santrald       *float64  `json:"santrald"`
	Rounds         []float64 `json:"rounds,omitempty"`
	BaselineName   string    `json:"baseline_name,omitempty"`
	Baseline       *float64  `json:"baseline,omitempty"`
	BaselineRounds []float64 `json:"baseline_rounds,omitempty"`
	// Ratio is santrald ÷ baseline.
	Ratio   *float64 `json:"ratio,omitempty"`
	Goal    string   `json:"goal,omitempty"`
	Verdict string   `json:"verdict,omitempty"` // PASS, MISS or empty (no goal)
	// Reference is the same figure from an earlier run (-reference), for comparison.
	Reference *float64 `json:"reference,omitempty"`
}

// Scenario is one row of the table.
type Scenario struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Figures []Figure `json:"figures"`
	Notes   []string `json:"notes,omitempty"`
	Error   string   `json:"error,omitempty"`
	Seconds float64  `json:"seconds"`
}

// Results is a whole run.
type Results struct {
	Started   time.Time  `json:"started"`
	Seconds   float64    `json:"seconds"`
	Quick     bool       `json:"quick"`
	Rounds    int        `json:"rounds"`
	Machine   Machine    `json:"machine"`
	Santrald  Binary     `json:"santrald"`
	Scenarios []Scenario `json:"scenarios"`
}

type Machine struct {
	Hostname string `json:"hostname"`
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemoryGB int    `json:"memory_gb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	FileMax  uint64 `json:"open_files_limit"`
}

type Binary struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Commit string `json:"commit,omitempty"` // of the working tree the bench ran in
}

func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// figure builds a figure from the rounds of santrald and (optionally) of the baseline.
func figure(metric, unit string, rounds []float64, baselineName string, baselineRounds []float64) Figure {
	f := Figure{Metric: metric, Unit: unit, Santrald: num(median(rounds)), Rounds: rounds}
	if baselineName != "" {
		f.BaselineName = baselineName
		f.Baseline = num(median(baselineRounds))
		f.BaselineRounds = baselineRounds
		f.Ratio = num(val(f.Santrald) / val(f.Baseline))
	}
	return f
}

// goal sets the goal's text and verdict: ok decides it on the figure.
func (f Figure) goal(text string, ok func(f Figure) bool) Figure {
	f.Goal = text
	if f.Santrald == nil {
		f.Verdict = "MISS"
		return f
	}
	if ok(f) {
		f.Verdict = "PASS"
	} else {
		f.Verdict = "MISS"
	}
	return f
}

func atMost(limit float64) func(Figure) bool {
	return func(f Figure) bool { return val(f.Santrald) <= limit }
}

func ratioAtMost(limit float64) func(Figure) bool {
	return func(f Figure) bool { return f.Ratio != nil && *f.Ratio <= limit }
}

func ratioAtLeast(limit float64) func(Figure) bool {
	return func(f Figure) bool { return f.Ratio != nil && *f.Ratio >= limit }
}

func format(x *float64, unit string) string {
	if x == nil {
		return "—"
	}
	v := *x
	var s string
	switch a := math.Abs(v); {
	case a == 0:
		s = "0"
	case a >= 999.5:
		s = groupThousands(fmt.Sprintf("%.0f", v))
	case a >= 100:
		s = fmt.Sprintf("%.0f", v)
	case a >= 10:
		s = fmt.Sprintf("%.1f", v)
	case a >= 0.1:
		s = fmt.Sprintf("%.2f", v)
	default:
		s = fmt.Sprintf("%.3f", v)
	}
	if unit == "" {
		return s
	}
	return s + " " + unit
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func printScenario(w io.Writer, s Scenario) {
	fmt.Fprintf(w, "\n== %s ==\n", s.Title)
	if s.Error != "" {
		fmt.Fprintf(w, "   FAILED: %s\n", s.Error)
	}
	if len(s.Figures) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "   metric\tsantrald\tbaseline\tratio\tgoal\t\tearlier run")
		for _, f := range s.Figures {
			base := "—"
			if f.BaselineName != "" {
				base = format(f.Baseline, f.Unit) + " (" + f.BaselineName + ")"
			}
			ratio := "—"
			if f.Ratio != nil {
				ratio = format(f.Ratio, "") + "×"
			}
			goal := f.Goal
			if goal == "" {
				goal = "—"
			}
			ref := ""
			if f.Reference != nil {
				ref = format(f.Reference, f.Unit)
			}
			fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Metric, format(f.Santrald, f.Unit), base, ratio, goal, f.Verdict, ref)
		}
		tw.Flush()
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "   · %s\n", n)
	}
	fmt.Fprintf(w, "   (%.0f s)\n", s.Seconds)
}

func writeJSON(path string, r Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// readReference loads an earlier results.json; figures are matched by scenario and metric.
func readReference(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]float64{}
	for _, s := range r.Scenarios {
		for _, f := range s.Figures {
			if f.Santrald != nil {
				out[s.Name+"/"+f.Metric] = *f.Santrald
			}
		}
	}
	return out, nil
}

func machine(files uint64) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), FileMax: files}
	m.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int64
			if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); n == 1 {
				m.MemoryGB = int((kb + 512<<10) >> 20)
				break
			}
		}
		f.Close()
	}
	return m
}

func binary(path string) Binary {
	b := Binary{Path: path}
	if f, err := os.Open(path); err == nil {
		h := sha256.New()
		io.Copy(h, f)
		f.Close()
		b.SHA256 = hex.EncodeToString(h.Sum(nil))[:16]
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		b.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			b.Commit += "+changes"
		}
	}
	return b
}
