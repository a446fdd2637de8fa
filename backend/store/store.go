// Package store is santrald's database: raw SQL, migrations, and the transaction in which every
// rule decision and the events it produces are written together (ARCHITECTURE.md invariants 2–3).
//
// The SQL is written once with '?' placeholders and the same tables and columns on every
// backend; a dialect supplies the few statements that differ. SQLite (mattn/go-sqlite3) is the
// embedded default.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"santral/backend/secrets"
	"santral/backend/wire"

	"github.com/mattn/go-sqlite3" // the embedded default backend
)

// ErrNotFound is returned when a row asked for by id does not exist.
var ErrNotFound = errors.New("store: not found")

// Store is an open database.
type Store struct {
	write   *sql.DB // one connection: SQLite has a single writer, and IMMEDIATE transactions serialise
	read    *sql.DB
	dialect dialect
	secrets *secrets.Box // seals channel credentials; set by UseSecrets

	mu      sync.Mutex
	rebound map[string]string
	// Statements compiled once per connection: a webhook runs a few dozen, and compiling them
	// on every call was a quarter of its CPU.
	writeStmts, readStmts map[string]*sql.Stmt

	// Group commit: write requests queue for the one committer, which runs whatever has
	// gathered in one transaction, each request in its own savepoint, and answers every request
	// after the shared commit (see group.go).
	writes    chan *txRequest
	keyed     []chan *txRequest // one per committer: requests about one thing (TxFor)
	quit      chan struct{}
	committed chan struct{} // closed when the committer has stopped
	// groupsCommitted and requestsCommitted count the committer's transactions and the
	// requests they carried (CommitFigures): their ratio is how much group commit shares.
	groupsCommitted, requestsCommitted atomic.Int64
	// checkpointed is closed when the SQLite checkpointer has stopped (nil on PostgreSQL).
	checkpointed chan struct{}
	closeOnce    sync.Once

	// beforeCommit, when set (tests), runs after a group's events are written and before its
	// commit: a test holds a transaction open there.
	beforeCommit func()
	// afterRequests, when set, runs at the end of a group in which a request changed something
	// automatic assignment depends on (SetAfterRequests).
	afterRequests       func(*Tx) error
	afterRequestsFailed func(error)
	// migrated is how many migrations this Open ran (the others found them done).
	migrated int
}

// dialect holds what differs between backends.
type dialect struct {
	name string
	// rebind turns '?' placeholders into the backend's own.
	rebind func(string) string
	schema []string // statements of migration 1 that differ (full-text search)
	// textMatch is the text search's argument of searchMessages and searchConversation.
	textMatch func(search) string

	// The history search (history.go). searchMessages selects (message id, conversation id,
	// body, whether the filters hold — the %s, whose arguments come first) of the messages
	// matching the text, below a message id, newest first: every hit is read and counted, so a
	// page's work is bounded even when the filters reject most of them. searchConversation selects
	// (message id, body) of one conversation's messages from an id on that match. searchContacts
	// selects contact ids whose name, phone or id contains the text (a trigram query), or is
	// empty where the backend has no such index.
	searchMessages, searchConversation, searchContacts string
	// searchWindow, when set, makes searchMessages take a lower bound on the message id too
	// (… AND m.id >= ?): the search runs in id windows of this many messages and up (history.go).
	searchWindow int64
	// planEach are query arguments that make the driver plan a query with its arguments' values
	// each time, not once for all (PostgreSQL: pgx's exec mode, an unnamed statement).
	planEach []any
	// searchIndexes are the statements of migrateSearchIndexes.
	searchIndexes []string
	// indexAtCommit: new messages enter the search index once per group, at its end (see
	// indexMessages); the statements of migrateIndexAtCommit drop the trigger that did it row
	// by row.
	indexAtCommit   bool
	indexStatements []string
	// Locking reads for the rule decisions (see the lock order in lock.go). lockRows ends a
	// SELECT whose rows stay locked until commit, waiting for another transaction that holds
	// one; skipLocked leaves out the rows another transaction holds instead of waiting. Both are
	// empty on SQLite, whose single writer already excludes every other transaction.
	lockRows, skipLocked string
	// lockTimeout bounds lock waits of a request that shares its transaction with requests
	// before it (group.go); noTimeout lifts the bound. Empty on SQLite.
	lockTimeout, noTimeout string
	// lockKey takes a lock on a number until commit (one argument); empty on SQLite.
	lockKey string
	// counter: the event log is numbered from the event_seq row (events.go); SQLite numbers
	// it with AUTOINCREMENT, in commit order since it has one writer.
	counter bool
	// committers is how many group committers run at once (group.go): one on SQLite, whose
	// writer is single anyway; several on PostgreSQL, where a node's transactions are as safe
	// concurrent as other nodes' are (every decision locks or conditions what it depends on),
	// and one committer alone spends its time waiting for the server's round trips.
	committers int
}

// OpenSQLite opens (creating if needed) the SQLite database file at path and migrates it.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: unable to create data directory: %w", err)
	}
	// WAL lets readers run beside the writer; synchronous=FULL makes a commit durable before we
	// acknowledge it (a webhook's 200, an agent's send); _txlock=immediate takes the write lock at
	// BEGIN, so read-then-write inside a transaction cannot interleave with another process.
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_synchronous", "FULL")
	params.Set("_busy_timeout", "10000")
	params.Set("_foreign_keys", "on")
	params.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + params.Encode()

	write, err := sql.Open(sqliteDriver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: unable to open %s: %w", path, err)
	}
	// Every write transaction is the committer's (group.go), so one is open at a time; the
	// second connection only compiles statements for the cache while the first is busy.
	write.SetMaxOpenConns(2)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open(sqliteDriver, dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: unable to open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)

	s := newStore(write, read, sqliteDialect())
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.startCommitter()
	s.checkpointed = make(chan struct{})
	go s.checkpointer()
	return s, nil
}

// checkpointInterval is how often the WAL is copied back into the database file.
const checkpointInterval = 500 * time.Millisecond

// checkpointer copies committed pages from the WAL into the database file every
// checkpointInterval, beside the committer. SQLite's own automatic checkpoint runs inside the
// commit that crosses 1,000 pages, and the requests of that group wait for it to copy and fsync
// the database file: the latency spikes at the tail of a busy minute. A PASSIVE checkpoint
// takes no lock a commit needs; on Close the WAL is checkpointed whole and truncated.
func (s *Store) checkpointer() {
	defer close(s.checkpointed)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			s.read.Exec(`PRAGMA wal_checkpoint(PASSIVE)`) // a failure is tried again next tick
		}
	}
}

func newStore(write, read *sql.DB, d dialect) *Store {
	return &Store{write: write, read: read, dialect: d, rebound: map[string]string{},
		writeStmts: map[string]*sql.Stmt{}, readStmts: map[string]*sql.Stmt{},
		writes: make(chan *txRequest, 4096), quit: make(chan struct{})}
}

func sqliteDialect() dialect {
	return dialect{
		name:            "sqlite",
		rebind:          func(q string) string { return q },
		textMatch:       search.match,
		indexAtCommit:   true,
		indexStatements: []string{`DROP TRIGGER messages_fts_insert`},
		searchMessages: `SELECT f.rowid, m.conversation_id, m.body, (%s) FROM messages_fts f
			JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.id = m.conversation_id
			JOIN contacts ct ON ct.id = c.contact_id
			WHERE messages_fts MATCH ? AND f.rowid < ? ORDER BY f.rowid DESC`,
		searchConversation: `SELECT f.rowid, m.body FROM messages m JOIN messages_fts f ON f.rowid = m.id
			WHERE m.conversation_id = ? AND m.id >= ? AND messages_fts MATCH ?`,
		searchContacts: `SELECT rowid FROM contacts_search WHERE contacts_search MATCH ? LIMIT ?`,
		// The message index again with prefix entries of 2–6 characters (search as you type
		// without merging every term of a prefix), filled with the same folding the triggers
		// apply (a 'rebuild' would index the raw text); and a trigram index of the customers'
		// folded names, phones and ids for the customer filter's substrings.
		searchIndexes: []string{
			`DROP TRIGGER messages_fts_insert`,
			`DROP TRIGGER messages_fts_delete`,
			`DROP TABLE messages_fts`,
			`CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id',
				tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6')`,
			`INSERT INTO messages_fts(rowid, body) SELECT id, replace(body, 'ı', 'i') FROM messages`,
			`CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
				INSERT INTO messages_fts(rowid, body) VALUES (new.id, replace(new.body, 'ı', 'i')); END`,
			`CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
				INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, replace(old.body, 'ı', 'i')); END`,
			`CREATE VIRTUAL TABLE contacts_search USING fts5(search_name, phone, external_id, content='contacts',
				content_rowid='id', tokenize='trigram')`,
			`INSERT INTO contacts_search(contacts_search) VALUES ('rebuild')`,
			`CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
				INSERT INTO contacts_search(rowid, search_name, phone, external_id) VALUES (new.id, new.search_name, new.phone, new.external_id); END`,
			`CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
				INSERT INTO contacts_search(contacts_search, rowid, search_name, phone, external_id) VALUES ('delete', old.id, old.search_name, old.phone, old.external_id); END`,
			`CREATE TRIGGER contacts_search_update AFTER UPDATE OF search_name, phone, external_id ON contacts BEGIN
				INSERT INTO contacts_search(contacts_search, rowid, search_name, phone, external_id) VALUES ('delete', old.id, old.search_name, old.phone, old.external_id);
				INSERT INTO contacts_search(rowid, search_name, phone, external_id) VALUES (new.id, new.search_name, new.phone, new.external_id); END`,
		},
		// unicode61 folds diacritics (ş→s, ğ→g, İ→i) but not the dotless ı, which Turkish users
		// routinely type as i; the index and the query both fold it.
		schema: []string{
			`CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`,
			`CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
				INSERT INTO messages_fts(rowid, body) VALUES (new.id, replace(new.body, 'ı', 'i')); END`,
			`CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
				INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, replace(old.body, 'ı', 'i')); END`,
		},
	}
}

// Close stops the committer (requests still queued are refused) and closes both pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.quit) })
	if s.committed != nil {
		<-s.committed
	}
	if s.checkpointed != nil {
		<-s.checkpointed
		s.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`) // a leftover WAL is replayed at the next open
	}
	s.mu.Lock()
	for _, st := range s.writeStmts {
		st.Close()
	}
	for _, st := range s.readStmts {
		st.Close()
	}
	s.mu.Unlock()
	return errors.Join(s.write.Close(), s.read.Close())
}

// Ping reports whether the database answers a query (health check).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func (s *Store) q(query string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.rebound[query]; ok {
		return r
	}
	r := s.dialect.rebind(query)
	s.rebound[query] = r
	return r
}

// Now is the store's clock in unix milliseconds; every timestamp and deadline uses it.
func Now() int64 { return time.Now().UnixMilli() }

// Tx is one request's part of a write transaction: a rule decision with the rows and events
// it writes. Several requests may share the transaction (group commit), each in a savepoint.
type Tx struct {
	s        *Store
	tx       *sql.Tx
	Now      int64
	pending  []*PendingEvent // appended, written to the log when fn returns
	resolve  Resolver
	sets     map[setKey][]int64 // set events of this request (AppendToSet)
	settings *wire.Settings     // read once per request
	index    []indexEntry       // messages to add to the search index at commit
	// assignable: the request did something that may let automatic assignment give out a
	// conversation (one queued, capacity freed, an agent online, limits or settings changed).
	assignable bool
	onCommit   []func() // run by Store.Tx once this request's writes are committed
	// requeuedFrom: conversations this request put back in the queue, and the agent each left.
	requeuedFrom map[int64]int64
	written      int // events written; the caller wakes the stream after commit when > 0
	// conflict is the first lock conflict (deadlock, lock wait given up) a statement met.
	conflict error
}

// Assignable reports whether the request changed something automatic assignment depends on:
// a conversation entered the queue, an agent came online, one's active count dropped, a limit
// or the settings changed. A customer writing in an open conversation changes none of it.
func (t *Tx) Assignable() bool { return t.assignable }

// SetAfterRequests installs the decision that runs once per transaction, after its requests,
// when one of them changed something automatic assignment depends on (Tx.Assignable), in its
// own savepoint: automatic assignment runs once for a group of a hundred agents coming online,
// not once per agent, with the same outcome — the conversations are assigned in the same
// commit that answers the requests. failed hears a failure of it (rolled back alone). Set it
// before the first write.
func (s *Store) SetAfterRequests(fn func(*Tx) error, failed func(error)) {
	s.afterRequests, s.afterRequestsFailed = fn, failed
}

// MarkAssignable says a change automatic assignment depends on happened (for the few made
// outside the store functions that note it themselves).
func (t *Tx) MarkAssignable() { t.assignable = true }

// note keeps the first lock conflict a statement of the request met (PostgreSQL): the request
// then runs again, whatever the code above made of the error (group.go).
func (t *Tx) note(err error) error {
	if err != nil && t.conflict == nil && retryable(err) {
		t.conflict = err
	}
	return err
}

// OnCommit runs fn after the transaction commits with this request's writes in it, on the
// caller's goroutine, before Tx returns; never when the request or the commit fails. For
// observers (the node's metrics) that must count what happened, not what was attempted.
func (t *Tx) OnCommit(fn func()) { t.onCommit = append(t.onCommit, fn) }

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	if st := t.s.stmt(t.s.writeStmts, t.s.write, query); st != nil {
		res, err := t.tx.Stmt(st).Exec(args...)
		return res, t.note(err)
	}
	res, err := t.tx.Exec(t.s.q(query), args...)
	return res, t.note(err)
}

// execOne runs a conditional update and reports whether exactly one row changed: the primitive
// behind every "only one can win" decision.
func (t *Tx) execOne(query string, args ...any) (bool, error) {
	res, err := t.exec(query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// txRow is a row read in a write transaction; its Scan notes lock conflicts.
type txRow struct {
	*sql.Row
	t *Tx
}

func (r txRow) Scan(dest ...any) error { return r.t.note(r.Row.Scan(dest...)) }

func (t *Tx) queryRow(query string, args ...any) txRow {
	if st := t.s.stmt(t.s.writeStmts, t.s.write, query); st != nil {
		return txRow{t.tx.Stmt(st).QueryRow(args...), t}
	}
	return txRow{t.tx.QueryRow(t.s.q(query), args...), t}
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if st := t.s.stmt(t.s.writeStmts, t.s.write, query); st != nil {
		rows, err := t.tx.Stmt(st).Query(args...)
		return rows, t.note(err)
	}
	rows, err := t.tx.Query(t.s.q(query), args...)
	return rows, t.note(err)
}

// insert runs an INSERT … RETURNING id.
func (t *Tx) insert(query string, args ...any) (int64, error) {
	var id int64
	err := t.queryRow(query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// queryer is what both a Tx and the read pool offer, so read helpers serve both.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.stmt(s.readStmts, s.read, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.read.QueryRowContext(ctx, s.q(query), args...)
}

func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(s.readStmts, s.read, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.read.QueryContext(ctx, s.q(query), args...)
}

// maxStatements bounds each statement cache: the queries are the code's own strings, but
// history filters combine fragments, so their number is finite, not small.
const maxStatements = 1000

// stmt returns the cached prepared statement for query on db, preparing it on first use; nil
// when it cannot be cached (the caller runs the query directly).
func (s *Store) stmt(cache map[string]*sql.Stmt, db *sql.DB, query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := cache[query]; ok {
		return st
	}
	if len(cache) >= maxStatements {
		return nil
	}
	st, err := db.Prepare(s.dialect.rebind(query))
	if err != nil {
		return nil // the direct call reports the error
	}
	cache[query] = st
	return st
}

// isUniqueViolation reports whether err is a unique-constraint failure, on any backend, by the
// driver's error code (messages change between versions and languages).
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return pgCode(err) == pgUniqueViolation
}

func nullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	x := v.Int64
	return &x
}

func nullIntP(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	x := int(v.Int64)
	return &x
}

func toNull(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

// wireNotFound turns ErrNotFound/sql.ErrNoRows into the API's not_found.
func wireNotFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, ErrNotFound) {
		return wire.Errorf(wire.CodeNotFound, "%s not found", what)
	}
	return err
}
