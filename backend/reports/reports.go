// Package reports computes the supervisors' figures from conversations' timelines: each figure
// is defined once here (and in README "Reports"), from which timeline steps it is measured, and
// the same code serves the reports screen, its CSV export and the dashboard's "today".
package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"

	"santral/backend/store"
	"santral/backend/wire"
)

// Figures are one conversation's measures, in milliseconds.
type Figures struct {
	// Queued: it entered the queue at least once ("created" not followed by a flow, a flow's
	// "flow_handover", or "requeued").
	Queued bool
	// QueueWait is the time it spent in the queue, summed over every stay: from entering it
	// until the step that gave it a holder ("assigned") or took it out ("flow_started",
	// "ended"); a stay still open counts until now.
	QueueWait int64
	// FirstResponse is from its first entry into the queue to the first agent message
	// (Responded false: no agent has written yet).
	FirstResponse int64
	Responded     bool
	// Handling is the time an agent held it, summed over every holding: from "assigned" until
	// "requeued", "flow_started" or "ended" (a transfer or a reassignment continues it). Only
	// for a conversation that is ended and was held by an agent (Handled).
	Handling int64
	Handled  bool
	// Transfers counts accepted transfer offers ("transfer_accepted") and supervisors'
	// reassignments from one agent to another ("reassigned").
	Transfers int
	// Reopened: it was taken up again after it ended ("taken_up").
	Reopened bool
}

// Measure computes a conversation's figures from its timeline; now ends a stay in the queue
// that is still open.
func Measure(c store.ReportConversation, now int64) Figures {
	var f Figures
	var queuedSince, heldSince, firstQueued int64
	inQueue, holding, everHeld := false, false, false
	enter := func(at int64) {
		if !inQueue {
			inQueue, queuedSince, f.Queued = true, at, true
			if firstQueued == 0 {
				firstQueued = at
			}
		}
	}
	leave := func(at int64) {
		if inQueue {
			f.QueueWait += max(0, at-queuedSince)
			inQueue = false
		}
	}
	release := func(at int64) {
		if holding {
			f.Handling += max(0, at-heldSince)
			holding = false
		}
	}
	ended := false
	for i, s := range c.Steps {
		switch s.Kind {
		case "created":
			// A conversation that goes through a channel's default flow first is not waiting
			// for an agent until the flow hands it over.
			if i+1 < len(c.Steps) && c.Steps[i+1].Kind == "flow_started" {
				continue
			}
			enter(s.At)
		case "flow_handover", "requeued":
			release(s.At)
			enter(s.At)
		case "flow_started":
			leave(s.At)
			release(s.At)
		case "assigned":
			leave(s.At)
			ended = false
			if !holding {
				holding, heldSince, everHeld = true, s.At, true
			}
		case "transfer_accepted", "reassigned":
			f.Transfers++
		case "taken_up":
			f.Reopened = true
		case "ended", "flow_ended":
			leave(s.At)
			release(s.At)
			ended = true
		}
	}
	if inQueue {
		leave(now)
	}
	f.Handled = ended && everHeld && c.State == wire.Ended
	if !f.Handled {
		f.Handling = 0
	}
	start := firstQueued
	if start == 0 {
		start = c.CreatedAt
	}
	if c.FirstResponseAt > 0 && c.FirstResponseAt >= start {
		f.FirstResponse, f.Responded = c.FirstResponseAt-start, true
	}
	return f
}

// Percentile is the nearest-rank p-th percentile of values (the smallest value with at least
// p% of the values at or below it); 0 for none. The median is Percentile(values, 50).
func Percentile(values []int64, p int) int64 {
	if len(values) == 0 {
		return 0
	}
	v := slices.Clone(values)
	slices.Sort(v)
	rank := (p*len(v) + 99) / 100 // ceil(p/100 · n)
	if rank < 1 {
		rank = 1
	}
	return v[rank-1]
}

// group gathers one row's values.
type group struct {
	row                   wire.ReportRow
	frt, handling, waited []int64
}

func (g *group) add(f Figures, c store.ReportConversation, thresholdMs int64) {
	g.row.Conversations++
	if c.State == wire.Ended {
		g.row.Ended++
	}
	if f.Responded {
		g.row.Responded++
		g.frt = append(g.frt, f.FirstResponse)
	}
	if f.Handled {
		g.row.HandledCount++
		g.handling = append(g.handling, f.Handling)
	}
	g.row.Transfers += f.Transfers
	if f.Reopened {
		g.row.Reopened++
	}
	if f.Queued {
		g.row.Queued++
		g.waited = append(g.waited, f.QueueWait)
		if f.QueueWait > thresholdMs {
			g.row.WaitedOverLimit++
		}
	}
}

func (g *group) finish() wire.ReportRow {
	r := g.row
	r.FirstResponseMed, r.FirstResponseP90 = Percentile(g.frt, 50), Percentile(g.frt, 90)
	r.HandlingMedian, r.HandlingP90 = Percentile(g.handling, 50), Percentile(g.handling, 90)
	r.QueueWaitMedian, r.QueueWaitP90 = Percentile(g.waited, 50), Percentile(g.waited, 90)
	return r
}

// Dimensions a report groups by.
const (
	ByAgent     = "agent"
	ByChannel   = "channel"
	ByEndReason = "end_reason"
	ByTag       = "tag"
)

// ValidBy reports whether by is a dimension.
func ValidBy(by string) bool {
	return by == ByAgent || by == ByChannel || by == ByEndReason || by == ByTag
}

// keys are the groups a conversation counts in: one, or for tags each of its tags (none: the
// "" group).
func keys(c store.ReportConversation, by string) [][2]string {
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	switch by {
	case ByAgent:
		return [][2]string{{id(c.AgentID), c.AgentName}}
	case ByChannel:
		return [][2]string{{id(c.ChannelID), c.ChannelName}}
	case ByEndReason:
		return [][2]string{{id(c.EndReasonID), c.EndReason}}
	}
	if len(c.Tags) == 0 {
		return [][2]string{{"", ""}}
	}
	out := make([][2]string, len(c.Tags))
	for i, t := range c.Tags {
		out[i] = [2]string{id(t.ID), t.Label}
	}
	return out
}

// Build groups the conversations by the dimension and computes each group's figures and the
// total's (a conversation with two tags counts in both tags' rows, once in the total). Rows
// are ordered by label, the "" group (no agent, no end reason, no tag) last.
func Build(convs []store.ReportConversation, by string, from, to, now int64, thresholdSeconds int) wire.Report {
	threshold := int64(thresholdSeconds) * 1000
	groups := map[string]*group{}
	total := &group{}
	for _, c := range convs {
		f := Measure(c, now)
		total.add(f, c, threshold)
		for _, k := range keys(c, by) {
			g, ok := groups[k[0]]
			if !ok {
				g = &group{row: wire.ReportRow{Key: k[0], Label: k[1]}}
				groups[k[0]] = g
			}
			g.add(f, c, threshold)
		}
	}
	rep := wire.Report{From: from, To: to, By: by, WaitThresholdSeconds: thresholdSeconds, Rows: []wire.ReportRow{}, Total: total.finish()}
	for _, g := range groups {
		rep.Rows = append(rep.Rows, g.finish())
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if (a.Key == "") != (b.Key == "") {
			return b.Key == ""
		}
		if a.Label != b.Label {
			return a.Label < b.Label
		}
		return a.Key < b.Key
	})
	return rep
}

// csvHeader names the CSV's columns; times are in seconds (one decimal).
var csvHeader = []string{"group", "key", "conversations", "ended", "responded", "first_response_median_s",
	"first_response_p90_s", "handled", "handling_median_s", "handling_p90_s", "transfers", "reopened",
	"queued", "queue_wait_median_s", "queue_wait_p90_s", "waited_over_threshold"}

// WriteCSV writes the report as CSV: a header, one line per row, then the total.
func WriteCSV(w io.Writer, rep wire.Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	sec := func(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) }
	line := func(label, key string, r wire.ReportRow) []string {
		return []string{label, key, strconv.Itoa(r.Conversations), strconv.Itoa(r.Ended), strconv.Itoa(r.Responded),
			sec(r.FirstResponseMed), sec(r.FirstResponseP90), strconv.Itoa(r.HandledCount), sec(r.HandlingMedian),
			sec(r.HandlingP90), strconv.Itoa(r.Transfers), strconv.Itoa(r.Reopened), strconv.Itoa(r.Queued),
			sec(r.QueueWaitMedian), sec(r.QueueWaitP90), strconv.Itoa(r.WaitedOverLimit)}
	}
	for _, r := range rep.Rows {
		label := r.Label
		if r.Key == "" {
			label = fmt.Sprintf("(no %s)", rep.By)
		}
		_ = cw.Write(line(csvSafe(label), r.Key, r))
	}
	_ = cw.Write(line("(total)", "", rep.Total))
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a label from being read as a formula by a spreadsheet (CSV injection): labels
// are admins' and agents' text.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
