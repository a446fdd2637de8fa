package app

import (
	"strconv"
	"strings"
	"testing"

	appsync "santral/app/sync"
	"santral/backend/server/servertest"
	"santral/backend/wire"
)

// The sender hears of an offer that did not go through: rejected (in words, with the receiver's
// name; an OS notification when the window is not focused), and withdrawn when the receiver
// goes on break.
func TestAFailedTransferOfferTellsTheSender(t *testing.T) {
	srv := servertest.Start(t, "")
	srv.Agent("ayse", "Ayşe Demir", 3)
	mehmet := srv.Agent("mehmet", "Mehmet Kaya", 0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.Call(mehmet.Token, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Online}, nil))
	a, shell, notes := newApp(t, t.TempDir())
	if _, err := a.Login(srv.URL, "ayse", "password-ayse"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "connected", func() bool { return a.Session().Connection.State == appsync.StateConnected })
	if _, err := a.SetPresence("online", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RefreshAgents(); err != nil { // the receiver's name, as the transfer dialog reads it
		t.Fatal(err)
	}
	conv := srv.Customer("905321119900", "o1", "Merhaba").ConversationID
	eventually(t, "the conversation in my inbox", func() bool { in, _ := a.Inbox(); return len(in.Mine) == 1 })

	a.SetFocused(true)
	offer, err := a.Transfer(conv, mehmet.User.ID, "Bakar mısın?")
	must(err)
	must(srv.Call(mehmet.Token, "POST", "/api/v1/transfers/"+strconv.FormatInt(offer.ID, 10)+"/reject", nil, nil))
	eventually(t, "offer-failed (rejected) with the receiver's name", func() bool {
		for _, e := range shell.find("offer-failed ") {
			if strings.Contains(e, `"state":"rejected"`) && strings.Contains(e, `"to_name":"Mehmet Kaya"`) {
				return true
			}
		}
		return false
	})
	if len(notes.all()) > 1 { // the assignment's only: the window had focus
		t.Fatalf("no OS notification while focused: %+v", notes.all())
	}

	a.SetFocused(false)
	offer, err = a.Transfer(conv, mehmet.User.ID, "")
	must(err)
	must(srv.Call(mehmet.Token, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Break, Reason: "Yemek"}, nil))
	eventually(t, "a notification that the transfer was withdrawn", func() bool {
		for _, n := range notes.all() {
			if n.ConversationID == conv && strings.Contains(n.Title, "Mehmet Kaya kişisine aktarım geri çekildi") {
				return true
			}
		}
		return false
	})
	if in, _ := a.Inbox(); len(in.Mine) != 1 {
		t.Fatal("the conversation stays with the sender")
	}
}

// A transfer offer's OS notification says whom and what, from the pending offer the server sent
// (customer name and last message), then the sender's note.
func TestOfferNotificationNamesTheCustomer(t *testing.T) {
	o := wire.TransferOffer{Note: "Kargo takibini sen yapar mısın?", CustomerName: "Elif Şahin", CustomerMessage: "Kargom gelmedi"}
	if got, want := offerBody(o), "Elif Şahin: “Kargom gelmedi”\nKargo takibini sen yapar mısın?"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if got := offerBody(wire.TransferOffer{Note: "not"}); got != "not" {
		t.Errorf("without a customer, the note alone: %q", got)
	}
}
