package commerce

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/wire"
)

// The panel read the conversation while Ayşe held it; a supervisor then reassigned it to
// Mehmet before her cancel went on. The holder is checked in the database with the pending
// action, not on the conversation the request read: her cancel is refused (not_holder) and the
// shop is never asked; Mehmet, who holds it now, may.
func TestOrderActionFromAConversationReassignedMeanwhileIsRefused(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	rt := routing.New(st, stream.NewHub(st, time.Second, 1024, log), log)
	var cancels atomic.Int32
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "shop", "testdata", "shopify", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	shopSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query string `json:"query"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		op, _, _ := strings.Cut(strings.Fields(req.Query)[1], "(")
		w.Header().Set("Content-Type", "application/json")
		switch op {
		case "SantralCustomerOrders":
			w.Write(fixture("customer_by_identifier.response.json"))
		case "SantralOrderCancel":
			cancels.Add(1)
			w.Write(fixture("order_cancel.response.json"))
		case "SantralJob":
			w.Write(fixture("job_poll.response.json"))
		default:
			w.Write([]byte(`{"data":{}}`))
		}
	}))
	defer shopSrv.Close()
	svc := New(st, rt, nil, Options{}, log)
	roles := []wire.Role{wire.RoleAdmin, wire.RoleSupervisor, wire.RoleAgent}
	shopRow, err := svc.Save(ctx, 0, wire.ShopStoreRequest{Platform: "shopify", Name: "Anadolu", BaseURL: shopSrv.URL,
		Credentials: map[string]string{"access_token": "shpat_x"}, ActionRoles: roles})
	if err != nil {
		t.Fatal(err)
	}
	var ayse, mehmet, selin int64
	var channel int64
	if _, err := st.Tx(ctx, func(tx *store.Tx) (err error) {
		if channel, err = tx.EnsureChannel(wire.ChannelSandbox, "Sandbox"); err != nil {
			return err
		}
		if ayse, err = tx.CreateUser("ayse", "Ayşe", "hash", wire.RoleAgent, nil, nil); err != nil {
			return err
		}
		if mehmet, err = tx.CreateUser("mehmet", "Mehmet", "hash", wire.RoleAgent, nil, nil); err != nil {
			return err
		}
		selin, err = tx.CreateUser("selin", "Selin", "hash", wire.RoleSupervisor, nil, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.SetPresence(ctx, ayse, wire.Online, ""); err != nil {
		t.Fatal(err)
	}
	in, err := rt.Ingest(ctx, routing.Inbound{ChannelID: channel, SenderID: "c1", Name: "Ayşe Yılmaz", Phone: "+905321234567", ExternalID: "m1", Body: "Siparişim"})
	if err != nil {
		t.Fatal(err)
	}
	read, err := st.Conversation(ctx, in.ConversationID) // what the panel's request read
	if err != nil || read.AgentID == nil || *read.AgentID != ayse {
		t.Fatalf("Ayşe should hold it: %+v %v", read, err)
	}
	if _, err := rt.SetPresence(ctx, mehmet, wire.Online, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Reassign(ctx, wire.User{ID: selin, Role: wire.RoleSupervisor, DisplayName: "Selin"}, in.ConversationID, nil, mehmet); err != nil {
		t.Fatal(err)
	}
	req := wire.ShopOrderActionRequest{StoreID: shopRow.ID, OrderID: "gid://shopify/Order/6120457788417", Number: "#1057", Action: "cancel", Confirm: true}
	_, err = svc.Act(ctx, wire.User{ID: ayse, Role: wire.RoleAgent, DisplayName: "Ayşe"}, read, req)
	if wire.CodeOf(err) != wire.CodeNotHolder || cancels.Load() != 0 {
		t.Fatalf("Ayşe's cancel after the reassignment: %v, %d cancels at the shop", err, cancels.Load())
	}
	now, _ := st.Conversation(ctx, in.ConversationID)
	res, err := svc.Act(ctx, wire.User{ID: mehmet, Role: wire.RoleAgent, DisplayName: "Mehmet"}, now, req)
	if err != nil || cancels.Load() != 1 || !bytes.Contains(res.Timeline.Data, []byte(`"ok":true`)) {
		t.Fatalf("Mehmet's cancel: %+v %v (%d cancels)", res, err, cancels.Load())
	}
}
