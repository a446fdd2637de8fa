package store

// Figures the node's metrics read when Prometheus scrapes: each is read from an index (the
// queue's and the send jobs' partial indexes, the event log's primary key), never by scanning a
// table, so a scrape costs the same at a thousand conversations or ten million.

import (
	"context"
	"fmt"
)

// QueueFigures returns how many conversations wait in the queue and when the one waiting
// longest entered it (unix ms; 0 when the queue is empty).
func (s *Store) QueueFigures(ctx context.Context) (length, oldestQueuedAt int64, err error) {
	err = s.readRow(ctx, `SELECT COUNT(*), COALESCE(MIN(queued_at), 0) FROM conversations WHERE state = 'queued'`).
		Scan(&length, &oldestQueuedAt)
	if err != nil {
		return 0, 0, fmt.Errorf("store: unable to measure the queue: %w", err)
	}
	return length, oldestQueuedAt, nil
}

// OutboxBacklog counts the send jobs not finished: waiting for their (next) try or being sent.
func (s *Store) OutboxBacklog(ctx context.Context) (int64, error) {
	var pending, sending int64
	err := s.readRow(ctx, `SELECT (SELECT COUNT(*) FROM send_jobs WHERE state = 'pending'),
		(SELECT COUNT(*) FROM send_jobs WHERE state = 'sending')`).Scan(&pending, &sending)
	if err != nil {
		return 0, fmt.Errorf("store: unable to measure the outbox: %w", err)
	}
	return pending + sending, nil
}

// NewestEventSeq is the sequence number of the newest committed event (0 when the log is empty).
// A single MAX is answered from the end of the primary key.
func (s *Store) NewestEventSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.readRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: unable to read the event log's head: %w", err)
	}
	return seq, nil
}
