package server_test

// Operations as IT sees them: the metrics Prometheus scrapes count what really happened on the
// node (messages in, assignments by kind, sends failed by kind, requests by route), the gauges
// read the database and the node's sockets at scrape time, and /readyz says which of the
// node's dependencies is missing.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"santral/backend/server"
	"santral/backend/wire"
)

// scrape reads a Prometheus text exposition into series ("name{labels}") → value.
func scrape(t testing.TB, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: unreadable line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// series reads one series, failing when it is not exported at all.
func series(t testing.TB, m map[string]float64, name string) float64 {
	t.Helper()
	v, ok := m[name]
	if !ok {
		t.Fatalf("metric %s is not exported", name)
	}
	return v
}

func TestMetricsCountWhatHappenedOnTheNode(t *testing.T) {
	graph := newGraph(t)
	release := make(chan struct{})
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
	})
	graph.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
		if !isMessages(r) {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		switch {
		case strings.Contains(string(body), "Bekleyen yanıt"): // held until the test lets it go
			graph.record(r, body)
			<-release
			wamid(w, 99)
		case strings.Contains(string(body), "Ağ geçidi"): // a gateway's page: delivery unknown
			graph.record(r, body)
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>502 Bad Gateway</html>")
		case strings.Contains(string(body), "Reddedilen"): // refused for good
			graph.record(r, body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(waFixture(t, "send_error_131047.json"))
		default:
			return false
		}
		return true
	})
	// A WhatsApp customer writes and the conversation goes to the online agent: auto.
	s := newWAScene(t, graph.URL, nil)
	e, ayse := s.e, s.ayse
	ms := httptest.NewServer(e.srv.MetricsHandler())
	defer ms.Close()
	url := ms.URL + "/metrics"

	m := scrape(t, url)
	for name, want := range map[string]float64{
		`santral_inbound_messages_total{channel_type="whatsapp"}`: 1,
		`santral_inbound_messages_total{channel_type="sandbox"}`:  0, // exported before its first
		`santral_assignments_total{by="auto"}`:                    1,
		`santral_assignments_total{by="pull"}`:                    0,
		`santral_outbox_failures_total{reason_kind="refused"}`:    0,
	} {
		if got := series(t, m, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// A send the provider holds is the outbox's backlog until it answers.
	held := ayse.reply(s.conv.ID, "Bekleyen yanıt")
	eventually(t, 10*time.Second, "the held send reaches the Graph API", func() bool { return sendsOf(graph, "Bekleyen yanıt") == 1 })
	if got := series(t, scrape(t, url), "santral_outbox_backlog"); got != 1 {
		t.Errorf("outbox backlog with a send in flight = %v, want 1", got)
	}
	released = true
	close(release)
	eventually(t, 10*time.Second, "the held send recorded", func() bool { return s.message(held.ID).Status == wire.StatusSent })
	if got := series(t, scrape(t, url), "santral_outbox_backlog"); got != 0 {
		t.Errorf("outbox backlog once sent = %v, want 0", got)
	}
	// One send that may have reached the customer, one refused for good.
	for _, text := range []string{"Ağ geçidi", "Reddedilen"} {
		msg := ayse.reply(s.conv.ID, text)
		eventually(t, 10*time.Second, text+" failed", func() bool { return s.message(msg.ID).Status == wire.StatusFailed })
	}

	// A sandbox customer waits in the queue with automatic assignment off; another agent pulls.
	e.admin().settings(func(set *wire.Settings) { set.AutoAssign = false })
	e.customer("905550001122", "Kargom nerede?")
	m = scrape(t, url)
	if got := series(t, m, "santral_queue_length"); got != 1 {
		t.Errorf("queue length = %v, want 1", got)
	}
	if got := series(t, m, "santral_queue_oldest_wait_seconds"); got <= 0 || got > 60 {
		t.Errorf("oldest wait = %v s, want a few milliseconds", got)
	}
	mehmet := e.agent("mehmet", nil)
	mehmet.online()
	pulled := mehmet.pull()
	// Transferred to ayse, who accepts; ended, then taken up again.
	o := mehmet.transfer(pulled.ID, ayse.user.ID, "siparişle ilgili")
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.ID), nil, nil, http.StatusOK)
	ayse.end(pulled.ID, e.admin().endReason("Çözüldü"))
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", pulled.ID), nil, nil, http.StatusOK)
	// A pull that finds the queue empty assigns nothing.
	mehmet.refused(wire.CodeQueueEmpty, "POST", "/api/v1/queue/pull", nil)

	// An agent's stream and a website visitor's socket are open.
	stream, _ := ayse.stream(-1)
	defer stream.close()
	v := e.visitor()
	vs, _ := v.socket(v.s.VisitorSecret, 0)
	defer vs.Close()

	m = scrape(t, url)
	for name, want := range map[string]float64{
		`santral_inbound_messages_total{channel_type="whatsapp"}`:                                           1,
		`santral_inbound_messages_total{channel_type="sandbox"}`:                                            1,
		`santral_assignments_total{by="auto"}`:                                                              1,
		`santral_assignments_total{by="pull"}`:                                                              1,
		`santral_assignments_total{by="transfer"}`:                                                          1,
		`santral_assignments_total{by="take_up"}`:                                                           1,
		`santral_outbox_failures_total{reason_kind="delivery_unknown"}`:                                     1,
		`santral_outbox_failures_total{reason_kind="refused"}`:                                              1,
		`santral_streams_open{kind="agent"}`:                                                                1,
		`santral_streams_open{kind="visitor"}`:                                                              1,
		`santral_queue_length`:                                                                              0,
		`santral_queue_oldest_wait_seconds`:                                                                 0,
		`santral_outbox_backlog`:                                                                            0,
		`santral_http_requests_total{code="201",method="POST",route="/api/v1/conversations/{id}/transfer"}`: 1,
		`santral_http_requests_total{code="409",method="POST",route="/api/v1/queue/pull"}`:                  1,
		`santral_http_requests_total{code="101",method="GET",route="/api/v1/stream"}`:                       1,
		`santral_http_requests_total{code="101",method="GET",route="/webchat/socket"}`:                      1,
	} {
		if got := series(t, m, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := series(t, m, `santral_http_request_duration_seconds_count{route="/api/v1/queue/pull"}`); got != 2 {
		t.Errorf("pull latency observations = %v, want 2", got)
	}
	// Routes are patterns: no id, path or method a client made up becomes a series.
	req, _ := http.NewRequest("BREW", e.url+"/no/such/path/12345", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	m = scrape(t, url)
	for name := range m {
		if !strings.HasPrefix(name, "santral_http_") {
			continue // the node's random name may end in the id's digits
		}
		if strings.Contains(name, strconv.FormatInt(pulled.ID, 10)+`"`) || strings.Contains(name, "/"+strconv.FormatInt(pulled.ID, 10)) ||
			strings.Contains(name, "12345") || strings.Contains(name, "BREW") {
			t.Errorf("a request's id or path became a label: %s", name)
		}
	}
	if got := series(t, m, `santral_http_requests_total{code="404",method="other",route="unmatched"}`); got != 1 {
		t.Errorf("the unknown path = %v, want 1 under route unmatched, method other", got)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "santral_event_log_lag"} {
		series(t, m, name)
	}
	if got := series(t, m, `santral_node_info{node="`+e.srv.Node()+`"}`); got != 1 {
		t.Errorf("node info = %v", got)
	}
}

// readyz asks GET /readyz and returns the status and the body.
func readyz(t testing.TB, base string) (int, map[string]any) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("readyz: %v", err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("readyz: body is not JSON: %v", err)
	}
	return res.StatusCode, body
}

func failedChecks(body map[string]any) string {
	var names []string
	list, _ := body["failed"].([]any)
	for _, n := range list {
		names = append(names, fmt.Sprint(n))
	}
	return strings.Join(names, ",")
}

// A node whose event reader is not following the log would accept agents whose streams never
// hear anything: not ready, and the lag shows how far behind it is. Once the reader runs it is
// ready and catches up; once its database is gone it is not ready again, naming the database —
// while /healthz, the process being alive, stays 200 throughout.
func TestReadinessNamesWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	writer := startOn(t, dir) // another node on the same database, writing

	cfg := testConfig(t, dir)
	srv, err := server.New(context.Background(), cfg, testLogger(t), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(srv.Handler())
	defer api.Close()
	ms := httptest.NewServer(srv.MetricsHandler())
	defer ms.Close()

	status, body := readyz(t, api.URL)
	if status != http.StatusServiceUnavailable || failedChecks(body) != "event_reader" {
		t.Fatalf("a node whose event reader is not running: %d %v, want 503 naming event_reader", status, body)
	}
	writer.customer("905551234567", "Merhaba")
	writer.customer("905551234568", "Merhaba")
	if lag := series(t, scrape(t, ms.URL+"/metrics"), "santral_event_log_lag"); lag < 2 {
		t.Fatalf("event log lag with the reader stopped = %v, want at least the 2 conversations' events", lag)
	}

	ctx, cancel := context.WithCancel(context.Background())
	workers := make(chan struct{})
	go func() { srv.RunWorkers(ctx); close(workers) }()
	eventually(t, 10*time.Second, "ready once the reader runs", func() bool {
		status, _ := readyz(t, api.URL)
		return status == http.StatusOK
	})
	_, body = readyz(t, api.URL)
	if checks, _ := body["checks"].(map[string]any); checks["database"] != "ok" || checks["event_reader"] != "ok" {
		t.Fatalf("the ready answer lists its checks: %v", body)
	}
	eventually(t, 10*time.Second, "the reader catches up", func() bool {
		return series(t, scrape(t, ms.URL+"/metrics"), "santral_event_log_lag") == 0
	})

	cancel()
	<-workers
	srv.Store.Close()
	status, body = readyz(t, api.URL)
	if status != http.StatusServiceUnavailable || !strings.Contains(failedChecks(body), "database") {
		t.Fatalf("a node without its database: %d %v, want 503 naming the database", status, body)
	}
	res, err := http.Get(api.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz is the process being alive: %d", res.StatusCode)
	}
}
