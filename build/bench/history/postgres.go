package history

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"santral/backend/store"
)

// GeneratePostgres writes the same history as Generate into the empty PostgreSQL database at
// dsn: santrald's own migrations and first rows (store.OpenPostgres), then the rows copied in
// batches (COPY; the full-text index on messages is PostgreSQL's own expression index, filled as
// the rows arrive), the tables' identity sequences moved past the rows, and ANALYZE.
func GeneratePostgres(ctx context.Context, dsn string, n int, progress func(done int)) error {
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		return err
	}
	ids, err := seedWorkspace(ctx, st)
	st.Close()
	if err != nil {
		return err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	g := &generator{rnd: rand.New(rand.NewPCG(42, uint64(n))), ids: ids, n: n,
		contacts: max(1, n*6/10), start: time.Now().Add(-365 * 24 * time.Hour).UnixMilli()}
	const batch = 10_000
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, `SET synchronous_commit = off`); err != nil {
			return err
		}
		for from := 0; from < n; from += batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			r := g.batch(from, min(n, from+batch))
			tx, err := pc.Begin(ctx)
			if err != nil {
				return err
			}
			for _, t := range []struct {
				table string
				cols  []string
				rows  [][]any
			}{{"contacts", contactCols, r.contacts}, {"conversations", conversationCols, r.conversations}, {"messages", messageCols, r.messages}} {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
					tx.Rollback(ctx)
					return fmt.Errorf("history: copying %s: %w", t.table, err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			if progress != nil {
				progress(min(n, from+batch))
			}
		}
		for _, table := range []string{"contacts", "conversations", "messages"} {
			if _, err := pc.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), (SELECT MAX(id) FROM `+table+`))`); err != nil {
				return fmt.Errorf("history: moving %s's sequence: %w", table, err)
			}
		}
		_, err := pc.Exec(ctx, `ANALYZE`)
		return err
	})
	return err
}
