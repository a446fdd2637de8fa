// Package metrics is the node's Prometheus metrics: counters incremented where things happen
// (the API's requests, the rules' committed decisions, the outbox's failures — each through a
// small observer interface its package defines, so none of them imports Prometheus), and
// gauges read when Prometheus scrapes (the queue and the outbox from indexes, the streams and
// the event reader from the node's hub), never by a loop of their own.
//
// Labels are bounded: routes are the route table's patterns, methods the standard ones, channel
// types and assignment kinds the product's own words. No id, path or user ever becomes a label.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Figures are the database's numbers, read on each scrape (store.Store).
type Figures interface {
	QueueFigures(ctx context.Context) (length, oldestQueuedAt int64, err error)
	OutboxBacklog(ctx context.Context) (int64, error)
	NewestEventSeq(ctx context.Context) (int64, error)
	CommitFigures() (groups, requests int64) // group commit since start
}

// Streams is the node's event reader and its sockets (stream.Hub).
type Streams interface {
	Head() int64      // the last sequence number handed out
	Subscribers() int // open agent streams
	Visitors() int    // open website-chat visitor sockets
}

// Metrics holds the node's collectors in a registry of its own (several santrald in one test
// process must not share one).
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	inbound      *prometheus.CounterVec
	assignments  *prometheus.CounterVec
	sendFailures *prometheus.CounterVec
}

// Known label values, exported at 0 from the start so that rate() and alerts see a series
// before its first increment.
var (
	channelTypes    = []string{"whatsapp", "messenger", "instagram", "telegram", "webchat", "sandbox"}
	assignmentKinds = []string{"auto", "pull", "transfer", "take_up"}
	failureKinds    = []string{"delivery_unknown", "refused"}
)

// New builds the metrics of a node named node over its database figures and its hub.
func New(node string, figures Figures, streams Streams, log *slog.Logger) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "santral_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code (101: a WebSocket opened).",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "santral_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern (WebSockets are not timed: they last as long as the connection).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "santral_inbound_messages_total",
			Help: "Customer messages stored by this node, by channel type (redeliveries are not counted).",
		}, []string{"channel_type"}),
		assignments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "santral_assignments_total",
			Help: "Conversations given a holder by decisions this node committed, by how: auto, pull, transfer, take_up.",
		}, []string{"by"}),
		sendFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "santral_outbox_failures_total",
			Help: "Sends that failed for good on this node: delivery_unknown (the provider may have it) or refused (it provably does not).",
		}, []string{"reason_kind"}),
	}
	for _, t := range channelTypes {
		m.inbound.WithLabelValues(t)
	}
	for _, k := range assignmentKinds {
		m.assignments.WithLabelValues(k)
	}
	for _, k := range failureKinds {
		m.sendFailures.WithLabelValues(k)
	}
	m.reg.MustRegister(m.requests, m.latency, m.inbound, m.assignments, m.sendFailures,
		&scraped{figures: figures, streams: streams, log: log},
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "santral_commits_total",
			Help: "Write transactions this node's committer has committed (one fsync each on SQLite)."},
			func() float64 { g, _ := figures.CommitFigures(); return float64(g) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "santral_committed_requests_total",
			Help: "Write requests carried by those transactions: ÷ santral_commits_total is how many share each commit."},
			func() float64 { _, r := figures.CommitFigures(); return float64(r) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "santral_node_info", Help: "Always 1; names the node (--node) this target is.",
			ConstLabels: prometheus.Labels{"node": node}}, func() float64 { return 1 }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the metrics in Prometheus' text format. A gauge whose figure cannot be read
// is left out of that scrape (and logged) rather than failing the others.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Request counts one HTTP request; the route is its pattern in the route table ("GET
// /api/v1/conversations/{id}"). Upgraded requests (WebSockets) are counted, not timed.
func (m *Metrics) Request(pattern, method string, status int, d time.Duration, upgraded bool) {
	route := Route(pattern)
	m.requests.WithLabelValues(route, Method(method), strconv.Itoa(status)).Inc()
	if !upgraded {
		m.latency.WithLabelValues(route).Observe(d.Seconds())
	}
}

// Received counts a customer's message stored (routing.Observer).
func (m *Metrics) Received(channelType string) { m.inbound.WithLabelValues(channelType).Inc() }

// Assigned counts a conversation given a holder (routing.Observer).
func (m *Metrics) Assigned(by string) { m.assignments.WithLabelValues(by).Inc() }

// SendFailed counts a send that failed for good (outbox.Observer).
func (m *Metrics) SendFailed(deliveryUnknown bool) {
	kind := "refused"
	if deliveryUnknown {
		kind = "delivery_unknown"
	}
	m.sendFailures.WithLabelValues(kind).Inc()
}

// Route is the route label of a ServeMux pattern: its path part, "/api/v1/conversations/{id}";
// the catch-all (404s and 405s of every unknown path) is "unmatched".
func Route(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	return pattern
}

// Method is the method label: a standard method, or "other" for anything a client made up.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// scraped are the gauges read at scrape time.
type scraped struct {
	figures Figures
	streams Streams
	log     *slog.Logger
}

var (
	queueLength = prometheus.NewDesc("santral_queue_length",
		"Conversations waiting in the queue (the whole workspace's, read from the database).", nil, nil)
	queueOldest = prometheus.NewDesc("santral_queue_oldest_wait_seconds",
		"How long the conversation waiting longest has been in the queue; 0 when it is empty.", nil, nil)
	outboxBacklog = prometheus.NewDesc("santral_outbox_backlog",
		"Send jobs not finished: waiting for their (next) try or being sent (the whole workspace's).", nil, nil)
	streamsOpen = prometheus.NewDesc("santral_streams_open",
		"Open WebSockets on this node: agent (the desktop app's event stream) or visitor (the website chat).", []string{"kind"}, nil)
	eventLag = prometheus.NewDesc("santral_event_log_lag",
		"Events committed to the log that this node's reader has not yet handed to its sockets.", nil, nil)
)

func (c *scraped) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueLength, queueOldest, outboxBacklog, streamsOpen, eventLag} {
		ch <- d
	}
}

func (c *scraped) Collect(ch chan<- prometheus.Metric) {
	// A scrape must answer even when the database is stuck: each read has a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	// Head first: an event committed between the two reads then shows as lag, never as a
	// negative one.
	head := c.streams.Head()
	gauge(streamsOpen, float64(c.streams.Subscribers()), "agent")
	gauge(streamsOpen, float64(c.streams.Visitors()), "visitor")
	if n, oldest, err := c.figures.QueueFigures(ctx); err == nil {
		gauge(queueLength, float64(n))
		wait := 0.0
		if n > 0 && oldest > 0 {
			wait = max(time.Since(time.UnixMilli(oldest)).Seconds(), 0)
		}
		gauge(queueOldest, wait)
	} else {
		c.log.Warn("metrics: unable to read the queue", "err", err)
	}
	if n, err := c.figures.OutboxBacklog(ctx); err == nil {
		gauge(outboxBacklog, float64(n))
	} else {
		c.log.Warn("metrics: unable to read the outbox", "err", err)
	}
	if newest, err := c.figures.NewestEventSeq(ctx); err == nil {
		gauge(eventLag, float64(max(newest-head, 0)))
	} else {
		c.log.Warn("metrics: unable to read the event log", "err", err)
	}
}

// Wakes is how this node wakes the others and is woken by them through NATS (cluster.Bell).
type Wakes interface {
	Connected(ctx context.Context) error         // nil while connected
	Wakes() (published, failed, received uint64) // counts since start
}

// ObserveWakes exports the node's NATS connection and its wakes; called only when NATS is
// configured (without it nodes hear each other by the poll, and there is nothing to show).
func (m *Metrics) ObserveWakes(w Wakes) {
	count := func(name, help string, pick func(published, failed, received uint64) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			return float64(pick(w.Wakes()))
		})
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "santral_nats_connected",
			Help: "1 while this node is connected to NATS, through which nodes wake each other; 0 during an outage (the poll carries them)."},
			func() float64 {
				if w.Connected(context.Background()) != nil {
					return 0
				}
				return 1
			}),
		count("santral_wakes_published_total", "Wakes this node sent the other nodes after its commits (coalesced: one may cover several commits).",
			func(p, _, _ uint64) uint64 { return p }),
		count("santral_wakes_failed_total", "Wakes this node could not send (NATS away); the other nodes read those commits at their poll.",
			func(_, f, _ uint64) uint64 { return f }),
		count("santral_wakes_received_total", "Wakes this node heard from other nodes, each followed by a read of the event log.",
			func(_, _, r uint64) uint64 { return r }),
	)
}
