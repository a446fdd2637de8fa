package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runIngest: signed WhatsApp webhooks, closed loop, 64 concurrent and then one at a time, each
// a new message (fresh wamid, current timestamp) from one of a few hundred customers, answered
// 200 only after santrald's commit. Baselines: the same bytes to a bare net/http handler and to
// a writer that fsyncs grouped commits (the durable floor).
func runIngest(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	var (
		rate, p50, p99, serialP50, serialP99                  []float64
		bareRate, bareP50, bareP99, bareSerialP50, bareSerial []float64
		groupRate, groupP99                                   []float64
	)
	var notes []string
	for round := 1; round <= sz.Rounds; round++ {
		b.progress("round %d/%d: santrald, %d concurrent for %s", round, sz.Rounds, sz.IngestConcurrency, sz.IngestFor)
		r64, r1, err := ingestSantrald(ctx, b, round)
		if err != nil {
			return nil, notes, err
		}
		if r64.errors+r1.errors > 0 {
			notes = append(notes, fmt.Sprintf("round %d: %d webhooks failed (first: %v)", round, r64.errors+r1.errors, firstErr(r64, r1)))
		}
		rate, p50, p99 = append(rate, r64.rate()), append(p50, r64.lat.pct(50)), append(p99, r64.lat.pct(99))
		serialP50, serialP99 = append(serialP50, r1.lat.pct(50)), append(serialP99, r1.lat.pct(99))

		b.progress("round %d/%d: baselines (bare handler, grouped fsync)", round, sz.Rounds)
		base, err := startBaseline(ctx, b.dir("baseline"))
		if err != nil {
			return nil, notes, err
		}
		body := whatsappText("905321234567", "wamid.bench", "Ayşe Yılmaz", ingestText, time.Now())
		post := func(path string) func(ctx context.Context, seq int64) error {
			return func(ctx context.Context, seq int64) error { return postBytes(ctx, base.base+path, body) }
		}
		bare := closedLoop(ctx, sz.IngestConcurrency, sz.IngestFor, post("/bare"))
		group := closedLoop(ctx, sz.IngestConcurrency, sz.IngestFor, post("/grouped"))
		bare1 := closedLoop(ctx, 1, sz.IngestSerialFor, post("/bare"))
		b.release(base)
		if err := firstErr(bare, group, bare1); err != nil {
			return nil, notes, fmt.Errorf("baseline: %w", err)
		}
		bareRate, bareP50, bareP99 = append(bareRate, bare.rate()), append(bareP50, bare.lat.pct(50)), append(bareP99, bare.lat.pct(99))
		bareSerialP50, bareSerial = append(bareSerialP50, bare1.lat.pct(50)), append(bareSerial, bare1.lat.pct(99))
		groupRate, groupP99 = append(groupRate, group.rate()), append(groupP99, group.lat.pct(99))
	}
	c := fmt.Sprintf("%d concurrent", sz.IngestConcurrency)
	figs := []Figure{
		figure("throughput, "+c, "req/s", rate, "bare net/http handler", bareRate).goal("≥ 0.30× bare handler", ratioAtLeast(0.30)),
		figure("throughput vs grouped fsync, "+c, "req/s", rate, "grouped-fsync writer", groupRate).goal("≥ 0.5× grouped-fsync writer", ratioAtLeast(0.5)),
		figure("p50 latency, "+c, "ms", p50, "bare net/http handler", bareP50),
		figure("p99 latency, "+c, "ms", p99, "bare net/http handler", bareP99).goal("≤ 50 ms", atMost(50)),
		figure("p99 latency vs grouped fsync, "+c, "ms", p99, "grouped-fsync writer", groupP99),
		noWorseThanToday(b, figure("p50 latency, concurrency 1", "ms", serialP50, "bare net/http handler", bareSerialP50)),
		figure("p99 latency, concurrency 1", "ms", serialP99, "bare net/http handler", bareSerial),
	}
	return figs, notes, nil
}

const ingestText = "Merhaba, 1043 numaralı siparişim ne zaman kargoya verilecek? 📦"

func ingestSantrald(ctx context.Context, b *bench, round int) (closedResult, closedResult, error) {
	sz := b.sz
	p, err := b.santrald(ctx, "ingest")
	if err != nil {
		return closedResult{}, closedResult{}, err
	}
	defer b.release(p)
	adm, err := admin(ctx, p.base)
	if err != nil {
		return closedResult{}, closedResult{}, err
	}
	ch, err := createWhatsApp(ctx, adm)
	if err != nil {
		return closedResult{}, closedResult{}, err
	}
	url := fmt.Sprintf("%s/webhooks/%d", p.base, ch)
	deliver := func(phase string) func(ctx context.Context, seq int64) error {
		return func(ctx context.Context, seq int64) error {
			from := fmt.Sprintf("90532%07d", seq%int64(sz.IngestCustomers))
			body := whatsappText(from, fmt.Sprintf("wamid.bench.%d.%s.%d", round, phase, seq), "Müşteri "+from, ingestText, time.Now())
			return postWebhook(ctx, url, body)
		}
	}
	// Every customer's conversation exists before timing: the timed part is the steady state of
	// messages arriving in open conversations and new ones starting as customers come back.
	warm := closedLoop(ctx, 8, min(time.Second, sz.IngestFor), deliver("warm"))
	if warm.requests == 0 {
		return closedResult{}, closedResult{}, fmt.Errorf("no webhook accepted while warming up: %v", warm.firstErr)
	}
	r64 := closedLoop(ctx, sz.IngestConcurrency, sz.IngestFor, deliver("c64"))
	r1 := closedLoop(ctx, 1, sz.IngestSerialFor, deliver("c1"))
	if r64.requests == 0 || r1.requests == 0 {
		return r64, r1, fmt.Errorf("no webhook accepted: %v", firstErr(r64, r1))
	}
	return r64, r1, nil
}

func firstErr(rs ...closedResult) error {
	for _, r := range rs {
		if r.firstErr != nil {
			return r.firstErr
		}
	}
	return nil
}

func postBytes(ctx context.Context, url string, body []byte) error {
	return sendBytes(ctx, "POST", url, body)
}

func sendBytes(ctx context.Context, method, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, url, res.StatusCode)
	}
	return nil
}

// noWorseThanToday judges "latency no worse than today" against the same figure of the
// -reference run (santrald before the change), allowing 10% for noise.
func noWorseThanToday(b *bench, f Figure) Figure {
	ref, ok := referenceValue(b, "ingest", f.Metric)
	if !ok {
		f.Goal = "no worse than today (needs -reference)"
		return f
	}
	return f.goal(fmt.Sprintf("no worse than today (%.2f ms, +10%%)", ref), atMost(ref*1.10))
}

func referenceValue(b *bench, scenario, metric string) (float64, bool) {
	if b.opt.Reference == "" {
		return 0, false
	}
	ref, err := readReference(b.opt.Reference)
	if err != nil {
		return 0, false
	}
	v, ok := ref[scenario+"/"+metric]
	return v, ok
}
