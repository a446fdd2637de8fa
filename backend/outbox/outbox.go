// Package outbox sends agents' replies on real channels from their stored send jobs
// (ARCHITECTURE.md invariant 6): claimed with a lease and a fencing token, sent through the
// channel's adapter within a deadline that grows with the file, and then
//   - retried with backoff when the provider says it may succeed later (throughput limits, a
//     transient error) or the request provably never reached it (refused connection, DNS, TLS,
//     a request cut off before its end);
//   - failed as "delivery unknown", never sent again by itself, when the provider may have
//     received it (no answer once the whole request had left, an unreadable answer) — the
//     providers here take no idempotency key, and sending twice is worse than asking the agent
//     to look;
//   - failed with the provider's reason when a person must change something (window closed,
//     undeliverable).
//
// A stop (SIGTERM) claims nothing more and lets the send in flight finish and record its outcome.
package outbox

import (
	"context"
	"errors"
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
	// Lease is how long past its own deadline a claimed send counts as abandoned by its worker.
	Lease       time.Duration
	MaxAttempts int
	MinBackoff  time.Duration
	MaxBackoff  time.Duration
	Timeouts    channels.Timeouts // a send's deadline, from the size of its file
	Drain       time.Duration     // after a stop, how long the send in flight may still take
	Observer    Observer          // told of sends that failed for good; nil: nobody
}

// Observer hears of each send that failed for good once its outcome is recorded (the node's
// metrics): deliveryUnknown when the provider may have received it all the same, otherwise it
// provably did not (refused, retries used up, the channel unusable). It must not block.
type Observer interface{ SendFailed(deliveryUnknown bool) }

// Worker sends due jobs, one at a time.
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
	if opt.Lease <= 0 {
		opt.Lease = time.Minute
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
	if opt.Timeouts.Floor <= 0 {
		opt.Timeouts.Floor = channels.DefaultTimeouts.Floor
	}
	if opt.Timeouts.PerMB <= 0 {
		opt.Timeouts.PerMB = channels.DefaultTimeouts.PerMB
	}
	if opt.Drain <= 0 {
		opt.Drain = 25 * time.Second
	}
	return &Worker{store: s, routing: r, files: files, sender: sender, opt: opt, log: log}
}

// What the agent reads on a send that may have reached the customer: what happened, then what
// to do. The reason starts with "delivery unknown" and the message carries delivery_unknown.
const (
	unknownAction  = "Check the customer's chat; if the message is not there, send it again."
	abandonedCause = "the server stopped while sending this message"
)

func unknownReason(cause string) string { return "delivery unknown (" + cause + "). " + unknownAction }

// Run sends due jobs, one at a time, until ctx is done, looking every poll when idle. Then it
// claims nothing more; the send in flight goes on, for up to Options.Drain, and its outcome is
// recorded (cut off by the drain, it is retried at the next start when it provably never reached
// the provider, and is delivery unknown otherwise). Jobs not started stay pending.
func (w *Worker) Run(ctx context.Context, poll time.Duration) {
	sends, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(w.opt.Drain)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			w.log.Warn("outbox: drain timeout: cutting off the send in flight", "drain", w.opt.Drain)
			abort()
		}
	}()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			sent, err := w.SendNext(ctx, sends)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Error("outbox: send failed", "err", err)
				}
				break
			}
			if !sent {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// FailAbandoned fails, as delivery unknown, sends whose worker stopped mid-way (their lease ran
// out): whether the provider got them is unknown, and they are never sent again by themselves.
// It runs apart from the sending, so a long upload here does not hide another node's crash.
func (w *Worker) FailAbandoned(ctx context.Context) error {
	if due, err := w.store.SendsAbandoned(ctx, store.Now()); err != nil || !due {
		return err
	}
	jobs, err := w.routing.FailAbandonedSends(ctx, unknownReason(abandonedCause))
	for _, j := range jobs {
		w.log.Warn("outbox: send abandoned mid-way: delivery unknown", "message_id", j.MessageID, "attempt", j.Attempts)
		if w.opt.Observer != nil {
			w.opt.Observer.SendFailed(true)
		}
	}
	return err
}

// claimed is a job with what sending it needs.
type claimed struct {
	job      store.SendJob
	msg      wire.Message
	conv     wire.Conversation
	ch       store.ChannelRow
	deadline time.Duration
	unusable error // the job cannot be sent (its message or channel is gone): failed for good
}

// SendNext claims the next due job (under ctx) and sends it (under sends, which may outlive ctx:
// see Run); it reports whether there was a job. The job's lease covers the send's deadline.
func (w *Worker) SendNext(ctx, sends context.Context) (bool, error) {
	if due, err := w.store.SendsDue(ctx, store.Now()); err != nil || !due {
		return false, err
	}
	var c *claimed
	_, err := w.store.Tx(ctx, func(tx *store.Tx) error {
		c = nil
		jobs, err := tx.ClaimSends(1, tx.Now+w.opt.Lease.Milliseconds())
		if err != nil || len(jobs) == 0 {
			return err
		}
		c = &claimed{job: jobs[0], deadline: w.opt.Timeouts.Floor}
		if c.unusable = w.load(tx, c); c.unusable != nil {
			return nil
		}
		_, err = tx.ExtendSend(c.job, tx.Now+(c.deadline+w.opt.Lease).Milliseconds())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("outbox: unable to claim a job: %w", err)
	}
	if c == nil {
		return false, nil
	}
	return true, w.send(sends, c)
}

func (w *Worker) load(tx *store.Tx, c *claimed) error {
	var err error
	if c.msg, err = tx.Message(c.job.MessageID); err != nil {
		return err
	}
	if c.conv, err = tx.Conversation(c.msg.ConversationID); err != nil {
		return err
	}
	if c.ch, err = tx.ChannelRow(c.job.ChannelID); err != nil {
		return err
	}
	if len(c.msg.Attachments) > 0 {
		// The upload at the slowest rate assumed, then the message that names it.
		c.deadline = w.opt.Timeouts.For(c.msg.Attachments[0].Size) + w.opt.Timeouts.Floor
	}
	return nil
}

func (w *Worker) send(ctx context.Context, c *claimed) error {
	j := c.job
	if c.unusable != nil {
		return w.fail(ctx, j, c.unusable.Error(), false)
	}
	sender, err := w.sender(c.ch)
	if err != nil {
		return w.fail(ctx, j, "channel not usable: "+err.Error(), false)
	}
	sendCtx, cancel := context.WithTimeout(ctx, c.deadline)
	defer cancel()
	win := routing.WindowAt(c.ch, c.conv.LastInboundAt, store.Now())
	out := channels.Outbound{To: c.conv.Contact.ExternalID, Text: c.msg.Body, HumanAgent: win.HumanAgent,
		IdempotencyKey: fmt.Sprintf("santral-%d", c.msg.ID), Interactive: c.msg.Interactive}
	if c.msg.FlowID != nil {
		out.HumanAgent = false // the HUMAN_AGENT tag is for messages people write
	}
	if a := firstAttachment(c.msg); a != nil && isLink(a.URL) {
		out.Media = linkMedia(sendCtx, *a)
	} else if len(c.msg.Attachments) > 0 && w.files != nil {
		// One file per message (checked when the agent sent it); the text goes as its caption.
		a := c.msg.Attachments[0]
		key := strings.TrimPrefix(a.URL, "/api/v1/media/")
		out.Media = &channels.OutboundMedia{Kind: a.Kind, Name: a.Name, MimeType: a.MimeType, Size: a.Size,
			Open: func() (io.ReadCloser, error) { return w.files.Open(sendCtx, key) }}
	}
	if c.msg.Template != nil {
		out.Text = ""
		out.Template = &channels.Template{Name: c.msg.Template.Name, Language: c.msg.Template.Language, BodyParams: c.msg.Template.Params,
			ParamNames: c.msg.Template.ParamNames}
	}
	sent, err := sender.Send(sendCtx, out)
	cancel()
	if err == nil {
		return w.record(ctx, j, "sent", func(rec context.Context) error {
			return w.routing.SendSucceeded(rec, j, sent.ExternalID)
		})
	}
	se, ok := channels.AsSendError(err)
	if !ok {
		// Adapters classify every request they make; anything else failed before one (the file
		// would not open), so trying again cannot send twice.
		se = &channels.SendError{Title: err.Error(), Retry: true}
	}
	reason := describe(se)
	switch {
	case se.Unknown:
		w.log.Warn("outbox: delivery unknown", "message_id", j.MessageID, "attempt", j.Attempts, "reason", reason, "detail", se.Detail)
		return w.fail(ctx, j, unknownReason(reason), true)
	case se.Retry && j.Attempts < w.opt.MaxAttempts:
		wait := w.backoff(j.Attempts)
		if se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		w.log.Info("outbox: send will be retried", "message_id", j.MessageID, "attempt", j.Attempts, "in", wait, "reason", reason, "detail", se.Detail)
		return w.record(ctx, j, "retried", func(rec context.Context) error {
			return w.routing.SendRetry(rec, j, reason, store.Now()+wait.Milliseconds())
		})
	}
	w.log.Warn("outbox: send failed", "message_id", j.MessageID, "attempts", j.Attempts, "reason", reason, "detail", se.Detail)
	return w.fail(ctx, j, reason, false)
}

// fail records that a send failed for good, and tells the observer once it is recorded.
func (w *Worker) fail(ctx context.Context, j store.SendJob, reason string, deliveryUnknown bool) error {
	outcome := "failed"
	if deliveryUnknown {
		outcome = "failed as delivery unknown"
	}
	recorded := false
	err := w.record(ctx, j, outcome, func(rec context.Context) error {
		err := w.routing.SendFailed(rec, j, reason, deliveryUnknown)
		recorded = err == nil
		return err
	})
	if recorded && w.opt.Observer != nil {
		w.opt.Observer.SendFailed(deliveryUnknown)
	}
	return err
}

// record writes a send's outcome. It runs even when the send was cut off (the drain ran out):
// the outcome is what a restart must know. A worker that lost its job records nothing.
func (w *Worker) record(ctx context.Context, j store.SendJob, outcome string, fn func(context.Context) error) error {
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := fn(rec)
	if errors.Is(err, routing.ErrLeaseLost) {
		w.log.Warn("outbox: the job's lease was lost; outcome not recorded", "message_id", j.MessageID, "outcome", outcome)
		return nil
	}
	return err
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
