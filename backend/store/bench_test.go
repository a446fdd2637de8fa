package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"santral/backend/store/storetest"
	"santral/backend/wire"
)

// BenchmarkWebhookWrites is the store's part of a signed webhook, per backend, one writer at a
// time and 64 at once: the write transaction a customer's message makes (channel switched on?,
// seen before?, the contact, their open conversation or a new one, the message, the
// conversation touched, its events) committed before the answer. Two hundred customers, so
// most messages go into an open conversation, as in a working day. Group commit is what the
// 64-writer figures measure: many requests, one transaction, one fsync.
func BenchmarkWebhookWrites(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) *Store
	}{
		{"sqlite", func(b *testing.B) *Store {
			s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "santral.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) *Store {
			s, err := OpenPostgres(context.Background(), storetest.Postgres(b))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, be := range backends {
		for _, writers := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/writers=%d", be.name, writers), func(b *testing.B) {
				s := be.open(b)
				defer s.Close()
				var ch int64
				if _, err := s.Tx(context.Background(), func(tx *Tx) (err error) { ch, err = testChannel(tx); return }); err != nil {
					b.Fatal(err)
				}
				var n atomic.Int64
				write := func() {
					i := n.Add(1)
					if err := webhookWrite(s, ch, fmt.Sprint("90532", i%200), fmt.Sprint("wamid.", i)); err != nil {
						b.Error(err)
					}
				}
				b.ResetTimer()
				if writers == 1 {
					for b.Loop() {
						write()
					}
				} else {
					b.SetParallelism((writers + 1) / 2) // × GOMAXPROCS (2 here)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							write()
						}
					})
				}
				b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "writes/s")
			})
		}
	}
}

// webhookWrite stores one customer message the way routing.Ingest does, without the rules.
func webhookWrite(s *Store, channelID int64, sender, externalID string) error {
	_, err := s.Tx(context.Background(), func(tx *Tx) error {
		if on, err := tx.ChannelEnabled(channelID); err != nil || !on {
			return err
		}
		if _, seen, err := tx.MessageSeen(channelID, externalID); err != nil || seen {
			return err
		}
		contact, err := tx.Contact(channelID, sender, "Müşteri "+sender, "+"+sender, "")
		if err != nil {
			return err
		}
		conv, open, err := tx.OpenConversationOf(contact)
		if err != nil {
			return err
		}
		if !open {
			if conv, err = tx.NewConversation(contact, channelID); err != nil {
				return err
			}
			if _, err := tx.AddTimeline(conv, "created", 0, nil); err != nil {
				return err
			}
		}
		msg, dup, err := tx.InsertMessage(NewMessage{ConversationID: conv, ChannelID: channelID, Direction: "in",
			Body: "Merhaba, siparişim ne zaman kargoya verilir?", Status: wire.StatusReceived, ExternalID: externalID})
		if err != nil || dup {
			return err
		}
		if err := tx.TouchInbound(conv, tx.Now, msg.Body); err != nil {
			return err
		}
		c, err := tx.Conversation(conv)
		if err != nil {
			return err
		}
		if err := tx.Append(wire.EventConversationUpdated, conv, Everyone, wire.ConversationData{Conversation: c}); err != nil {
			return err
		}
		return tx.Append(wire.EventMessageCreated, conv, Everyone, wire.MessageData{Message: msg})
	})
	return err
}
