package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"santral/backend/store"
	"santral/backend/wire"
	"santral/build/bench/history"
)

type searchQuery struct{ name, query string }

var searchQueries = []searchQuery{
	{"list, no search", ""},
	{"common word " + history.CommonWord, "q=" + url.QueryEscape(history.CommonWord)},
	{"rare word " + history.RareWord, "q=" + url.QueryEscape(history.RareWord)},
	{"prefix " + history.Prefix, "q=" + url.QueryEscape(history.Prefix)},
	{"two words " + history.Phrase, "q=" + url.QueryEscape(history.Phrase)},
	{"customer filter, no match", "customer=" + url.QueryEscape(history.NoCustomer)},
}

// runSearch: history databases of each scale (generated once and kept in the history cache),
// santrald started on each, and an agent's history tab searched: p95 of each query's first
// page. The smallest scale is the baseline of the larger ones.
func runSearch(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	var notes []string
	p95 := map[string][]float64{} // query name → per scale
	for _, n := range sz.HistoryScales {
		var p *proc
		if b.opt.DB != "" {
			pg, drop, note, err := historyPostgres(ctx, b, n)
			if err != nil {
				return nil, notes, err
			}
			defer drop()
			notes = append(notes, note)
			if p, err = startSantrald(ctx, b.opt.Santrald, b.dir(fmt.Sprintf("history-%d", n)), b.pgArgs("--db", pg)...); err != nil {
				return nil, notes, err
			}
		} else {
			dir, note, err := historyDatabase(ctx, b, n)
			if err != nil {
				return nil, notes, err
			}
			notes = append(notes, note)
			b.progress("%d conversations: santrald on %s", n, dir)
			if p, err = startSantrald(ctx, b.opt.Santrald, dir); err != nil {
				return nil, notes, err
			}
		}
		res, err := searchScale(ctx, b, p)
		p.stop()
		if err != nil {
			return nil, notes, fmt.Errorf("%d conversations: %w", n, err)
		}
		for _, q := range searchQueries {
			p95[q.name] = append(p95[q.name], res[q.name])
		}
	}
	var figs []Figure
	small := sz.HistoryScales[0]
	for _, q := range searchQueries {
		for i, n := range sz.HistoryScales {
			metric := fmt.Sprintf("p95 %s, %s conversations", q.name, scaleName(n))
			if i == 0 {
				figs = append(figs, figure(metric, "ms", []float64{p95[q.name][0]}, "", nil).goal("≤ 50 ms", atMost(50)))
				continue
			}
			f := figure(metric, "ms", []float64{p95[q.name][i]}, "at "+scaleName(small), []float64{p95[q.name][0]})
			figs = append(figs, f.goal("≤ 50 ms and ≤ 1.5× at "+scaleName(small), func(f Figure) bool {
				return val(f.Santrald) <= 50 && f.Ratio != nil && *f.Ratio <= 1.5
			}))
		}
	}
	notes = append(notes, fmt.Sprintf("an agent's history tab (GET /api/v1/conversations?view=history&…), first page; %d samples per query or %s, after 2 unmeasured",
		sz.HistorySamples, sz.HistoryBudget))
	return figs, notes, nil
}

func scaleName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// historyPostgres generates n conversations into a new database of the run's PostgreSQL
// server (every run: a database is not kept between runs unless -keep).
func historyPostgres(ctx context.Context, b *bench, n int) (string, func(), string, error) {
	pg, err := b.postgres(ctx)
	if err != nil {
		return "", nil, "", err
	}
	db, drop, err := pg.create(ctx, b.opt.Keep)
	if err != nil {
		return "", nil, "", err
	}
	b.progress("generating %d conversations into PostgreSQL", n)
	start, last := time.Now(), time.Now()
	if err := history.GeneratePostgres(ctx, db, n, func(done int) {
		if time.Since(last) > 10*time.Second {
			b.progress("  %d / %d conversations (%s)", done, n, time.Since(start).Round(time.Second))
			last = time.Now()
		}
	}); err != nil {
		drop()
		return "", nil, "", err
	}
	return db, drop, fmt.Sprintf("%s conversations (~%s messages) generated into PostgreSQL in %s", scaleName(n), scaleName(n*10), time.Since(start).Round(time.Second)), nil
}

// historyDatabase returns the data directory holding n conversations, generating it when the
// cache has none for this schema and generator version.
func historyDatabase(ctx context.Context, b *bench, n int) (string, string, error) {
	root, err := filepath.Abs(b.opt.HistoryCache)
	if err != nil {
		return "", "", err
	}
	dir := filepath.Join(root, fmt.Sprintf("history-%d-schema%d-v%d", n, store.SchemaVersion(), history.Version))
	done := filepath.Join(dir, "complete")
	if _, err := os.Stat(done); err == nil {
		return dir, fmt.Sprintf("%s conversations: the cached database %s", scaleName(n), dir), nil
	}
	os.RemoveAll(dir)
	tmp := dir + ".partial"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return "", "", err
	}
	b.progress("generating %d conversations into %s", n, dir)
	start := time.Now()
	last := time.Now()
	if err := history.Generate(ctx, tmp, n, func(done int) {
		if time.Since(last) > 10*time.Second {
			b.progress("  %d / %d conversations (%s)", done, n, time.Since(start).Round(time.Second))
			last = time.Now()
		}
	}); err != nil {
		os.RemoveAll(tmp)
		return "", "", err
	}
	took := time.Since(start)
	if err := os.Rename(tmp, dir); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(done, []byte(took.String()+"\n"), 0o644); err != nil {
		return "", "", err
	}
	size := int64(0)
	if fi, err := os.Stat(filepath.Join(dir, "santral.db")); err == nil {
		size = fi.Size()
	}
	return dir, fmt.Sprintf("%s conversations (~%s messages) generated in %s, %d MB", scaleName(n), scaleName(n*10), took.Round(time.Second), size>>20), nil
}

// searchScale logs in as a seeded agent and times each query.
func searchScale(ctx context.Context, b *bench, p *proc) (map[string]float64, error) {
	agent, err := login(ctx, p.base, "agent1", history.AgentPassword)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, q := range searchQueries {
		path := "/api/v1/conversations?view=history&" + q.query
		var page wire.ConversationPage
		for range 2 {
			if err := agent.do(ctx, "GET", path, nil, &page); err != nil {
				return nil, err
			}
		}
		if q.name == searchQueries[1].name && len(page.Conversations) == 0 {
			return nil, fmt.Errorf("%q found nothing: the generator no longer fills the full-text index as santrald does", history.CommonWord)
		}
		lat := &samples{}
		deadline := time.Now().Add(b.sz.HistoryBudget)
		for i := 0; i < b.sz.HistorySamples && (i < 5 || time.Now().Before(deadline)); i++ {
			t0 := time.Now()
			if err := agent.do(ctx, "GET", path, nil, &page); err != nil {
				return nil, err
			}
			lat.add(time.Since(t0))
		}
		out[q.name] = lat.pct(95)
		b.progress("  %s: p95 %.1f ms (%d samples)", q.name, out[q.name], lat.len())
	}
	return out, nil
}
