package main

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"santral/backend/webchat"
	"santral/backend/wire"
)

// runCPU: santrald's CPU time (utime + stime from /proc) for a burst of website-chat messages,
// divided by their number, first with no idle sockets open, then with idle agents' streams
// (online, limit 0: they see none of the traffic) and idle visitors' sockets open. The
// messages come from a few active visitors whose conversations one agent holds; a burst is
// over when every message's event reached that agent's socket.
func runCPU(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	var none, with []float64
	for round := 1; round <= sz.Rounds; round++ {
		b.progress("round %d/%d: %d messages with no idle sockets, then with %d agent streams + %d visitor sockets", round, sz.Rounds,
			sz.CPUMessages, sz.CPUIdleAgents, sz.CPUIdleVisitors)
		n, w, err := cpuRound(ctx, b, round)
		if err != nil {
			return nil, nil, err
		}
		none, with = append(none, n), append(with, w)
	}
	idle := sz.CPUIdleAgents + sz.CPUIdleVisitors
	return []Figure{
			figure("CPU per message, no idle sockets", "ms", none, "", nil),
			figure(fmt.Sprintf("CPU per message, %d idle sockets", idle), "ms", with, "no idle sockets", none).goal("≤ 1.2× with none", ratioAtMost(1.2)),
		}, []string{fmt.Sprintf("idle sockets: %d agents' streams (online, limit 0) and %d website visitors' sockets; %d messages a burst from %d visitors",
			sz.CPUIdleAgents, sz.CPUIdleVisitors, sz.CPUMessages, sz.CPUActive)}, nil
}

func cpuRound(ctx context.Context, b *bench, round int) (float64, float64, error) {
	sz := b.sz
	p, err := b.santrald(ctx, "cpu")
	if err != nil {
		return 0, 0, err
	}
	defer b.release(p)
	adm, err := admin(ctx, p.base)
	if err != nil {
		return 0, 0, err
	}
	holders, err := createAgents(ctx, adm, 1, intp(sz.CPUActive*2), "holder")
	if err != nil {
		return 0, 0, err
	}
	holder := holders[0]
	var got atomic.Int64
	needle := []byte(`"type":"` + wire.EventMessageCreated + `"`)
	s, err := holder.stream(ctx, func(raw []byte, _ time.Time) { got.Add(int64(bytes.Count(raw, needle))) })
	if err != nil {
		return 0, 0, err
	}
	defer s.close()
	if err := holder.presence(ctx, wire.Online); err != nil {
		return 0, 0, err
	}
	active := make([]*visitorSocket, sz.CPUActive)
	defer func() {
		for _, v := range active {
			if v != nil {
				v.close()
			}
		}
	}()
	if err := parallel(ctx, sz.CPUActive, 8, func(i int) error {
		v, err := openVisitor(ctx, p.base, func(webchat.ServerFrame) {})
		active[i] = v
		if err != nil {
			return err
		}
		return v.send("warm", "Merhaba, siparişim hakkında bir sorum var.")
	}); err != nil {
		return 0, 0, err
	}
	if err := waitFor(ctx, 30*time.Second, "the agent holding every active visitor's conversation", func() (bool, error) {
		mine, err := holder.list(ctx, "mine")
		return len(mine) == sz.CPUActive && got.Load() >= int64(sz.CPUActive), err
	}); err != nil {
		return 0, 0, err
	}

	burst := func(phase string) (float64, error) {
		time.Sleep(b.sz.Settle / 4) // let the previous work finish before the window opens
		target := got.Load() + int64(sz.CPUMessages)
		cpu0, err := p.cpu()
		if err != nil {
			return 0, err
		}
		each := sz.CPUMessages / sz.CPUActive
		if err := parallel(ctx, sz.CPUActive, sz.CPUActive, func(i int) error {
			for k := range each {
				if err := active[i].send(fmt.Sprintf("%s-%d", phase, k), fmt.Sprintf("Kargo takip numarası TR%09d çalışmıyor", k)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return 0, err
		}
		if err := waitFor(ctx, 60*time.Second, "every message's event on the agent's socket", func() (bool, error) {
			return got.Load() >= target, nil
		}); err != nil {
			return 0, err
		}
		cpu1, err := p.cpu()
		if err != nil {
			return 0, err
		}
		return ms(cpu1-cpu0) / float64(each*sz.CPUActive), nil
	}
	none, err := burst("none")
	if err != nil {
		return 0, 0, err
	}

	agents, err := createAgents(ctx, adm, sz.CPUIdleAgents, intp(0), "idle")
	if err != nil {
		return 0, 0, err
	}
	streams := make([]*eventStream, len(agents))
	defer func() { closeStreams(streams) }()
	if err := parallel(ctx, len(agents), 16, func(i int) error {
		if err := agents[i].presence(ctx, wire.Online); err != nil {
			return err
		}
		s, err := agents[i].stream(ctx, nil)
		streams[i] = s
		return err
	}); err != nil {
		return 0, 0, err
	}
	visitors := make([]*visitorSocket, sz.CPUIdleVisitors)
	defer func() {
		for _, v := range visitors {
			if v != nil {
				v.close()
			}
		}
	}()
	if err := parallel(ctx, len(visitors), 16, func(i int) error {
		var err error
		visitors[i], err = openVisitor(ctx, p.base, nil)
		return err
	}); err != nil {
		return 0, 0, err
	}
	time.Sleep(b.sz.Settle) // the connections' own set-up work is not the messages'
	with, err := burst("with")
	return none, with, err
}
