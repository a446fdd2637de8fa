package server_test

// SIGTERM against the real santrald binary (a deploy, a restart by systemd): HTTP stops, the
// send in flight finishes and its outcome is recorded, sends not yet started wait for the next
// start, and the process exits 0. A send cut off by a stop would otherwise be "delivery
// unknown" for a message the customer did get.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/webchat"
	"santral/backend/wire"
)

func TestSIGTERMDrainsTheSendInFlight(t *testing.T) {
	bin := buildSantrald(t)
	dir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "santrald.log")
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("santrald output:\n%s", b)
			}
		}
	})
	const first, second = "Siparişiniz kargoya verildi", "İyi günler dileriz"

	// The Graph API holds the first send until the test lets it answer.
	graph := newGraph(t)
	answer := make(chan struct{})
	answered := false
	defer func() {
		if !answered {
			close(answer)
		}
	}()
	graph.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
		if !isMessages(r) {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		graph.record(r, body)
		if bytes.Contains(body, []byte(first)) {
			select {
			case <-answer:
			case <-r.Context().Done():
				return true // santrald gave up on it: no answer
			}
		}
		wamid(w, len(graph.sends()))
		return true
	})

	port := freePort(t)
	flags := []string{"--send-timeout", "30s", "--drain-timeout", "30s"}
	p1 := startSantrald(t, bin, dir, port, logPath, flags...)
	admin := login(t, p1.url, "admin", adminPassword)
	var ch wire.ChannelAccount
	name, base, version, account := "WhatsApp Mağaza", graph.URL, "v23.0", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &base,
		APIVersion: &version, AccountID: &account, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret, "verify_token": "verify-me"}},
		&ch, http.StatusCreated)
	ayse := crashAgent(t, admin, "drain-ayse")
	ayse.online()
	if status, code := deliver(t, p1.url, ch.ID, fresh(waFixture(t, "inbound_text.json")), ""); status != http.StatusOK {
		t.Fatalf("inbound delivery: %d %s", status, code)
	}
	mine := ayse.mine()
	if len(mine) != 1 {
		t.Fatalf("the customer's conversation goes to the online agent: %d held", len(mine))
	}
	conv := mine[0]
	a := ayse.reply(conv.ID, first)
	eventually(t, 10*time.Second, "the first send in flight", func() bool { return sendsOf(graph, first) == 1 })
	b := ayse.reply(conv.ID, second) // waits behind the first: not started when SIGTERM comes

	if err := p1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: time.Second}
	eventually(t, 10*time.Second, "HTTP closed", func() bool {
		res, err := hc.Get(p1.url + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err != nil
	})
	select {
	case <-p1.done:
		t.Fatalf("santrald exited with the send in flight: %v", p1.err)
	default:
	}
	answered = true
	close(answer)
	if err := p1.exited(t, 30*time.Second); err != nil {
		t.Fatalf("santrald must exit 0 after a SIGTERM: %v", err)
	}
	if n := sendsOf(graph, second); n != 0 {
		t.Fatalf("a send not started before SIGTERM must wait for the next start (sent %d times)", n)
	}

	p2 := startSantrald(t, bin, dir, port, logPath, flags...)
	admin = login(t, p2.url, "admin", adminPassword)
	msgs := func() map[int64]wire.Message {
		out := map[int64]wire.Message{}
		for _, m := range admin.conversation(conv.ID).Messages {
			out[m.ID] = m
		}
		return out
	}
	if got := msgs()[a.ID]; got.Status != wire.StatusSent || got.DeliveryUnknown || got.ExternalID == "" {
		t.Fatalf("the send in flight finished and was recorded: %+v", got)
	}
	eventually(t, 10*time.Second, "the waiting send sent after the restart", func() bool { return msgs()[b.ID].Status == wire.StatusSent })
	if sendsOf(graph, first) != 1 || sendsOf(graph, second) != 1 {
		t.Fatalf("each message sent once: %d, %d", sendsOf(graph, first), sendsOf(graph, second))
	}
}

// A deploy's SIGTERM closes every open socket with "going away" (1001), so the desktop app and
// the website widget reconnect at once — to another node, or to this one when it is back —
// instead of waiting out a dead connection; then the process exits 0. Before the signal, the
// node's metrics (on --metrics-addr, apart from the API) count both sockets.
func TestSIGTERMTellsEverySocketToGoAway(t *testing.T) {
	bin := buildSantrald(t)
	logPath := filepath.Join(t.TempDir(), "santrald.log")
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("santrald output:\n%s", b)
			}
		}
	})
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startSantrald(t, bin, t.TempDir(), freePort(t), logPath, "--metrics-addr", metricsAddr)
	admin := login(t, p.url, "admin", adminPassword)
	ayse := crashAgent(t, admin, "away-ayse")
	ayse.online()
	stream, _ := ayse.stream(-1)
	defer stream.close()
	v := &visitor{t: t, base: p.url}
	v.s = v.session(webchat.SessionRequest{Name: "Ziyaretçi"}, http.StatusCreated)
	vs, _ := v.socket(v.s.VisitorSecret, 0)
	defer vs.Close()

	m := scrape(t, "http://"+metricsAddr+"/metrics")
	if series(t, m, `santral_streams_open{kind="agent"}`) != 1 || series(t, m, `santral_streams_open{kind="visitor"}`) != 1 {
		t.Fatalf("the node's metrics count one agent stream and one visitor socket: %v, %v",
			m[`santral_streams_open{kind="agent"}`], m[`santral_streams_open{kind="visitor"}`])
	}
	if res, err := http.Get(p.url + "/metrics"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("/metrics on the API's address: %d, want 404 (metrics have an address of their own)", res.StatusCode)
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	closeCode := func(what string, conn *websocket.Conn) int {
		conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("%s: the connection ended without a close frame: %v", what, err)
				}
				return ce.Code
			}
		}
	}
	if code := closeCode("agent stream", stream.conn); code != websocket.CloseGoingAway {
		t.Errorf("agent stream closed with %d, want 1001 going away", code)
	}
	if code := closeCode("visitor socket", vs.conn); code != websocket.CloseGoingAway {
		t.Errorf("visitor socket closed with %d, want 1001 going away", code)
	}
	if err := p.exited(t, 30*time.Second); err != nil {
		t.Fatalf("santrald must exit 0 after a SIGTERM: %v", err)
	}
}
