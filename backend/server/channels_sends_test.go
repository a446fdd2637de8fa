package server_test

// Sends that never surprise, against a local Graph API: a send the provider may have received
// is never sent again by itself (the agent sees "delivery unknown" and what to do), one that
// provably never reached it is retried, a large file gets the time it needs, and a worker that
// lost its job records nothing.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/config"
	"santral/backend/wire"
)

// waScene is santrald with short send timeouts, a WhatsApp account on a local Graph API, and an
// online agent holding a customer's conversation.
type waScene struct {
	e    *env
	ayse *client
	conv wire.Conversation
	ch   wire.ChannelAccount
}

// newWAScene starts the scene against the Graph API at graphURL. A send's deadline is 1 s plus
// 1 s per MiB of its file unless tweak says otherwise.
func newWAScene(t *testing.T, graphURL string, tweak func(*config.Config)) *waScene {
	t.Helper()
	e := startWithOn(t, t.TempDir(), func(c *config.Config) {
		c.SendTimeout, c.SendTimePerMB = time.Second, time.Second
		if tweak != nil {
			tweak(c)
		}
	})
	var ch wire.ChannelAccount
	name, version, account := "WhatsApp Mağaza", "v23.0", waPhoneID
	e.admin().mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, BaseURL: &graphURL,
		APIVersion: &version, AccountID: &account, Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret, "verify_token": "verify-me"}},
		&ch, http.StatusCreated)
	ayse := e.agent("ayse", nil)
	ayse.online()
	if status, code := deliver(t, e.url, ch.ID, fresh(waFixture(t, "inbound_text.json")), ""); status != http.StatusOK {
		t.Fatalf("inbound delivery: %d %s", status, code)
	}
	mine := ayse.mine()
	if len(mine) != 1 {
		t.Fatalf("the customer's conversation goes to the online agent: %d held", len(mine))
	}
	return &waScene{e: e, ayse: ayse, conv: mine[0], ch: ch}
}

func (s *waScene) message(id int64) wire.Message {
	s.e.t.Helper()
	for _, m := range s.ayse.conversation(s.conv.ID).Messages {
		if m.ID == id {
			return m
		}
	}
	s.e.t.Fatalf("message %d not in the conversation", id)
	return wire.Message{}
}

// db opens santrald's database beside it, to look at (or age) its send jobs.
func (s *waScene) db() *sql.DB {
	s.e.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dbPath(s.e.cfg.DataDir)+"?_busy_timeout=5000")
	if err != nil {
		s.e.t.Fatal(err)
	}
	s.e.t.Cleanup(func() { db.Close() })
	return db
}

func (s *waScene) job(db *sql.DB, msgID int64) (state string, attempts int) {
	s.e.t.Helper()
	if err := db.QueryRow(`SELECT state, attempts FROM send_jobs WHERE message_id = ?`, msgID).Scan(&state, &attempts); err != nil {
		s.e.t.Fatal(err)
	}
	return state, attempts
}

// sendsOf counts the message requests that carried text.
func sendsOf(g *graphServer, text string) int {
	n := 0
	for _, r := range g.sends() {
		if bytes.Contains(r.Body, []byte(text)) {
			n++
		}
	}
	return n
}

// wamid answers a message request the way the Cloud API does, with a message id of its own.
func wamid(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"905321234567","wa_id":"905321234567"}],"messages":[{"id":"wamid.scene-%d"}]}`, n)
}

func isMessages(r *http.Request) bool {
	return r.Method == "POST" && r.URL.Path == "/v23.0/"+waPhoneID+"/messages"
}

func isUpload(r *http.Request) bool {
	return r.Method == "POST" && r.URL.Path == "/v23.0/"+waPhoneID+"/media"
}

func deliveryUnknown(m wire.Message) bool {
	return m.Status == wire.StatusFailed && m.DeliveryUnknown && strings.HasPrefix(m.StatusReason, "delivery unknown") &&
		strings.Contains(m.StatusReason, "Check the customer's chat")
}

// The Graph API takes the whole request and never answers: it may have sent the message.
// Sending again could give the customer two; the agent is told to look instead.
func TestSendWithoutAnswerIsDeliveryUnknownAndNotRetried(t *testing.T) {
	graph := newGraph(t)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) }) // before the Graph API's Close, which waits for its handlers
	graph.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
		if !isMessages(r) {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		graph.record(r, body)
		select {
		case <-r.Context().Done():
		case <-hang:
		}
		return true
	})
	s := newWAScene(t, graph.URL, nil)
	stream, _ := s.ayse.stream(-1)
	defer stream.close()

	m := s.ayse.reply(s.conv.ID, "Kargonuz yarın teslim edilecek")
	ev := stream.until(10*time.Second, "the reply failed", func(ev wire.Event) bool {
		var d wire.MessageStatusData
		return ev.Type == wire.EventMessageStatus && json.Unmarshal(ev.Data, &d) == nil && d.MessageID == m.ID && d.Status == wire.StatusFailed
	})
	var d wire.MessageStatusData
	json.Unmarshal(ev.Data, &d)
	if !d.DeliveryUnknown || !strings.HasPrefix(d.StatusReason, "delivery unknown") {
		t.Fatalf("the app is told the delivery is unknown: %+v", d)
	}
	if got := s.message(m.ID); !deliveryUnknown(got) {
		t.Fatalf("the agent reads delivery unknown and what to do: %+v", got)
	}
	if n := sendsOf(graph, "Kargonuz yarın"); n != 1 {
		t.Fatalf("the Graph API got the message %d times, want exactly once", n)
	}
}

// Nothing listens where the Graph API should be: the request never left, so it is retried, and
// it is delivered once the server is up — once.
func TestSendThatNeverReachedTheProviderIsRetriedUntilDelivered(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := newWAScene(t, "http://"+addr, nil)
	db := s.db()
	m := s.ayse.reply(s.conv.ID, "Siparişiniz hazırlanıyor")
	eventually(t, 10*time.Second, "two refused attempts", func() bool {
		_, attempts := s.job(db, m.ID)
		return attempts >= 2
	})
	if got := s.message(m.ID); got.Status != wire.StatusQueued {
		t.Fatalf("a send that never reached WhatsApp stays queued while it is retried: %+v", got)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on the Graph API's address: %v", err)
	}
	graph := newGraphOn(t, ln)
	eventually(t, 10*time.Second, "sent once the Graph API is up", func() bool { return s.message(m.ID).Status == wire.StatusSent })
	if n := sendsOf(graph, "Siparişiniz hazırlanıyor"); n != 1 {
		t.Fatalf("the Graph API got the message %d times, want once", n)
	}
}

// A 4 MiB document through a line of about 2 MiB/s takes about 2 s: twice the floor of a small
// send (1 s here, 30 s by default), and within the deadline that grows with the file (1 s per
// MiB here). A fixed whole-request timeout would cut it off, and never let it through.
func TestLargeFileGetsADeadlineThatGrowsWithIt(t *testing.T) {
	graph := newGraph(t)
	const size = 4 << 20
	graph.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
		if !isUpload(r) {
			return false
		}
		var body bytes.Buffer
		chunk := make([]byte, 64<<10)
		for {
			n, err := io.ReadFull(r.Body, chunk)
			body.Write(chunk[:n])
			if err != nil {
				break
			}
			time.Sleep(30 * time.Millisecond) // the slow line, not a wait for anything
		}
		graph.record(r, body.Bytes())
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"2871233095478813"}`))
		return true
	})
	s := newWAScene(t, graph.URL, nil)
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("katalog "), size/8)...)[:size]
	a := uploadFile(t, s.e.url, s.ayse, s.conv.ID, "katalog-2025.pdf", "application/pdf", pdf)
	var m wire.Message
	began := time.Now()
	s.ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", s.conv.ID),
		wire.SendMessageRequest{Body: "Yeni kataloğumuz", Attachments: []wire.Attachment{a}}, &m, http.StatusCreated)
	eventually(t, 30*time.Second, "the document sent", func() bool {
		st := s.message(m.ID).Status
		return st == wire.StatusSent || st == wire.StatusFailed
	})
	took := time.Since(began)
	if got := s.message(m.ID); got.Status != wire.StatusSent {
		t.Fatalf("the document must go through: %+v", got)
	}
	var uploads []graphRequest
	for _, r := range graph.requests() {
		if r.Path == "/v23.0/"+waPhoneID+"/media" {
			uploads = append(uploads, r)
		}
	}
	if len(uploads) != 1 || !bytes.Contains(uploads[0].Body, pdf[size-4096:]) {
		t.Fatalf("one whole upload: %d uploads", len(uploads))
	}
	sends := graph.sends()
	if len(sends) != 1 || !bytes.Contains(sends[0].Body, []byte(`"document"`)) || !bytes.Contains(sends[0].Body, []byte("2871233095478813")) {
		t.Fatalf("then the document message naming the upload: %d sends", len(sends))
	}
	if took < time.Second {
		t.Fatalf("the line was not slower than the floor (%v): the test proves nothing", took)
	}
	t.Logf("4 MiB through the throttled line in %v (floor 1 s, deadline 6 s)", took.Round(10*time.Millisecond))
}

// An upload is not a message: the customer sees nothing until the send that names it. An
// upload that got no answer is tried again, and the message goes out once.
func TestUploadWithoutAnswerIsTriedAgain(t *testing.T) {
	graph := newGraph(t)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	var mu sync.Mutex
	uploads := 0
	graph.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
		if !isUpload(r) {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		graph.record(r, body)
		mu.Lock()
		uploads++
		first := uploads == 1
		mu.Unlock()
		if first {
			select {
			case <-r.Context().Done():
			case <-hang:
			}
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"2871233095478813"}`))
		return true
	})
	s := newWAScene(t, graph.URL, nil)
	a := uploadFile(t, s.e.url, s.ayse, s.conv.ID, "kargo.jpg", "image/jpeg", photo)
	var m wire.Message
	s.ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", s.conv.ID),
		wire.SendMessageRequest{Body: "Kargo fişiniz", Attachments: []wire.Attachment{a}}, &m, http.StatusCreated)
	eventually(t, 15*time.Second, "the photo sent", func() bool { return s.message(m.ID).Status == wire.StatusSent })
	mu.Lock()
	n := uploads
	mu.Unlock()
	if n != 2 || len(graph.sends()) != 1 {
		t.Fatalf("%d uploads and %d messages, want 2 and 1", n, len(graph.sends()))
	}
}

// What the Graph API answers decides, and a 5xx only says "try again" when its body says so.
func TestProviderAnswersDecideRetries(t *testing.T) {
	graph := newGraph(t)
	s := newWAScene(t, graph.URL, nil)
	transient := []byte(`{"error":{"message":"(#131000) Something went wrong","type":"OAuthException","code":131000,` +
		`"error_data":{"messaging_product":"whatsapp","details":"Something went wrong"},"fbtrace_id":"AbCdEf1"}}`)
	pairLimit := []byte(`{"error":{"message":"(#131056) (Business Account, Consumer Account) pair rate limit hit","type":"OAuthException",` +
		`"code":131056,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because there were too many messages sent ` +
		`from this phone number to the same phone number in a short period of time."},"fbtrace_id":"AbCdEf2"}}`)
	cases := []struct {
		name    string
		answer  graphAnswer
		status  wire.MessageStatus
		unknown bool
		tries   int
	}{
		{"a 5xx whose body says it is transient is retried", graphAnswer{http.StatusInternalServerError, transient}, wire.StatusSent, false, 2},
		{"a pair rate limit is retried", graphAnswer{http.StatusBadRequest, pairLimit}, wire.StatusSent, false, 2},
		{"a gateway's 5xx page is delivery unknown", graphAnswer{http.StatusBadGateway, []byte(`<html>502 Bad Gateway</html>`)}, wire.StatusFailed, true, 1},
		{"a 5xx whose body refuses for good fails with the reason", graphAnswer{http.StatusInternalServerError, waFixture(t, "send_error_131047.json")}, wire.StatusFailed, false, 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := fmt.Sprintf("Yanıt %d", i)
			graph.answerNext(c.answer)
			m := s.ayse.reply(s.conv.ID, text)
			eventually(t, 10*time.Second, "an outcome", func() bool {
				st := s.message(m.ID).Status
				return st == wire.StatusSent || st == wire.StatusFailed
			})
			got := s.message(m.ID)
			if got.Status != c.status || got.DeliveryUnknown != c.unknown || (c.unknown && !deliveryUnknown(got)) {
				t.Fatalf("got %s (delivery unknown %v, %q), want %s (%v)", got.Status, got.DeliveryUnknown, got.StatusReason, c.status, c.unknown)
			}
			if n := sendsOf(graph, text); n != c.tries {
				t.Fatalf("the Graph API got it %d times, want %d", n, c.tries)
			}
		})
	}
}

// A worker whose lease ran out while the Graph API held its request (a stalled process: a test
// cannot freeze one, so the lease is aged in the database) loses its job: another node fails it
// as delivery unknown. When the late answer comes, that worker records nothing — neither a
// success the agent was not told about nor a retry that would send the message a second time.
func TestLateOutcomeOfALostSendChangesNothing(t *testing.T) {
	for _, late := range []struct {
		name   string
		status int
		body   func(t *testing.T) []byte
	}{
		{"late success", http.StatusOK, func(t *testing.T) []byte { return waFixture(t, "send_response.json") }},
		{"late throughput refusal", http.StatusBadRequest, func(t *testing.T) []byte { return waFixture(t, "send_error_130429.json") }},
	} {
		t.Run(late.name, func(t *testing.T) {
			graph := newGraph(t)
			const heldText = "Bu yanıt geç gelecek"
			answer := make(chan struct{})
			var once sync.Once
			letAnswer := func() { once.Do(func() { close(answer) }) }
			t.Cleanup(letAnswer)
			var mu sync.Mutex
			n := 0
			graph.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
				if !isMessages(r) {
					return false
				}
				body, _ := io.ReadAll(r.Body)
				graph.record(r, body)
				mu.Lock()
				n++
				seq := n
				mu.Unlock()
				if bytes.Contains(body, []byte(heldText)) && seq == 1 {
					<-answer
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(late.status)
					w.Write(late.body(t))
					return true
				}
				wamid(w, seq)
				return true
			})
			// The worker's own deadline (30 s) is far away: only its lease runs out.
			s := newWAScene(t, graph.URL, func(c *config.Config) { c.SendTimeout = 30 * time.Second })
			db := s.db()
			m := s.ayse.reply(s.conv.ID, heldText)
			eventually(t, 5*time.Second, "the Graph API holds the send", func() bool { return sendsOf(graph, heldText) == 1 })

			if _, err := db.Exec(`UPDATE send_jobs SET lease_until = 1 WHERE message_id = ? AND state = 'sending'`, m.ID); err != nil {
				t.Fatal(err)
			}
			other := startOn(t, s.e.cfg.DataDir) // another node on the same database
			eventually(t, 5*time.Second, "failed as delivery unknown", func() bool { return s.message(m.ID).Status == wire.StatusFailed })
			other.stop()
			before := s.message(m.ID)
			if !deliveryUnknown(before) {
				t.Fatalf("the agent is told to check the chat: %+v", before)
			}

			letAnswer()
			// The first node sends one job at a time: once the next reply is sent, it has dealt
			// with the late answer.
			next := s.ayse.reply(s.conv.ID, "Sonraki mesaj")
			eventually(t, 10*time.Second, "the next reply sent", func() bool { return s.message(next.ID).Status == wire.StatusSent })

			after := s.message(m.ID)
			if after.Status != before.Status || after.StatusReason != before.StatusReason || !after.DeliveryUnknown || after.ExternalID != "" {
				t.Fatalf("the late outcome changed what the agent sees:\nbefore %+v\nafter  %+v", before, after)
			}
			if state, _ := s.job(db, m.ID); state != "failed" {
				t.Fatalf("the lost job was reopened or closed by the late worker: %s", state)
			}
			if n := sendsOf(graph, heldText); n != 1 {
				t.Fatalf("the Graph API got the message %d times, want once", n)
			}
		})
	}
}

// uploadFile posts a file as the agent's attachment.
func uploadFile(t *testing.T, base string, c *client, convID int64, name, mimeType string, content []byte) wire.Attachment {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
	h.Set("Content-Type", mimeType)
	part, _ := mw.CreatePart(h)
	part.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/attachments", base, convID), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a wire.Attachment
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated || json.Unmarshal(raw, &a) != nil {
		t.Fatalf("upload %s: %d %s", name, res.StatusCode, raw)
	}
	return a
}
