// Command santralbench measures santrald against bare baselines on the same machine, in one run
// and one process tree: it starts the santrald binary it is given (never building it) on fresh
// data directories and free ports, starts its baselines (a bare net/http handler, a writer that
// fsyncs grouped commits, one that fsyncs each request, a bare gorilla/websocket broadcast) as
// its own child processes, interleaves rounds of the two, and prints per scenario santrald's
// figure, the baseline's, their ratio and the goal of issue 8 with PASS or MISS. The same goes
// to a JSON file. Figures, never assertions:
//
//	make santrald && go run -tags sqlite_fts5 ./build/bench/santralbench -santrald bin/santrald
//
// BENCH_QUICK=1 (or -quick) runs every scenario once at small sizes: a smoke test. -db
// postgres://… runs every santrald on PostgreSQL (a new database each); the cluster scenario
// runs three nodes on PostgreSQL and NATS (-db's server, or the local one; -nats).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sizes are a run's loads; quick ones are for the smoke test.
type sizes struct {
	Rounds int

	IngestFor, IngestSerialFor time.Duration
	IngestConcurrency          int
	IngestCustomers            int

	FanoutRate      int
	FanoutFor       time.Duration
	FanoutCustomers int

	QuietRate, QuietOthers, QuietCustomers int
	QuietFor                               time.Duration

	CPUActive, CPUMessages, CPUIdleAgents, CPUIdleVisitors int

	PullAgents, PullQueued int

	AssignQueued, AssignAgents, AssignLimit int

	IdleLevels []int
	IdleWindow time.Duration

	// Settle is how long a measurement waits for earlier work (connections being set up) to
	// finish before its window opens.
	Settle time.Duration

	HistoryScales  []int
	HistorySamples int
	HistoryBudget  time.Duration

	// The cluster scenario: webhooks at the rate and at a lower one PostgreSQL keeps up
	// with on this machine, and ingest spread over the nodes.
	ClusterRate, ClusterLowRate, ClusterCustomers int
	ClusterFor                                    time.Duration
	ClusterSQLite                                 bool // one SQLite node beside one PostgreSQL node too
}

func fullSizes() sizes {
	return sizes{Rounds: 3,
		IngestFor: 10 * time.Second, IngestSerialFor: 5 * time.Second, IngestConcurrency: 64, IngestCustomers: 500,
		FanoutRate: 1000, FanoutFor: 10 * time.Second, FanoutCustomers: 50,
		QuietRate: 200, QuietOthers: 100, QuietCustomers: 20, QuietFor: 10 * time.Second,
		CPUActive: 50, CPUMessages: 400, CPUIdleAgents: 1000, CPUIdleVisitors: 1000,
		PullAgents: 100, PullQueued: 200,
		AssignQueued: 10_000, AssignAgents: 1000, AssignLimit: 10,
		IdleLevels: []int{1000, 5000, 10_000}, IdleWindow: 20 * time.Second, Settle: 3 * time.Second,
		HistoryScales: []int{10_000, 100_000}, HistorySamples: 40, HistoryBudget: 30 * time.Second,
		ClusterRate: 1000, ClusterLowRate: 200, ClusterCustomers: 50, ClusterFor: 10 * time.Second, ClusterSQLite: true,
	}
}

func quickSizes() sizes {
	return sizes{Rounds: 1,
		IngestFor: time.Second, IngestSerialFor: 500 * time.Millisecond, IngestConcurrency: 64, IngestCustomers: 20,
		FanoutRate: 200, FanoutFor: time.Second, FanoutCustomers: 5,
		QuietRate: 100, QuietOthers: 5, QuietCustomers: 5, QuietFor: time.Second,
		CPUActive: 5, CPUMessages: 20, CPUIdleAgents: 10, CPUIdleVisitors: 10,
		PullAgents: 10, PullQueued: 20,
		AssignQueued: 100, AssignAgents: 20, AssignLimit: 5,
		IdleLevels: []int{10, 20}, IdleWindow: time.Second, Settle: 200 * time.Millisecond,
		HistoryScales: []int{500, 1000}, HistorySamples: 5, HistoryBudget: 5 * time.Second,
		ClusterRate: 100, ClusterCustomers: 5, ClusterFor: time.Second, // no low-rate pass: a smoke test
	}
}

type options struct {
	Santrald     string
	Out          string
	Quick        bool
	Rounds       int
	Only         []string
	Scales       []int
	HistoryCache string
	Reference    string
	Keep         bool
	DB           string // a PostgreSQL server for every santrald ("": SQLite)
	ClusterDB    string // the PostgreSQL server of the cluster scenario when DB is empty ("": the local one)
	NATS         string // the NATS server of the cluster scenario
	Committers   string // --db-committers of every santrald on PostgreSQL ("": santrald's default)
}

// bench is one run's shared state.
type bench struct {
	opt   options
	sz    sizes
	work  string // fresh data directories live here
	seq   int
	log   io.Writer
	files uint64
	pg    *pgServer // opened on first use
}

// dir returns a new, empty directory for one process.
func (b *bench) dir(name string) string {
	b.seq++
	return filepath.Join(b.work, fmt.Sprintf("%02d-%s", b.seq, name))
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, "  %s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// santrald starts a fresh santrald (its own data directory and port; with -db, its own new
// PostgreSQL database).
func (b *bench) santrald(ctx context.Context, name string) (*proc, error) {
	if b.opt.DB == "" {
		return startSantrald(ctx, b.opt.Santrald, b.dir(name))
	}
	return b.santraldOnPostgres(ctx, name)
}

// santraldOnPostgres starts a fresh santrald on a new database of the run's PostgreSQL server.
func (b *bench) santraldOnPostgres(ctx context.Context, name string) (*proc, error) {
	pg, err := b.postgres(ctx)
	if err != nil {
		return nil, err
	}
	db, drop, err := pg.create(ctx, b.opt.Keep)
	if err != nil {
		return nil, err
	}
	p, err := startSantrald(ctx, b.opt.Santrald, b.dir(name), b.pgArgs("--db", db)...)
	if err != nil {
		drop()
		return nil, err
	}
	p.cleanup = drop
	return p, nil
}

// pgArgs are a PostgreSQL santrald's arguments: args, and -db-committers when given.
func (b *bench) pgArgs(args ...string) []string {
	if b.opt.Committers != "" {
		args = append(args, "--db-committers", b.opt.Committers)
	}
	return args
}

// release stops p and removes its data directory (and database) unless -keep.
func (b *bench) release(p *proc) {
	if p == nil {
		return
	}
	p.stop()
	if p.cleanup != nil {
		p.cleanup()
	}
	if !b.opt.Keep {
		os.RemoveAll(p.dir)
	}
}

type scenarioDef struct {
	name, title string
	run         func(ctx context.Context, b *bench) ([]Figure, []string, error)
}

var scenarios = []scenarioDef{
	{"ingest", "Durable webhook ingest: signed WhatsApp webhook → committed → 200", runIngest},
	{"fanout", "Webhook → event on an agent's socket, open loop", runFanout},
	{"quiet", "Messages to one agent while other agents' streams (that see none of it) are open", runQuiet},
	{"cpu", "CPU of one inbound website-chat message, idle sockets open vs none", runCPU},
	{"pull", "Simultaneous pulls from the queue", runPull},
	{"assign", "Bulk automatic assignment: queued conversations, agents coming online", runAssign},
	{"idle", "Idle agent streams: memory and CPU", runIdle},
	{"search", "History list and search at scale (SQLite; PostgreSQL with -db)", runSearch},
	{"cluster", "Three nodes on one PostgreSQL and NATS: webhook on node A → socket on node B; ingest over 1 and 3 nodes", runCluster},
}

func main() {
	if addr := os.Getenv(serveEnv); addr != "" {
		serveBaseline(addr, os.Getenv(serveDirEnv))
		return
	}
	opt, err := parseFlags(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, opt, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "santralbench:", err)
		os.Exit(1)
	}
	for _, s := range res.Scenarios {
		if s.Error != "" {
			os.Exit(1) // a scenario could not be measured (a MISS is a figure, not a failure)
		}
	}
}

func parseFlags(args []string, getenv func(string) string) (options, error) {
	fs := flag.NewFlagSet("santralbench", flag.ContinueOnError)
	var o options
	var only, scales string
	fs.StringVar(&o.Santrald, "santrald", "bin/santrald", "the santrald binary to measure (make santrald builds it)")
	fs.StringVar(&o.Out, "out", "bin/bench/results.json", "where the results go as JSON")
	fs.BoolVar(&o.Quick, "quick", getenv("BENCH_QUICK") == "1", "small sizes, one round: a smoke test (BENCH_QUICK=1)")
	fs.IntVar(&o.Rounds, "rounds", 0, "rounds of santrald and baseline, interleaved (default 3; quick 1)")
	fs.StringVar(&only, "only", getenv("BENCH_ONLY"), "comma-separated scenarios to run (BENCH_ONLY): "+scenarioNames())
	fs.StringVar(&scales, "history", getenv("BENCH_HISTORY"), "conversations in the history databases, comma-separated (BENCH_HISTORY; default 10000,100000)")
	fs.StringVar(&o.HistoryCache, "history-cache", "bin/bench/data", "where generated history databases are kept between runs")
	fs.StringVar(&o.Reference, "reference", "", "an earlier results.json to print beside each figure")
	fs.BoolVar(&o.Keep, "keep", false, "keep the data directories, logs and databases of the processes")
	fs.StringVar(&o.DB, "db", getenv("BENCH_DB"), "run every santrald on PostgreSQL: a postgres:// URL of a server (any database; a new one is made per santrald) (BENCH_DB); the cluster scenario uses it too, else the local server")
	fs.StringVar(&o.NATS, "nats", or(getenv("BENCH_NATS"), "nats://127.0.0.1:4222"), "the NATS server the cluster scenario's nodes wake each other through (BENCH_NATS)")
	fs.StringVar(&o.Committers, "db-committers", getenv("BENCH_DB_COMMITTERS"), "--db-committers of every santrald on PostgreSQL (BENCH_DB_COMMITTERS; default santrald's)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if only != "" {
		for _, name := range strings.Split(only, ",") {
			name = strings.TrimSpace(name)
			if !slices.ContainsFunc(scenarios, func(s scenarioDef) bool { return s.name == name }) {
				return o, fmt.Errorf("unknown scenario %q; the scenarios are %s", name, scenarioNames())
			}
			o.Only = append(o.Only, name)
		}
	}
	if scales != "" {
		for _, f := range strings.Split(scales, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 100 {
				return o, fmt.Errorf("-history: %q is not a number of conversations (at least 100)", f)
			}
			o.Scales = append(o.Scales, n)
		}
	}
	return o, nil
}

func or(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

func scenarioNames() string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return strings.Join(names, ", ")
}

// run measures every scenario (or those in opt.Only), prints the tables to out and progress to
// log, and writes the JSON.
func run(ctx context.Context, opt options, out, log io.Writer) (Results, error) {
	if _, err := os.Stat(opt.Santrald); err != nil {
		return Results{}, fmt.Errorf("no santrald binary at %s (make santrald builds bin/santrald): %w", opt.Santrald, err)
	}
	if abs, err := filepath.Abs(opt.Santrald); err == nil {
		opt.Santrald = abs
	}
	sz := fullSizes()
	if opt.Quick {
		sz = quickSizes()
	}
	if opt.Rounds > 0 {
		sz.Rounds = opt.Rounds
	}
	if len(opt.Scales) > 0 {
		sz.HistoryScales = opt.Scales
		slices.Sort(sz.HistoryScales)
	}
	var ref map[string]float64
	if opt.Reference != "" {
		var err error
		if ref, err = readReference(opt.Reference); err != nil {
			return Results{}, err
		}
	}
	work, err := os.MkdirTemp("", "santralbench-")
	if err != nil {
		return Results{}, err
	}
	if !opt.Keep {
		defer os.RemoveAll(work)
	}
	b := &bench{opt: opt, sz: sz, work: work, log: log, files: raiseFileLimit(1 << 17)}
	res := Results{Started: time.Now(), Quick: opt.Quick, Rounds: sz.Rounds, Machine: machine(b.files), Santrald: binary(opt.Santrald)}
	fmt.Fprintf(out, "santralbench: santrald %s (sha256 %s, tree %s)\n", res.Santrald.Path, res.Santrald.SHA256, res.Santrald.Commit)
	fmt.Fprintf(out, "machine: %s, %d cores, %d GB, Linux %s, %s; %d rounds, medians; open files %d\n",
		res.Machine.CPU, res.Machine.Cores, res.Machine.MemoryGB, res.Machine.Kernel, res.Machine.Go, sz.Rounds, b.files)
	if opt.DB != "" {
		fmt.Fprintf(out, "database: PostgreSQL (%s), a new database per santrald\n", redactDB(opt.DB))
	}
	defer func() {
		if b.pg != nil {
			b.pg.admin.Close()
		}
	}()
	if opt.Keep {
		fmt.Fprintf(out, "data directories and logs: %s\n", work)
	}
	for _, def := range scenarios {
		if len(opt.Only) > 0 && !slices.Contains(opt.Only, def.name) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(log, "%s: %s\n", def.name, def.title)
		start := time.Now()
		figs, notes, err := def.run(ctx, b)
		s := Scenario{Name: def.name, Title: def.title, Figures: figs, Notes: notes, Seconds: time.Since(start).Seconds()}
		if err != nil {
			s.Error = err.Error()
		}
		for i, f := range s.Figures {
			if v, ok := ref[s.Name+"/"+f.Metric]; ok {
				s.Figures[i].Reference = num(v)
			}
		}
		printScenario(out, s)
		res.Scenarios = append(res.Scenarios, s)
	}
	res.Seconds = time.Since(res.Started).Seconds()
	if opt.Out != "" {
		if err := os.MkdirAll(filepath.Dir(opt.Out), 0o755); err != nil {
			return res, err
		}
		if err := writeJSON(opt.Out, res); err != nil {
			return res, err
		}
		fmt.Fprintf(out, "\nresults: %s (%.0f s)\n", opt.Out, res.Seconds)
	}
	return res, ctx.Err()
}
