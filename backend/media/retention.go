package media

import (
	"context"
	"time"

	"santral/backend/store"
)

// RemoveUnsent removes uploads (agents' and website visitors') not sent within retention: their
// rows go in one transaction that queues the files, then the files leave the media store. A
// crash in between leaves the queue, which the next run finishes. It reports how many files it
// removed.
func RemoveUnsent(ctx context.Context, st *store.Store, files Store, retention time.Duration) (int, error) {
	before := store.Now() - retention.Milliseconds()
	if due, err := st.UploadsDue(ctx, before); err != nil || !due {
		return 0, err
	}
	for {
		n := 0
		if _, err := st.Tx(ctx, func(tx *store.Tx) (err error) {
			n, err = tx.ExpireUploads(before, 200)
			return err
		}); err != nil {
			return 0, err
		}
		if n < 200 {
			break
		}
	}
	removed := 0
	for {
		keys, err := st.MediaRemovals(ctx, 200)
		if err != nil || len(keys) == 0 {
			return removed, err
		}
		for _, key := range keys {
			if files != nil {
				if err := files.Delete(ctx, key); err != nil {
					return removed, err
				}
			}
			if _, err := st.Tx(ctx, func(tx *store.Tx) error { return tx.MediaRemoved(key) }); err != nil {
				return removed, err
			}
			removed++
		}
	}
}
