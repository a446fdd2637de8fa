package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"santral/backend/channels"
	"santral/backend/routing"
	"santral/backend/store"
)

// FetcherFor builds the adapter that downloads a channel account's media.
type FetcherFor func(ch store.ChannelRow) (channels.Fetcher, error)

// MaxFile bounds a stored file (WhatsApp documents may be 100 MB).
const MaxFile = 100 << 20

// Worker downloads inbound attachments through each provider's documented steps into the store.
type Worker struct {
	store   *store.Store
	routing *routing.Service
	files   Store
	fetcher FetcherFor
	log     *slog.Logger
	backoff time.Duration
}

// NewWorker returns a download worker.
func NewWorker(s *store.Store, r *routing.Service, files Store, f FetcherFor, backoff time.Duration, log *slog.Logger) *Worker {
	if backoff <= 0 {
		backoff = 5 * time.Second
	}
	return &Worker{store: s, routing: r, files: files, fetcher: f, log: log, backoff: backoff}
}

const maxAttempts = 8

// storeWait is the longest wait between two tries of a download the media store could not take.
const storeWait = 5 * time.Minute

// RunOnce downloads what is due; it reports how many jobs it took.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if due, err := w.store.MediaDue(ctx, store.Now()); err != nil || !due {
		return 0, err
	}
	var jobs []store.MediaJob
	_, err := w.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		jobs, err = tx.DueMedia(10, 5*time.Minute.Milliseconds())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("media: unable to take jobs: %w", err)
	}
	for _, j := range jobs {
		if err := w.download(ctx, j); err != nil {
			return len(jobs), err
		}
	}
	return len(jobs), nil
}

func (w *Worker) download(ctx context.Context, j store.MediaJob) error {
	fail := func(reason string, retry bool) error {
		var at int64
		if retry && j.Attempts < maxAttempts {
			at = store.Now() + (w.backoff << min(j.Attempts-1, 10)).Milliseconds()
		}
		w.log.Warn("media: download failed", "message_id", j.MessageID, "attempt", j.Attempts, "reason", reason)
		return w.routing.MediaStored(ctx, j, "", 0, "", reason, at)
	}
	ch, err := w.store.ChannelRow(ctx, j.ChannelID)
	if err != nil {
		return fail(err.Error(), false)
	}
	var att channels.Media
	_, err = w.store.Tx(ctx, func(tx *store.Tx) error {
		m, err := tx.Message(j.MessageID)
		if err != nil {
			return err
		}
		if j.Index >= len(m.Attachments) {
			return fmt.Errorf("no attachment %d", j.Index)
		}
		a := m.Attachments[j.Index]
		att = channels.Media{Kind: a.Kind, Ref: a.Ref, Name: a.Name, MimeType: a.MimeType, Size: a.Size}
		return nil
	})
	if err != nil {
		return fail(err.Error(), false)
	}
	f, err := w.fetcher(ch)
	if err != nil {
		return fail(err.Error(), false)
	}
	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	body, mime, err := f.Fetch(dctx, att)
	if err != nil {
		return fail(err.Error(), true)
	}
	defer body.Close()
	key, size, err := w.files.Put(dctx, body, MaxFile)
	if errors.Is(err, ErrUnavailable) {
		// Our store failed, not the provider: the file is still to be had, so the download
		// waits for the store however long it is away, tried again at most storeWait apart.
		w.log.Warn("media: download not stored", "message_id", j.MessageID, "attempt", j.Attempts, "reason", err.Error())
		at := store.Now() + min(w.backoff<<min(j.Attempts-1, 10), storeWait).Milliseconds()
		return w.routing.MediaStored(ctx, j, "", 0, "", err.Error(), at)
	}
	if err != nil {
		return fail(err.Error(), err != ErrTooLarge)
	}
	return w.routing.MediaStored(ctx, j, key, size, mime, "", 0)
}
