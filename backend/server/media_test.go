package server_test

// Media in S3 with several nodes: a file any node stored is served by every node, byte for
// byte, because the nodes share one bucket of a real S3 server (backend/media/s3test) — not a
// folder. And while S3 is away, requests get media_unavailable and no message is lost.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"santral/backend/config"
	"santral/backend/media/s3test"
	"santral/backend/store/storetest"
	"santral/backend/webchat"
	"santral/backend/wire"
)

const (
	mediaBucket = "santral-media"
	mediaPrefix = "santral/"
)

// s3Nodes is two santrald nodes on one database and one S3 bucket.
type s3Nodes struct {
	a, b *env
	s3   *s3test.Server
}

// forEachS3Cluster runs f with two nodes on PostgreSQL (each node its own data directory, so
// nothing but the bucket can carry a file from one to the other) and on one SQLite file (which
// lives in one data directory: there, no media folder may appear in it).
func forEachS3Cluster(t *testing.T, tweak func(*config.Config), f func(t *testing.T, n s3Nodes)) {
	run := func(t *testing.T, dirA, dirB, db string) {
		srv := s3test.Start(t, mediaBucket)
		node := func(dir, name string) *env {
			return startWithOn(t, dir, func(c *config.Config) {
				c.NodeID, c.DB, c.S3 = name, db, srv.Config(mediaBucket, mediaPrefix)
				c.SecretKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
				if tweak != nil {
					tweak(c)
				}
			})
		}
		n := s3Nodes{a: node(dirA, "node-a"), b: node(dirB, "node-b"), s3: srv}
		f(t, n)
		for _, dir := range []string{dirA, dirB} {
			if _, err := os.Stat(filepath.Join(dir, "media")); !os.IsNotExist(err) {
				t.Errorf("with S3, no media folder in %s: %v", dir, err)
			}
		}
	}
	t.Run("postgres", func(t *testing.T) { run(t, t.TempDir(), t.TempDir(), storetest.Postgres(t)) })
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		run(t, dir, dir, "")
	})
}

// on is the same user, logged in on another node.
func (c *client) on(e *env, password string) *client {
	c.t.Helper()
	return login(c.t, e.url, c.user.Username, password)
}

// download fetches a file as the app does; rng is a Range header ("" for the whole file).
func (c *client) download(path, rng string) (status int, body []byte, length int64, code wire.Code) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ = io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		code = errorCode(body)
	}
	return res.StatusCode, body, res.ContentLength, code
}

func errorCode(body []byte) wire.Code {
	var eb wire.ErrorBody
	json.Unmarshal(body, &eb)
	return eb.Error.Code
}

func pseudoRandom(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func mediaKey(a wire.Attachment) string {
	return a.URL[strings.LastIndex(a.URL, "/")+1:]
}

func TestMediaStoredOnOneNodeIsServedByAnother(t *testing.T) {
	forEachS3Cluster(t, nil, func(t *testing.T, n s3Nodes) {
		ayseA := n.a.agent("ayse", limit(5))
		ayseA.online()
		conv := n.a.customer("905321110000", "Merhaba, faturamı gönderir misiniz?").ConversationID
		eventually(t, 5*time.Second, "the conversation assigned to Ayşe", func() bool { return len(ayseA.mine()) == 1 })

		// Ayşe uploads on node A (larger than one part: a multipart upload) and sends it.
		invoice := append([]byte("%PDF-1.4\n"), pseudoRandom(6<<20)...)
		status, att, code := ayseA.upload(conv, "fatura.pdf", "application/pdf", invoice)
		if status != http.StatusCreated {
			t.Fatalf("upload on node A: %d %s", status, code)
		}
		var sent wire.Message
		ayseA.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv),
			wire.SendMessageRequest{Body: "Faturanız ekte", Attachments: []wire.Attachment{att}}, &sent, http.StatusCreated)
		if want := []string{mediaPrefix + mediaKey(att)}; fmt.Sprint(n.s3.Objects(mediaBucket, "")) != fmt.Sprint(want) {
			t.Fatalf("the bucket holds %v, want %v", n.s3.Objects(mediaBucket, ""), want)
		}

		// On node B, the message's file is the same, whole and by ranges.
		ayseB := ayseA.on(n.b, "password-"+ayseA.user.Username)
		var onB wire.Message
		for _, m := range ayseB.conversation(conv).Messages {
			if m.ID == sent.ID {
				onB = m
			}
		}
		if len(onB.Attachments) != 1 || onB.Attachments[0].URL != att.URL {
			t.Fatalf("node B shows the message with %+v", onB.Attachments)
		}
		status, body, length, code := ayseB.download(att.URL, "")
		if status != http.StatusOK || !bytes.Equal(body, invoice) || length != int64(len(invoice)) {
			t.Fatalf("download on node B: %d %s, %d bytes (Content-Length %d), equal %v; want %d bytes",
				status, code, len(body), length, bytes.Equal(body, invoice), len(invoice))
		}
		status, body, length, _ = ayseB.download(att.URL, "bytes=5242870-5242889")
		if status != http.StatusPartialContent || !bytes.Equal(body, invoice[5242870:5242890]) || length != 20 {
			t.Fatalf("a range on node B: %d, %q (Content-Length %d)", status, body, length)
		}

		// A website visitor's file uploaded through node A is read through node B, by the
		// visitor and by the agent.
		v := n.a.visitor()
		photo := append([]byte("\x89PNG\r\n\x1a\n"), pseudoRandom(300_000)...)
		f, status := v.upload("kargo.png", "image/png", photo)
		if status != http.StatusCreated {
			t.Fatalf("visitor upload on node A: %d", status)
		}
		conn, _ := v.socket(v.s.VisitorSecret, 0)
		conn.send(webchat.ClientFrame{Type: "message", ID: "f1", Text: "Kargo fotoğrafı", Attachments: []webchat.File{{Key: f.Key}}})
		conn.Close()
		vB := &visitor{t: t, base: n.b.url, s: v.s}
		if status, body := vB.fetch(f.Key, v.s.VisitorSecret); status != http.StatusOK || !bytes.Equal(body, photo) {
			t.Fatalf("the visitor's file on node B: %d, %d bytes", status, len(body))
		}
		var visitorConv int64
		eventually(t, 5*time.Second, "the visitor's conversation assigned", func() bool {
			for _, c := range ayseB.mine() {
				if c.ID != conv {
					visitorConv = c.ID
				}
			}
			return visitorConv != 0
		})
		msgs := ayseB.conversation(visitorConv).Messages
		if len(msgs) == 0 || len(msgs[0].Attachments) != 1 {
			t.Fatalf("the agent sees %+v", msgs)
		}
		if status, body, _, _ := ayseB.download(msgs[0].Attachments[0].URL, ""); status != http.StatusOK || !bytes.Equal(body, photo) {
			t.Fatalf("the agent downloads the visitor's file on node B: %d, %d bytes", status, len(body))
		}
	})
}

func TestUnsentUploadsLeaveTheBucketAfterTheRetention(t *testing.T) {
	const retention = 2 * time.Second
	forEachS3Cluster(t, func(c *config.Config) { c.UploadRetention = retention }, func(t *testing.T, n s3Nodes) {
		ayse := n.a.agent("ayse", nil)
		ayse.online()
		conv := n.a.customer("905321110001", "Merhaba").ConversationID
		png := append([]byte("\x89PNG\r\n\x1a\n"), pseudoRandom(2048)...)
		_, unsent, _ := ayse.upload(conv, "taslak.png", "image/png", png)
		_, sent, _ := ayse.upload(conv, "etiket.png", "image/png", png)
		ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv),
			wire.SendMessageRequest{Body: "Etiketiniz", Attachments: []wire.Attachment{sent}}, nil, http.StatusCreated)
		v := n.a.visitor()
		vUnsent, _ := v.upload("taslak.pdf", "application/pdf", []byte("%PDF-1.4 taslak"))

		inBucket := func(key string) bool {
			for _, o := range n.s3.Objects(mediaBucket, mediaPrefix) {
				if o == mediaPrefix+key {
					return true
				}
			}
			return false
		}
		if !inBucket(mediaKey(unsent)) || !inBucket(vUnsent.Key) || !inBucket(mediaKey(sent)) {
			t.Fatalf("the uploads are in the bucket: %v", n.s3.Objects(mediaBucket, ""))
		}
		eventually(t, 20*time.Second, "the unsent uploads deleted from the bucket", func() bool {
			return !inBucket(mediaKey(unsent)) && !inBucket(vUnsent.Key)
		})
		if !inBucket(mediaKey(sent)) {
			t.Fatal("the file that was sent stays in the bucket")
		}
		ayseB := ayse.on(n.b, "password-"+ayse.user.Username)
		if status, _, _, _ := ayseB.download(unsent.URL, ""); status != http.StatusNotFound {
			t.Fatalf("the removed upload on node B: %d, want 404", status)
		}
		if status, body, _, _ := ayseB.download(sent.URL, ""); status != http.StatusOK || !bytes.Equal(body, png) {
			t.Fatalf("the sent file on node B: %d", status)
		}
	})
}

// While the bucket is away: an upload and a download are refused with media_unavailable (503),
// not a 500; a customer's photo arriving meanwhile is acknowledged and its message kept, and the
// photo is stored once S3 is back — then served by the other node.
func TestS3AwayRefusesFilesButLosesNoMessage(t *testing.T) {
	forEachS3Cluster(t, nil, func(t *testing.T, n s3Nodes) {
		graph := newGraph(t)
		var fetched atomic.Int64
		graph.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == "/whatsapp_business/attachments/" {
				fetched.Add(1)
			}
			return false
		})
		ch := n.a.whatsApp(graph.URL)
		ayse := n.a.agent("ayse", limit(5))
		ayse.online()
		signed(t, n.a.url, ch.ID, fresh(waFixture(t, "inbound_text.json")))
		conv := onlyConversation(t, ayse).ID
		_, before, _ := ayse.upload(conv, "once.png", "image/png", append([]byte("\x89PNG\r\n\x1a\n"), pseudoRandom(100)...))

		n.s3.Stop()
		if status, _, code := ayse.upload(conv, "fatura.pdf", "application/pdf", []byte("%PDF-1.4 fatura")); status != http.StatusServiceUnavailable || code != wire.CodeMediaUnavailable {
			t.Fatalf("an upload while S3 is away: %d %q, want 503 media_unavailable", status, code)
		}
		ayseB := ayse.on(n.b, "password-"+ayse.user.Username)
		if status, _, _, code := ayseB.download(before.URL, ""); status != http.StatusServiceUnavailable || code != wire.CodeMediaUnavailable {
			t.Fatalf("a download while S3 is away: %d %q, want 503 media_unavailable", status, code)
		}
		v := n.b.visitor()
		if _, status := v.upload("fatura.pdf", "application/pdf", []byte("%PDF-1.4 fatura")); status != http.StatusServiceUnavailable {
			t.Fatalf("a visitor's upload while S3 is away: %d, want 503", status)
		}
		if status, body := readyz(t, n.a.url); status != http.StatusServiceUnavailable || failedChecks(body) != "media" {
			t.Fatalf("/readyz while the bucket is away: %d %v, want 503 naming media", status, body)
		}

		// The customer's photo: acknowledged, and the message is there at once.
		if status, res := signed(t, n.a.url, ch.ID, fresh(waFixture(t, "inbound_image.json"))); status != http.StatusOK || res.Messages != 1 {
			t.Fatalf("the photo's webhook while S3 is away: %d %+v", status, res)
		}
		photoMessage := func(c *client) (wire.Message, bool) {
			for _, m := range c.conversation(conv).Messages {
				if len(m.Attachments) == 1 && m.Attachments[0].Kind == "image" {
					return m, true
				}
			}
			return wire.Message{}, false
		}
		m, ok := photoMessage(ayseB)
		if !ok || m.Attachments[0].URL != "" {
			t.Fatalf("the photo's message while S3 is away: %+v (found %v)", m, ok)
		}
		// Downloads from the provider are tried meanwhile and cannot be stored; the file is not
		// given up for it.
		eventually(t, 10*time.Second, "two downloads tried", func() bool { return fetched.Load() >= 2 })
		if m, _ = photoMessage(ayseB); m.Attachments[0].URL != "" {
			t.Fatalf("the photo cannot be stored while S3 is away: %+v", m.Attachments[0])
		}

		n.s3.Restart()
		eventually(t, 30*time.Second, "the photo stored once S3 is back", func() bool {
			m, _ = photoMessage(ayseB)
			return m.Attachments[0].URL != ""
		})
		if status, body, _, _ := ayseB.download(m.Attachments[0].URL, ""); status != http.StatusOK || !bytes.Equal(body, photo) {
			t.Fatalf("the customer's photo on node B: %d, %d bytes", status, len(body))
		}
		if status, _ := readyz(t, n.a.url); status != http.StatusOK {
			t.Fatalf("/readyz once the bucket is back: %d", status)
		}
	})
}
