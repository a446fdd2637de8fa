package nodes

// Work the nodes share: stored deadlines that every node sweeps fire once, and a send whose
// worker lost its lease cannot record an outcome, whichever node it ran on.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"santral/backend/wire"
)

// Three nodes sweep every 20 ms. Twenty-four transfer offers run out at the same moment, and six
// agents' apps disconnect at once and stay away past the grace period: each offer expires once
// (one expiry in its conversation's timeline, one transfer.resolved on its sender's stream), the
// conversations stay with their senders, and each agent goes offline once (one presence change
// in the log and on the supervisor's stream) with their conversation returned to the queue once.
func TestDeadlinesFireOnceAcrossNodes(t *testing.T) {
	c := newCluster(t, options{sweep: 20 * time.Millisecond})
	admin := c.admin(c.nodes[0])
	admin.settings(func(s *wire.Settings) {
		s.AutoAssign, s.OfferTimeoutSeconds, s.OfflineGraceSeconds, s.RequeueOnOffline = false, 1, 1, true
	})
	supervisor := admin.stream(c.nodes[1], -1)
	defer supervisor.close()

	const senders, offersEach, leavers = 4, 6, 6
	type offered struct {
		offer  wire.TransferOffer
		sender *client
	}
	var offers []offered
	var senderApps []*stream
	for i := range senders {
		n := c.nodes[i%3]
		s := c.agent(admin, n, fmt.Sprintf("sender%d", i), nil)
		r := c.agent(admin, c.nodes[(i+1)%3], fmt.Sprintf("receiver%d", i), nil)
		s.presence(wire.Online)
		r.presence(wire.Online)
		app := s.stream(n, -1)
		defer app.close()
		senderApps = append(senderApps, app)
		// The receiver's app stays connected: their own grace period is not what runs out here.
		defer r.stream(c.nodes[(i+1)%3], -1).close()
		for j := range offersEach {
			c.customer(c.nodes[j%3], fmt.Sprintf("90532500%02d%02d", i, j), fmt.Sprintf("o-%d-%d", i, j), "Merhaba")
			var conv wire.Conversation
			s.must("POST", "/api/v1/queue/pull", nil, &conv, http.StatusOK)
			var o wire.TransferOffer
			s.must("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", conv.ID), wire.TransferRequest{ToAgentID: r.user.ID}, &o, http.StatusCreated)
			offers = append(offers, offered{o, s})
		}
	}
	// All of them due at the same instant, a moment from now.
	due := time.Now().Add(300 * time.Millisecond).UnixMilli()
	if _, err := c.db.Exec(`UPDATE transfer_offers SET expires_at = $1 WHERE state = 'pending'`, due); err != nil {
		t.Fatal(err)
	}

	var gone []*client
	var goneConvs []int64
	var apps []*stream
	for i := range leavers {
		n := c.nodes[i%3]
		a := c.agent(admin, n, fmt.Sprintf("leaver%d", i), nil)
		a.presence(wire.Online)
		apps = append(apps, a.stream(n, -1))
		c.customer(n, fmt.Sprintf("90532600%04d", i), fmt.Sprintf("g-%d", i), "Merhaba")
		var conv wire.Conversation
		a.must("POST", "/api/v1/queue/pull", nil, &conv, http.StatusOK)
		gone, goneConvs = append(gone, a), append(goneConvs, conv.ID)
	}
	for _, app := range apps {
		app.close() // the laptops close at once
	}

	for _, o := range offers {
		var got wire.TransferOffer
		eventually(t, 30*time.Second, fmt.Sprintf("offer %d to expire", o.offer.ID), func() bool {
			o.sender.must("GET", fmt.Sprintf("/api/v1/transfers/%d", o.offer.ID), nil, &got, http.StatusOK)
			return got.State != wire.OfferPending
		})
		if got.State != wire.OfferExpired {
			t.Errorf("offer %d past its deadline is %s", o.offer.ID, got.State)
		}
	}
	for i, a := range gone {
		eventually(t, 30*time.Second, a.user.Username+" to go offline", func() bool {
			var me wire.User
			a.on(c.nodes[2]).must("GET", "/api/v1/me", nil, &me, http.StatusOK)
			return me.Presence == wire.Offline
		})
		var q []wire.Conversation
		eventually(t, 30*time.Second, fmt.Sprintf("conversation %d back in the queue", goneConvs[i]), func() bool {
			q = admin.queue()
			return len(q) == leavers
		})
	}

	// A second firing could only come from a sweep that read a deadline as due before the first
	// firing committed, and then waited for its locks: it ends within milliseconds. The next 200
	// ms — ten sweeps of each node — are watched for one (nothing to poll for: the point is that
	// nothing more happens). Then a settings change marks how far each stream must have read.
	time.Sleep(200 * time.Millisecond)
	admin.settings(func(*wire.Settings) {})
	var end int64
	c.db.QueryRow(`SELECT MAX(seq) FROM events WHERE type = 'settings.changed'`).Scan(&end)
	events := supervisor.waitFor(30*time.Second, "the settings change", func(ev []seen) bool {
		return len(ev) > 0 && ev[len(ev)-1].Seq >= end
	})

	for i, o := range offers {
		expired := 0
		for _, e := range admin.on(c.nodes[i%3]).detail(o.offer.ConversationID).Timeline {
			if e.Kind == "transfer_expired" {
				expired++
			}
		}
		if expired != 1 {
			t.Errorf("conversation %d's timeline shows %d expiries of offer %d", o.offer.ConversationID, expired, o.offer.ID)
		}
		if held := ids(o.sender.mine()); !containsID(held, o.offer.ConversationID) {
			t.Errorf("conversation %d left its sender %s after the offer expired: they hold %v", o.offer.ConversationID, o.sender.user.Username, held)
		}
	}
	for i, app := range senderApps {
		resolved := map[int64]int{}
		for _, e := range app.waitFor(30*time.Second, "the settings change", func(ev []seen) bool { return len(ev) > 0 && ev[len(ev)-1].Seq >= end }) {
			var d wire.OfferData
			if e.Type == wire.EventTransferResolved && json.Unmarshal(e.Data, &d) == nil {
				resolved[d.Offer.ID]++
			}
		}
		for _, o := range offers[i*offersEach : (i+1)*offersEach] {
			if resolved[o.offer.ID] != 1 {
				t.Errorf("sender%d's app was told %d times that offer %d ended", i, resolved[o.offer.ID], o.offer.ID)
			}
		}
	}
	for i, a := range gone {
		offline := 0
		for _, e := range events {
			var d wire.PresenceData
			if e.Type == wire.EventPresenceChanged && json.Unmarshal(e.Data, &d) == nil && d.User.ID == a.user.ID && d.User.Presence == wire.Offline {
				offline++
			}
		}
		var logged int
		c.db.QueryRow(`SELECT COUNT(*) FROM presence_log WHERE user_id = $1 AND presence = 'offline'`, a.user.ID).Scan(&logged)
		if offline != 1 || logged != 1 {
			t.Errorf("%s went offline %d times on the supervisor's stream and %d times in the presence log", a.user.Username, offline, logged)
		}
		requeued := 0
		for _, e := range admin.detail(goneConvs[i]).Timeline {
			if e.Kind == "requeued" {
				requeued++
			}
		}
		if requeued != 1 {
			t.Errorf("conversation %d was returned to the queue %d times", goneConvs[i], requeued)
		}
	}
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// An agent's WhatsApp reply is claimed by one node's send worker; the Graph API holds the
// request past the worker's lease (a stalled process: a test cannot freeze one, so the lease is
// aged in the database), and another node's sweep fails the send as delivery unknown — the
// agent is told to check. When the Graph API's late answer reaches the first worker, it records
// nothing: the message stays failed with delivery unknown, no provider id, its job failed, and
// the customer got it once.
func TestLostLeaseRecordsNothingAcrossNodes(t *testing.T) {
	const held = "Siparişiniz yarın kargoda"
	g := newGraph(t, held)
	c := newCluster(t, options{})
	admin := c.admin(c.nodes[0])
	channel := c.whatsapp(admin, g.URL)
	ayse := c.agent(admin, c.nodes[1], "ayse", nil)
	ayse.presence(wire.Online)
	if _, err := deliver(c.nodes[2], channel, whatsappText("905321234567", "wamid.lease.1", "Kargom ne zaman gelir?")); err != nil {
		t.Fatal(err)
	}
	mine := ayse.mine()
	if len(mine) != 1 {
		t.Fatalf("ayse holds %d conversations", len(mine))
	}
	conv := mine[0].ID
	var msg wire.Message
	ayse.must("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), wire.SendMessageRequest{Body: held}, &msg, http.StatusCreated)
	select {
	case <-g.held:
	case <-time.After(30 * time.Second):
		t.Fatal("no node sent the reply to the Graph API within 30s")
	}
	if _, err := c.db.Exec(`UPDATE send_jobs SET lease_until = 1 WHERE message_id = $1 AND state = 'sending'`, msg.ID); err != nil {
		t.Fatal(err)
	}
	status := func() wire.Message {
		var list []wire.Message
		ayse.on(c.nodes[2]).must("GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), nil, &list, http.StatusOK)
		for _, m := range list {
			if m.ID == msg.ID {
				return m
			}
		}
		t.Fatalf("message %d is not in its conversation", msg.ID)
		return wire.Message{}
	}
	eventually(t, 30*time.Second, "the send to fail as delivery unknown", func() bool { return status().Status == wire.StatusFailed })
	before := status()
	if !before.DeliveryUnknown || !strings.HasPrefix(before.StatusReason, "delivery unknown") {
		t.Fatalf("the agent should be told to check the customer's chat: %+v", before)
	}

	close(g.release) // the Graph API answers the first worker at last: accepted
	eventually(t, 30*time.Second, "the first worker to meet its lost lease", func() bool {
		for _, n := range c.nodes {
			if b, _ := os.ReadFile(n.log); strings.Contains(string(b), "lease was lost; outcome not recorded") && strings.Contains(string(b), fmt.Sprintf("message_id=%d", msg.ID)) {
				return true
			}
		}
		return false
	})
	after := status()
	if after.Status != before.Status || after.StatusReason != before.StatusReason || !after.DeliveryUnknown || after.ExternalID != "" {
		t.Fatalf("the late answer changed what the agent sees:\nbefore %+v\nafter  %+v", before, after)
	}
	var state string
	if err := c.db.QueryRow(`SELECT state FROM send_jobs WHERE message_id = $1`, msg.ID).Scan(&state); err != nil || state != "failed" {
		t.Fatalf("the lost job is %q (%v), want failed", state, err)
	}
	if n := g.sent(held); n != 1 {
		t.Fatalf("the Graph API got the reply %d times, want once", n)
	}
}
