package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// runIdle: santrald's resident memory growth per idle agent stream (logged in, stream open,
// nothing happening) and its CPU while they idle, at each level; baseline: a bare gorilla
// server holding the same number of sockets. The users are logged in before the first
// reading, so the growth is the sockets'.
func runIdle(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	levels := sz.IdleLevels
	kb := make([][]float64, len(levels))
	cores := make([][]float64, len(levels))
	bkb := make([][]float64, len(levels))
	bcores := make([][]float64, len(levels))
	for round := 1; round <= sz.Rounds; round++ {
		b.progress("round %d/%d: santrald, agent streams %v, %s idle window", round, sz.Rounds, levels, sz.IdleWindow)
		k, c, err := idleSantrald(ctx, b)
		if err != nil {
			return nil, nil, err
		}
		b.progress("round %d/%d: bare gorilla server, sockets %v", round, sz.Rounds, levels)
		bk, bc, err := idleBaseline(ctx, b)
		if err != nil {
			return nil, nil, err
		}
		for i := range levels {
			kb[i], cores[i] = append(kb[i], k[i]), append(cores[i], c[i])
			bkb[i], bcores[i] = append(bkb[i], bk[i]), append(bcores[i], bc[i])
		}
	}
	var figs []Figure
	top := len(levels) - 1
	for i, n := range levels {
		m := figure(fmt.Sprintf("memory per idle stream, %d open", n), "KB", kb[i], "bare gorilla server", bkb[i])
		c := figure(fmt.Sprintf("idle CPU, %d streams open", n), "cores", cores[i], "bare gorilla server", bcores[i])
		if i == top {
			m = m.goal("≤ 20 KB each", atMost(20))
			c = c.goal("≈ 0 (≤ 0.01 cores)", atMost(0.01))
		}
		figs = append(figs, m, c)
	}
	return figs, []string{
		fmt.Sprintf("memory: VmRSS growth ÷ sockets, after a settle; CPU: utime + stime over %s ÷ the window", sz.IdleWindow),
		"santrald pings each stream every 20 s; the bare server does not ping",
	}, nil
}

// measureIdle opens sockets up to each level with open(n), then reads p's memory growth per
// socket and its CPU over the window.
func measureIdle(ctx context.Context, b *bench, p *proc, open func(upTo int) error) ([]float64, []float64, error) {
	time.Sleep(b.sz.Settle)
	rss0, err := p.rss()
	if err != nil {
		return nil, nil, err
	}
	var kb, cores []float64
	for _, n := range b.sz.IdleLevels {
		if err := open(n); err != nil {
			return nil, nil, err
		}
		time.Sleep(b.sz.Settle) // the connections' set-up is over
		rss, err := p.rss()
		if err != nil {
			return nil, nil, err
		}
		cpu0, err := p.cpu()
		if err != nil {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(b.sz.IdleWindow):
		}
		cpu1, err := p.cpu()
		if err != nil {
			return nil, nil, err
		}
		kb = append(kb, float64(rss-rss0)/1024/float64(n))
		cores = append(cores, (cpu1-cpu0).Seconds()/b.sz.IdleWindow.Seconds())
	}
	return kb, cores, nil
}

func idleSantrald(ctx context.Context, b *bench) ([]float64, []float64, error) {
	p, err := b.santrald(ctx, "idle")
	if err != nil {
		return nil, nil, err
	}
	defer b.release(p)
	adm, err := admin(ctx, p.base)
	if err != nil {
		return nil, nil, err
	}
	most := b.sz.IdleLevels[len(b.sz.IdleLevels)-1]
	b.progress("  creating and logging in %d agents", most)
	agents, err := createAgents(ctx, adm, most, nil, "idle")
	if err != nil {
		return nil, nil, err
	}
	streams := make([]*eventStream, 0, most)
	defer func() { closeStreams(streams) }()
	return measureIdle(ctx, b, p, func(upTo int) error {
		from := len(streams)
		more := make([]*eventStream, upTo-from)
		err := parallel(ctx, len(more), 16, func(i int) error {
			var err error
			more[i], err = agents[from+i].stream(ctx, nil)
			return err
		})
		for _, s := range more {
			if s != nil {
				streams = append(streams, s)
			}
		}
		return err
	})
}

func idleBaseline(ctx context.Context, b *bench) ([]float64, []float64, error) {
	p, err := startBaseline(ctx, b.dir("baseline"))
	if err != nil {
		return nil, nil, err
	}
	defer b.release(p)
	u := "ws" + strings.TrimPrefix(p.base, "http") + "/ws"
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	return measureIdle(ctx, b, p, func(upTo int) error {
		from := len(conns)
		more := make([]*websocket.Conn, upTo-from)
		err := parallel(ctx, len(more), 16, func(i int) error {
			c, _, err := dialer.DialContext(ctx, u, nil)
			if err == nil {
				go func() {
					for {
						if _, _, err := c.ReadMessage(); err != nil {
							return
						}
					}
				}()
			}
			more[i] = c
			return err
		})
		for _, c := range more {
			if c != nil {
				conns = append(conns, c)
			}
		}
		return err
	})
}
