package outbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"santral/backend/channels"
	"santral/backend/store"
	"santral/backend/wire"
)

// What chatbot flows add to the outbox: files given by a link (a flow's message step names a
// file on the shop's site), fetched while the send uploads them, and the answers to Telegram
// button presses.

func firstAttachment(m wire.Message) *wire.Attachment {
	if len(m.Attachments) == 0 {
		return nil
	}
	return &m.Attachments[0]
}

func isLink(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// linkClient fetches linked files; each send's deadline bounds it.
var linkClient = &http.Client{Transport: http.DefaultTransport}

// linkMedia streams a linked file into the upload, within the send's deadline. A link that does
// not answer 200 fails the send like an unreachable provider would (retried with backoff).
func linkMedia(ctx context.Context, a wire.Attachment) *channels.OutboundMedia {
	name := a.Name
	if name == "" {
		name = path.Base(strings.SplitN(strings.SplitN(a.URL, "?", 2)[0], "#", 2)[0])
	}
	return &channels.OutboundMedia{Kind: a.Kind, Name: name, MimeType: a.MimeType, Size: a.Size,
		Open: func() (io.ReadCloser, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
			if err != nil {
				return nil, err
			}
			resp, err := linkClient.Do(req)
			if err != nil {
				return nil, fmt.Errorf("outbox: the file %s could not be fetched: %w", name, err)
			}
			if resp.StatusCode != http.StatusOK {
				resp.Body.Close()
				return nil, fmt.Errorf("outbox: the file %s answered HTTP %d", name, resp.StatusCode)
			}
			return resp.Body, nil
		}}
}

// CallbackAnswerer acknowledges a button press (Telegram's answerCallbackQuery).
type CallbackAnswerer interface {
	AnswerCallback(ctx context.Context, callbackID string) error
}

// AnswerCallbacks answers the button presses waiting for it. An answer is only the customer's
// progress indicator stopping, so a failure is tried a few times and then given up; one whose
// worker stopped mid-way is answered again (harmless).
func (w *Worker) AnswerCallbacks(ctx context.Context) error {
	if due, err := w.store.CallbackAnswersDue(ctx, store.Now()); err != nil || !due {
		return err
	}
	var claimed []store.CallbackAnswer
	if _, err := w.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		claimed, err = tx.ClaimCallbackAnswers(20, tx.Now+w.opt.Lease.Milliseconds())
		return err
	}); err != nil {
		return err
	}
	for _, c := range claimed {
		failed, retryAt := false, int64(0)
		if err := w.answer(ctx, c); err != nil {
			w.log.Info("outbox: a button press could not be answered", "channel_id", c.ChannelID, "attempt", c.Attempts, "err", err)
			if c.Attempts >= 3 {
				failed = true
			} else {
				retryAt = store.Now() + w.backoff(c.Attempts).Milliseconds()
			}
		}
		if _, err := w.store.Tx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			return tx.FinishCallbackAnswer(c.ID, failed, retryAt)
		}); err != nil {
			return err
		}
	}
	return nil
}

func (w *Worker) answer(ctx context.Context, c store.CallbackAnswer) error {
	ch, err := w.store.ChannelRow(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	sender, err := w.sender(ch)
	if err != nil {
		return err
	}
	a, ok := sender.(CallbackAnswerer)
	if !ok {
		return fmt.Errorf("no button presses to answer on %s channels", ch.Type)
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return a.AnswerCallback(actx, c.CallbackID)
}
