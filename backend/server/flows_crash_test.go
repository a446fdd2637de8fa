package server_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"santral/backend/wire"
)

// A flow's wait is a stored deadline: santrald is SIGKILLed while a conversation waits for the
// customer's answer, and the new process fires the timeout — once, not before its time.
func TestFlowWaitTimeoutFiresAfterSIGKILL(t *testing.T) {
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
	port := freePort(t)
	p1 := startSantrald(t, bin, dir, port, logPath)
	admin := login(t, p1.url, "admin", adminPassword)
	reason := admin.endReason("Müşteri yanıt vermedi")
	def := wire.FlowDefinition{Start: "hello", Steps: []wire.FlowStep{
		{ID: "hello", Type: wire.StepMessage, Text: "Merhaba! Sorunuzu kısaca yazar mısınız?", Next: "wait"},
		{ID: "wait", Type: wire.StepWait, Attribute: "soru", TimeoutSeconds: 2, OnTimeout: "late", Next: "agent"},
		{ID: "agent", Type: wire.StepHandover},
		{ID: "late", Type: wire.StepMessage, Text: "Yanıt alamadık, görüşmeyi kapatıyoruz.", Next: "close"},
		{ID: "close", Type: wire.StepEnd, EndReasonID: reason},
	}}
	name := "Bekleme"
	var f wire.Flow
	admin.mustDo("POST", "/api/v1/flows", wire.FlowRequest{Name: &name, Definition: &def}, &f, http.StatusCreated)
	admin.mustDo("POST", fmt.Sprintf("/api/v1/flows/%d/publish", f.ID), nil, &f, http.StatusOK)
	var channels []wire.ChannelAccount
	admin.mustDo("GET", "/api/v1/channel-accounts", nil, &channels, http.StatusOK)
	for _, c := range channels {
		if c.Type == wire.ChannelSandbox {
			admin.mustDo("PUT", fmt.Sprintf("/api/v1/channel-accounts/%d/default-flow", c.ID), wire.DefaultFlowRequest{FlowID: &f.ID}, nil, http.StatusOK)
		}
	}
	sent := customer(t, p1.url, "crash-flow", "crash-flow-1", "Merhaba")
	if err := p1.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p1.exited(t, 10*time.Second)
	// What the killed process left: the run waiting at its step, the deadline stored.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "santral.db")+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	var state, step string
	var deadline int64
	err = db.QueryRow(`SELECT state, step, deadline FROM flow_runs WHERE conversation_id = ?`, sent.ConversationID).Scan(&state, &step, &deadline)
	db.Close()
	if err != nil || state != "waiting" || step != "wait" || deadline == 0 {
		t.Fatalf("the run at the kill: %s at %q, deadline %d (%v); want waiting at \"wait\" with a deadline", state, step, deadline, err)
	}

	p2 := startSantrald(t, bin, dir, port, logPath)
	admin = login(t, p2.url, "admin", adminPassword)
	var conv wire.ConversationDetail
	eventually(t, 15*time.Second, "the wait times out in the new process", func() bool {
		admin.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d", sent.ConversationID), nil, &conv, http.StatusOK)
		return conv.Conversation.State == wire.Ended
	})
	if conv.Conversation.EndReasonID == nil || *conv.Conversation.EndReasonID != reason {
		t.Fatalf("ended with %v, want the flow's reason %d", conv.Conversation.EndReasonID, reason)
	}
	var out []wire.SandboxOutbound
	(&client{t: t, base: p2.url}).mustDo("GET", "/sandbox/messages?sender_id=crash-flow", nil, &out, http.StatusOK)
	var bodies []string
	for _, m := range out {
		bodies = append(bodies, m.Body)
	}
	if strings.Join(bodies, "|") != "Merhaba! Sorunuzu kısaca yazar mısınız?|Yanıt alamadık, görüşmeyi kapatıyoruz." {
		t.Fatalf("the customer received %q: the timeout fires exactly once", bodies)
	}
	if late := out[1].At - out[0].At; late < 2000 {
		t.Fatalf("the timeout fired %d ms after the question, before its 2 s", late)
	}
}
