package main

// The cluster scenario (issue 9): three santrald processes on one new PostgreSQL database,
// waking each other through NATS. A customer's signed webhook goes to node A and its event is
// timed to the socket of the agent whose app is connected to node B, beside the same load
// through one node on the same PostgreSQL server (the goal: at most twice its latency); ingest
// throughput with the load spread over the three nodes beside one node; and, as a reading of
// the backends, one PostgreSQL node beside one SQLite node.

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"
)

// cluster is n santrald nodes on one database.
type cluster struct {
	nodes []*proc
	drop  func()
}

// startCluster starts n nodes named node1… on a new PostgreSQL database, sharing one secret key,
// waking each other through natsURL ("" : by their poll only); it returns once every node
// answers /readyz (with NATS: connected).
func (b *bench) startCluster(ctx context.Context, name string, n int, natsURL string) (*cluster, error) {
	pg, err := b.postgres(ctx)
	if err != nil {
		return nil, err
	}
	db, drop, err := pg.create(ctx, b.opt.Keep)
	if err != nil {
		return nil, err
	}
	c := &cluster{drop: drop}
	b.seq++
	key := filepath.Join(b.work, fmt.Sprintf("%02d-%s.key", b.seq, name)) // node1 creates it
	for i := range n {
		args := b.pgArgs("--db", db, "--node", fmt.Sprintf("node%d", i+1), "--secret-key-file", key)
		if natsURL != "" {
			args = append(args, "--nats", natsURL)
		}
		// One after another: node1 migrates the new database and creates the admin.
		p, err := startSantrald(ctx, b.opt.Santrald, b.dir(fmt.Sprintf("%s-node%d", name, i+1)), args...)
		if err != nil {
			c.release(b)
			return nil, err
		}
		c.nodes = append(c.nodes, p)
	}
	for _, p := range c.nodes {
		if err := waitFor(ctx, 30*time.Second, p.base+" ready (database and NATS)", func() (bool, error) {
			res, err := http.Get(p.base + "/readyz")
			if err != nil {
				return false, nil
			}
			res.Body.Close()
			return res.StatusCode == http.StatusOK, nil
		}); err != nil {
			c.release(b)
			return nil, err
		}
	}
	return c, nil
}

func (c *cluster) bases() []string {
	var out []string
	for _, p := range c.nodes {
		out = append(out, p.base)
	}
	return out
}

func (c *cluster) release(b *bench) {
	for _, p := range c.nodes {
		b.release(p)
	}
	c.drop()
}

// acrossNodes measures webhooks on the first node to a socket on the second (or the only) one.
func acrossNodes(ctx context.Context, b *bench, name string, n, rate, round int) (delivery, error) {
	natsURL := ""
	if n > 1 {
		natsURL = b.opt.NATS
	}
	c, err := b.startCluster(ctx, name, n, natsURL)
	if err != nil {
		return delivery{}, err
	}
	defer c.release(b)
	in, at := c.nodes[0].base, c.nodes[len(c.nodes)-1].base
	if n > 1 {
		at = c.nodes[1].base
	}
	return toAgentAcross(ctx, in, at, rate, b.sz.ClusterFor, b.sz.ClusterCustomers, 0, round)
}

// ingestSpread posts signed webhooks, 64 at a time, each to the next node in turn.
func ingestSpread(ctx context.Context, b *bench, bases []string, round int) (closedResult, error) {
	sz := b.sz
	adm, err := admin(ctx, bases[0])
	if err != nil {
		return closedResult{}, err
	}
	ch, err := createWhatsApp(ctx, adm)
	if err != nil {
		return closedResult{}, err
	}
	var urls []string
	for _, base := range bases {
		urls = append(urls, fmt.Sprintf("%s/webhooks/%d", base, ch))
	}
	deliver := func(phase string) func(ctx context.Context, seq int64) error {
		return func(ctx context.Context, seq int64) error {
			from := fmt.Sprintf("90532%07d", seq%int64(sz.IngestCustomers))
			body := whatsappText(from, fmt.Sprintf("wamid.cluster.%d.%s.%d", round, phase, seq), "Müşteri "+from, ingestText, time.Now())
			return postWebhook(ctx, urls[seq%int64(len(urls))], body)
		}
	}
	if warm := closedLoop(ctx, 8, min(time.Second, sz.IngestFor), deliver("warm")); warm.requests == 0 {
		return warm, fmt.Errorf("no webhook accepted while warming up: %v", warm.firstErr)
	}
	r := closedLoop(ctx, sz.IngestConcurrency, sz.IngestFor, deliver("c64"))
	if r.requests == 0 {
		return r, fmt.Errorf("no webhook accepted: %v", r.firstErr)
	}
	return r, nil
}

// sqliteNode measures one SQLite santrald the same ways: webhooks to its own socket at the
// cluster's rate, then ingest.
func sqliteNode(ctx context.Context, b *bench, round int) (delivery, closedResult, error) {
	p, err := startSantrald(ctx, b.opt.Santrald, b.dir("single-sqlite"))
	if err != nil {
		return delivery{}, closedResult{}, err
	}
	defer b.release(p)
	d, err := toAgentAcross(ctx, p.base, p.base, b.sz.ClusterRate, b.sz.ClusterFor, b.sz.ClusterCustomers, 0, round)
	if err != nil {
		return d, closedResult{}, err
	}
	r, err := ingestSpread(ctx, b, []string{p.base}, round)
	if err != nil {
		return d, r, fmt.Errorf("ingest, SQLite: %w", err)
	}
	return d, r, nil
}

func runCluster(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	type latency struct{ p50, p99, rate []float64 }
	add := func(l *latency, d delivery) {
		l.p50, l.p99, l.rate = append(l.p50, d.lat.pct(50)), append(l.p99, d.lat.pct(99)), append(l.rate, d.deliveredRate())
	}
	rates := []int{sz.ClusterRate}
	if sz.ClusterLowRate > 0 {
		rates = append(rates, sz.ClusterLowRate)
	}
	three, one := map[int]*latency{}, map[int]*latency{}
	for _, r := range rates {
		three[r], one[r] = &latency{}, &latency{}
	}
	var lite latency
	var ingest3, ingest1, ingestLite []float64
	var notes []string
	for round := 1; round <= sz.Rounds; round++ {
		for _, rate := range rates {
			b.progress("round %d/%d: one node on PostgreSQL, %d msg/s for %s", round, sz.Rounds, rate, sz.ClusterFor)
			d, err := acrossNodes(ctx, b, "single", 1, rate, round)
			if err != nil {
				return nil, notes, err
			}
			notes = append(notes, deliveryNote(round, fmt.Sprintf("one PostgreSQL node, %d msg/s", rate), d))
			add(one[rate], d)
			b.progress("round %d/%d: three nodes on PostgreSQL and NATS, node A → node B, %d msg/s", round, sz.Rounds, rate)
			if d, err = acrossNodes(ctx, b, "cluster", 3, rate, round); err != nil {
				return nil, notes, err
			}
			notes = append(notes, deliveryNote(round, fmt.Sprintf("three nodes, A → B, %d msg/s", rate), d))
			add(three[rate], d)
		}
		if sz.ClusterSQLite {
			b.progress("round %d/%d: one node on SQLite, %d msg/s, then ingest", round, sz.Rounds, sz.ClusterRate)
			d, r, err := sqliteNode(ctx, b, round)
			if err != nil {
				return nil, notes, err
			}
			notes = append(notes, deliveryNote(round, fmt.Sprintf("one SQLite node, %d msg/s", sz.ClusterRate), d))
			add(&lite, d)
			ingestLite = append(ingestLite, r.rate())
		}
		b.progress("round %d/%d: ingest, %d concurrent for %s: one and three PostgreSQL nodes", round, sz.Rounds, sz.IngestConcurrency, sz.IngestFor)
		for _, n := range []int{1, 3} {
			natsURL := ""
			if n > 1 {
				natsURL = b.opt.NATS
			}
			c, err := b.startCluster(ctx, fmt.Sprintf("ingest%d", n), n, natsURL)
			if err != nil {
				return nil, notes, err
			}
			r, err := ingestSpread(ctx, b, c.bases(), round)
			c.release(b)
			if err != nil {
				return nil, notes, fmt.Errorf("ingest, %d PostgreSQL nodes: %w", n, err)
			}
			if r.errors > 0 {
				notes = append(notes, fmt.Sprintf("round %d, ingest on %d nodes: %d webhooks failed (first: %v)", round, n, r.errors, r.firstErr))
			}
			if n == 1 {
				ingest1 = append(ingest1, r.rate())
			} else {
				ingest3 = append(ingest3, r.rate())
			}
		}
	}
	const single = "one node, same PostgreSQL"
	var figs []Figure
	for _, rate := range rates {
		at := fmt.Sprintf(", %d msg/s offered", rate)
		t, o := three[rate], one[rate]
		figs = append(figs,
			figure("delivered rate, node A → node B"+at, "msg/s", t.rate, single, o.rate),
			figure("p50 webhook on node A → socket on node B"+at, "ms", t.p50, single, o.p50).goal("≤ 2× one node", ratioAtMost(2)),
			figure("p99 webhook on node A → socket on node B"+at, "ms", t.p99, single, o.p99).goal("≤ 2× one node", ratioAtMost(2)),
		)
	}
	c := fmt.Sprintf(", %d concurrent", sz.IngestConcurrency)
	figs = append(figs, figure("ingest throughput, three PostgreSQL nodes (load spread)"+c, "req/s", ingest3, "one PostgreSQL node", ingest1))
	if sz.ClusterSQLite {
		at := fmt.Sprintf(", %d msg/s offered", sz.ClusterRate)
		o := one[sz.ClusterRate]
		figs = append(figs,
			figure("p50 webhook → socket, one PostgreSQL node"+at, "ms", o.p50, "one SQLite node", lite.p50),
			figure("p99 webhook → socket, one PostgreSQL node"+at, "ms", o.p99, "one SQLite node", lite.p99),
			figure("ingest throughput, one PostgreSQL node"+c, "req/s", ingest1, "one SQLite node", ingestLite),
		)
	}
	notes = append(notes, "every process (the nodes, PostgreSQL, NATS, the load) shares this machine's cores: three nodes add committers, not CPUs")
	return figs, notes, nil
}
