package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"santral/backend/wire"
)

// runAssign: Q conversations queued with automatic assignment off, A agents (limit L each)
// logged in with their streams open; then either the agents come online at once with automatic
// assignment on, or they are online and the admin switches it on. Timed until every agent's
// own stream has received all its assignments. Then exactness, through the API and the event
// log: no agent above its limit, no conversation with two holders, each assignment to the
// online agent with the fewest active (ties to the longest wait), the queue served in order.
func runAssign(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	var comeOnline, switchOn, violations []float64
	var notes []string
	for round := 1; round <= sz.Rounds; round++ {
		for _, v := range []string{"online", "switch"} {
			b.progress("round %d/%d: %d queued, %d agents (limit %d), variant %q", round, sz.Rounds, sz.AssignQueued, sz.AssignAgents, sz.AssignLimit, v)
			before := reconnects.Load()
			takeDropReason()
			r, err := assignRound(ctx, b, round, v)
			if n := reconnects.Load() - before; n > 0 {
				reason := takeDropReason()
				notes = append(notes, fmt.Sprintf("round %d, %s: %d streams were dropped (first: %s) and resumed from their cursor", round, v, n, reason))
			}
			if err != nil {
				return nil, notes, err
			}
			if v == "online" {
				comeOnline = append(comeOnline, r.seconds)
			} else {
				switchOn = append(switchOn, r.seconds)
			}
			violations = append(violations, float64(len(r.violations)))
			notes = append(notes, fmt.Sprintf("round %d, %s: all %d assigned in %.2f s (the requests answered in %.2f s); %d violations",
				round, v, r.expected, r.seconds, r.requests, len(r.violations)))
			for i, msg := range r.violations {
				if i == 5 {
					notes = append(notes, fmt.Sprintf("  … %d more", len(r.violations)-5))
					break
				}
				notes = append(notes, "  "+msg)
			}
		}
	}
	what := fmt.Sprintf("%d queued, %d agents", sz.AssignQueued, sz.AssignAgents)
	notes = append(notes, fmt.Sprintf("limit %d each, so %d × %d = %d: every conversation is assigned and every agent ends with exactly %d",
		sz.AssignLimit, sz.AssignAgents, sz.AssignLimit, sz.AssignAgents*sz.AssignLimit, sz.AssignLimit))
	return []Figure{
		figure("all assigned, agents come online ("+what+")", "s", comeOnline, "", nil).goal("≤ 1 s", atMost(1)),
		figure("all assigned, automatic assignment switched on ("+what+")", "s", switchOn, "", nil).goal("≤ 1 s", atMost(1)),
		figure("exactness violations (worst round)", "", []float64{maxOf(violations)}, "", nil).goal("0", atMost(0)),
	}, notes, nil
}

type assignResult struct {
	expected   int
	seconds    float64 // start → every agent's stream has all its assignments
	requests   float64 // start → the requests that started it answered
	violations []string
}

func assignRound(ctx context.Context, b *bench, round int, variant string) (assignResult, error) {
	sz := b.sz
	var r assignResult
	p, err := b.santrald(ctx, "assign-"+variant)
	if err != nil {
		return r, err
	}
	defer b.release(p)
	adm, err := admin(ctx, p.base)
	if err != nil {
		return r, err
	}
	if err := adm.settings(ctx, func(s *wire.Settings) { s.AutoAssign = false }); err != nil {
		return r, err
	}
	if err := parallel(ctx, sz.AssignQueued, 32, func(i int) error {
		_, err := sandboxMessage(ctx, p.base, fmt.Sprintf("c%d-%d", round, i), fmt.Sprintf("m%d", i), "Merhaba, siparişim ne zaman gelir?")
		return err
	}); err != nil {
		return r, err
	}
	agents, err := createAgents(ctx, adm, sz.AssignAgents, intp(sz.AssignLimit), "assign")
	if err != nil {
		return r, err
	}
	r.expected = min(sz.AssignQueued, sz.AssignAgents*sz.AssignLimit)

	// The admin's stream keeps every event for the exactness check afterwards.
	var logMu sync.Mutex
	var log [][]byte
	logged := map[int64]bool{} // conversations whose assignment the admin's stream has
	admStream, err := adm.stream(ctx, func(raw []byte, _ time.Time) {
		logMu.Lock()
		defer logMu.Unlock()
		log = append(log, bytes.Clone(raw))
		for _, c := range assignedIn(raw) {
			logged[c.ID] = true
		}
	})
	if err != nil {
		return r, err
	}
	defer admStream.close()
	// Each agent's stream counts the conversations assigned to that agent; most frames are
	// other agents' assignments (redacted), skipped without decoding.
	var total atomic.Int64
	streams := make([]*eventStream, len(agents))
	defer func() { closeStreams(streams) }()
	if err := parallel(ctx, len(agents), 16, func(i int) error {
		me := agents[i].user.ID
		needle := []byte(`"agent_id":` + strconv.FormatInt(me, 10) + `,`)
		seen := map[int64]bool{}
		var err error
		streams[i], err = agents[i].stream(ctx, func(raw []byte, _ time.Time) {
			if !bytes.Contains(raw, needle) {
				return
			}
			for _, c := range assignedIn(raw) {
				if c.AgentID != nil && *c.AgentID == me && !c.Redacted && !seen[c.ID] {
					seen[c.ID] = true
					total.Add(1)
				}
			}
		})
		return err
	}); err != nil {
		return r, err
	}

	online := func() error {
		return barrier(ctx, len(agents), func(i int) error { return agents[i].presence(ctx, wire.Online) })
	}
	var start time.Time
	switch variant {
	case "online":
		if err := adm.settings(ctx, func(s *wire.Settings) { s.AutoAssign = true }); err != nil {
			return r, err
		}
		start = time.Now()
		if err := online(); err != nil {
			return r, err
		}
	case "switch":
		if err := online(); err != nil {
			return r, err
		}
		start = time.Now()
		if err := adm.settings(ctx, func(s *wire.Settings) { s.AutoAssign = true }); err != nil {
			return r, err
		}
	}
	r.requests = time.Since(start).Seconds()
	if err := waitFor(ctx, 5*time.Minute, "every assignment on the agents' streams", func() (bool, error) {
		return total.Load() >= int64(r.expected), nil
	}); err != nil {
		return r, fmt.Errorf("%w (%d of %d arrived)", err, total.Load(), r.expected)
	}
	r.seconds = time.Since(start).Seconds()

	r.violations, err = checkAssignments(ctx, adm, agents, sz.AssignLimit, r.expected, sz.AssignQueued)
	if err != nil {
		return r, err
	}
	if err := waitFor(ctx, time.Minute, "every assignment on the admin's stream", func() (bool, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return len(logged) >= r.expected, nil
	}); err != nil {
		r.violations = append(r.violations, err.Error())
	}
	logMu.Lock()
	frames := slices.Clone(log)
	logMu.Unlock()
	r.violations = append(r.violations, replayAssignments(frames, agents, sz.AssignLimit, r.expected)...)
	return r, nil
}

type assignedFrame struct {
	Events []struct {
		Seq  int64           `json:"seq"`
		Type string          `json:"type"`
		At   int64           `json:"at"`
		Data json.RawMessage `json:"data"`
	} `json:"events"`
}

// assignedIn returns the conversations of a frame's conversation.assigned events.
func assignedIn(raw []byte) []wire.Conversation {
	var f assignedFrame
	if json.Unmarshal(raw, &f) != nil {
		return nil
	}
	var out []wire.Conversation
	for _, e := range f.Events {
		if e.Type != wire.EventConversationAssigned {
			continue
		}
		var d wire.AssignedData
		if json.Unmarshal(e.Data, &d) == nil {
			out = append(out, d.Conversation)
		}
	}
	return out
}

// checkAssignments asks the API: every agent at or below its limit, the holders' lists
// disjoint and complete, the queue holding what is left.
func checkAssignments(ctx context.Context, adm *apiClient, agents []*apiClient, limit, expected, queued int) ([]string, error) {
	var bad []string
	users, err := adm.users(ctx)
	if err != nil {
		return nil, err
	}
	ours := map[int64]bool{}
	for _, a := range agents {
		ours[a.user.ID] = true
	}
	sum := 0
	for _, u := range users {
		if !ours[u.ID] {
			continue
		}
		sum += u.Active
		if u.Active > u.EffectiveLimit || u.Active > limit {
			bad = append(bad, fmt.Sprintf("agent %d holds %d, limit %d", u.ID, u.Active, u.EffectiveLimit))
		}
	}
	if sum != expected {
		bad = append(bad, fmt.Sprintf("agents hold %d conversations in all, want %d", sum, expected))
	}
	lists := make([][]wire.Conversation, len(agents))
	if err := parallel(ctx, len(agents), 16, func(i int) error {
		var err error
		lists[i], err = agents[i].list(ctx, "mine")
		return err
	}); err != nil {
		return nil, err
	}
	holder := map[int64]int64{}
	for i, list := range lists {
		for _, c := range list {
			if other, ok := holder[c.ID]; ok {
				bad = append(bad, fmt.Sprintf("conversation %d is in the lists of agents %d and %d", c.ID, other, agents[i].user.ID))
			}
			holder[c.ID] = agents[i].user.ID
		}
	}
	if len(holder) != expected {
		bad = append(bad, fmt.Sprintf("%d conversations in the agents' lists, want %d", len(holder), expected))
	}
	queue, err := adm.list(ctx, "queue")
	if err != nil {
		return nil, err
	}
	if want := min(queued-expected, 500); len(queue) != want { // the queue view shows 500 at most
		bad = append(bad, fmt.Sprintf("the queue shows %d conversations, want %d", len(queue), want))
	}
	return bad, nil
}

// replayAssignments walks the event log in order, keeping who is online and how many each
// agent holds, and checks every automatic assignment against the rule: the agent is online and
// below its limit, no eligible agent holds fewer, none of the eligible with as few waited
// longer (last assignment earlier), and conversations leave the queue oldest first.
func replayAssignments(frames [][]byte, agents []*apiClient, limit, expected int) []string {
	var bad []string
	ours := map[int64]bool{}
	for _, a := range agents {
		ours[a.user.ID] = true
	}
	online := map[int64]bool{}
	active := map[int64]int{}
	last := map[int64]int64{}
	assigned := map[int64]bool{}
	var prevQueued, prevID int64
	lastSeq := int64(0)
	for _, raw := range frames {
		var f assignedFrame
		if json.Unmarshal(raw, &f) != nil {
			continue
		}
		for _, e := range f.Events {
			if e.Seq <= lastSeq {
				continue
			}
			lastSeq = e.Seq
			switch e.Type {
			case wire.EventPresenceChanged:
				var d wire.PresenceData
				if json.Unmarshal(e.Data, &d) == nil && ours[d.User.ID] {
					online[d.User.ID] = d.User.Presence == wire.Online
				}
			case wire.EventConversationAssigned:
				var d wire.AssignedData
				if json.Unmarshal(e.Data, &d) != nil || d.Conversation.AgentID == nil || assigned[d.Conversation.ID] {
					continue
				}
				c, agent := d.Conversation, *d.Conversation.AgentID
				assigned[c.ID] = true
				if !ours[agent] || d.By != "auto" {
					bad = append(bad, fmt.Sprintf("seq %d: conversation %d went to %d by %q", e.Seq, c.ID, agent, d.By))
					continue
				}
				if !online[agent] {
					bad = append(bad, fmt.Sprintf("seq %d: conversation %d went to agent %d, not online", e.Seq, c.ID, agent))
				}
				if active[agent] >= limit {
					bad = append(bad, fmt.Sprintf("seq %d: agent %d got a conversation at its limit %d", e.Seq, agent, limit))
				}
				for other, on := range online {
					if !on || other == agent || active[other] >= limit {
						continue
					}
					if active[other] < active[agent] {
						bad = append(bad, fmt.Sprintf("seq %d: agent %d (holding %d) got conversation %d while agent %d held %d", e.Seq, agent, active[agent], c.ID, other, active[other]))
						break
					}
					if active[other] == active[agent] && last[other] < last[agent] {
						bad = append(bad, fmt.Sprintf("seq %d: agent %d got conversation %d before agent %d, who waited longer", e.Seq, agent, c.ID, other))
						break
					}
				}
				if c.QueuedAt < prevQueued || (c.QueuedAt == prevQueued && c.ID < prevID) {
					bad = append(bad, fmt.Sprintf("seq %d: conversation %d left the queue after a newer one (%d)", e.Seq, c.ID, prevID))
				}
				prevQueued, prevID = c.QueuedAt, c.ID
				active[agent]++
				last[agent] = e.At
			}
		}
	}
	if len(assigned) != expected {
		bad = append(bad, fmt.Sprintf("the event log shows %d assignments, want %d", len(assigned), expected))
	}
	return bad
}
