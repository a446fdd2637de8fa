// Package outbox sends agents' replies on real channels from their stored send jobs
// (ARCHITECTURE.md invariant 6): claimed with a lease, sent through the channel's adapter,
// retried with backoff when the provider says it may succeed later (throughput limits, 5xx,
// timeouts), failed with the provider's reason when not (window closed, undeliverable).
package outbox

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"santral/backend/channels"
	"santral/backend/media"
	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/wire"
)

// SenderFor builds the adapter that sends on a channel account.
type SenderFor func(ch store.ChannelRow) (channels.Sender, error)

// Options tune the worker.
type Options struct {
	Batch       int
	Lease       time.Duration // a claimed job is retried after this if its worker vanished
	MaxAttempts int
	MinBackoff  time.Duration
	MaxBackoff  time.Duration
}

// Worker sends due jobs.
type Worker struct {
	files   media.Store
	store   *store.Store
	routing *routing.Service
	sender  SenderFor
	opt     Options
	log     *slog.Logger
}

// New returns a worker.
func New(s *store.Store, r *routing.Service, files media.Store, sender SenderFor, opt Options, log *slog.Logger) *Worker {
	if opt.Batch <= 0 {
		opt.Batch = 20
	}
	if opt.Lease <= 0 {
		opt.Lease = 10 * time.Minute // longer than any send may take (sendTimeout)
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 12
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 2 * time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 10 * time.Minute
	}
	return &Worker{store: s, routing: r, files: files, sender: sender, opt: opt, log: log}
}

// unknownOutcome is what the agent reads on a send whose worker stopped mid-way.
const unknownOutcome = "delivery unknown: the server stopped while sending this message; check the customer's chat before sending it again"

// RunOnce sends what is due now; it reports how many jobs it handled. A send abandoned by a
// worker that died mid-way is failed with "delivery unknown", never sent again on its own:
// sending twice is worse than asking the agent to look.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if due, err := w.store.SendsDue(ctx, store.Now()); err != nil || !due {
		return 0, err
	}
	var jobs, abandoned []store.SendJob
	_, err := w.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if abandoned, err = tx.AbandonedSends(); err != nil {
			return err
		}
		jobs, err = tx.ClaimSends(w.opt.Batch, tx.Now+w.opt.Lease.Milliseconds())
		return err
	})
	for _, j := range abandoned {
		w.log.Warn("outbox: send abandoned mid-way", "message_id", j.MessageID)
		if err := w.routing.SendFailed(ctx, j.ID, j.MessageID, unknownOutcome, 0); err != nil {
			return 0, err
		}
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: unable to claim jobs: %w", err)
	}
	for _, j := range jobs {
		if err := w.send(ctx, j); err != nil {
			return len(jobs), err
		}
	}
	return len(jobs), nil
}

func (w *Worker) send(ctx context.Context, j store.SendJob) error {
	msg, conv, ch, err := w.load(ctx, j)
	if err != nil {
		return w.routing.SendFailed(ctx, j.ID, j.MessageID, err.Error(), 0)
	}
	sender, err := w.sender(ch)
	if err != nil {
		return w.routing.SendFailed(ctx, j.ID, j.MessageID, "channel not usable: "+err.Error(), 0)
	}
	win := routing.WindowAt(ch, conv.LastInboundAt, store.Now())
	out := channels.Outbound{To: conv.Contact.ExternalID, Text: msg.Body, HumanAgent: win.HumanAgent,
		IdempotencyKey: fmt.Sprintf("santral-%d", msg.ID)}
	if len(msg.Attachments) > 0 && w.files != nil {
		// One file per message (checked when the agent sent it); the text goes as its caption.
		a := msg.Attachments[0]
		key := strings.TrimPrefix(a.URL, "/api/v1/media/")
		out.Media = &channels.OutboundMedia{Kind: a.Kind, Name: a.Name, MimeType: a.MimeType, Size: a.Size,
			Open: func() (io.ReadCloser, error) { return w.files.Open(ctx, key) }}
	}
	if msg.Template != nil {
		out.Text = ""
		out.Template = &channels.Template{Name: msg.Template.Name, Language: msg.Template.Language, BodyParams: msg.Template.Params}
	}
	timeout := 30 * time.Second
	if out.Media != nil {
		timeout = 5 * time.Minute // a 100 MB upload on a slow line
	}
	sendCtx, cancel := context.WithTimeout(ctx, timeout)
	sent, err := sender.Send(sendCtx, out)
	cancel()
	if err == nil {
		return w.routing.SendSucceeded(ctx, j.ID, j.MessageID, sent.ExternalID)
	}
	se, ok := channels.AsSendError(err)
	if !ok {
		se = &channels.SendError{Title: err.Error(), Retry: true}
	}
	reason := describe(se)
	if se.Retry && j.Attempts < w.opt.MaxAttempts {
		wait := w.backoff(j.Attempts)
		if se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		w.log.Info("outbox: send will be retried", "message_id", j.MessageID, "attempt", j.Attempts, "in", wait, "reason", reason)
		return w.routing.SendFailed(ctx, j.ID, j.MessageID, reason, store.Now()+wait.Milliseconds())
	}
	w.log.Warn("outbox: send failed", "message_id", j.MessageID, "attempts", j.Attempts, "reason", reason)
	return w.routing.SendFailed(ctx, j.ID, j.MessageID, reason, 0)
}

func (w *Worker) load(ctx context.Context, j store.SendJob) (wire.Message, wire.Conversation, store.ChannelRow, error) {
	var msg wire.Message
	var conv wire.Conversation
	var ch store.ChannelRow
	_, err := w.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if msg, err = tx.Message(j.MessageID); err != nil {
			return err
		}
		if conv, err = tx.Conversation(msg.ConversationID); err != nil {
			return err
		}
		ch, err = tx.ChannelRow(j.ChannelID)
		return err
	})
	return msg, conv, ch, err
}

// backoff doubles per attempt with jitter.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opt.MinBackoff << min(attempt-1, 20)
	if d > w.opt.MaxBackoff || d <= 0 {
		d = w.opt.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// describe is the reason an agent reads: the provider's code and words.
func describe(e *channels.SendError) string {
	switch {
	case e.Code != 0 && e.Detail != "":
		return fmt.Sprintf("%d %s: %s", e.Code, e.Title, e.Detail)
	case e.Code != 0:
		return fmt.Sprintf("%d %s", e.Code, e.Title)
	case e.HTTPStatus != 0:
		return fmt.Sprintf("HTTP %d %s", e.HTTPStatus, e.Title)
	}
	return e.Title
}
