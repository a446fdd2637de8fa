package store

// PostgreSQL, for several santrald nodes on one database (pgx through database/sql). The SQL is
// the same as SQLite's; what differs is here: placeholders, the column types of the migrations,
// full-text search, the locking clauses of the rule decisions' reads, and how the event log is
// numbered (a counter row, see events.go).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgresURL reports whether a --db value names a PostgreSQL database.
func IsPostgresURL(v string) bool {
	return strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://")
}

// Open opens the database santrald is configured for: PostgreSQL when db is a postgres:// URL,
// else the SQLite file at sqlitePath.
func Open(ctx context.Context, db, sqlitePath string, committers int) (*Store, error) {
	if db != "" {
		return openPostgres(ctx, db, committers)
	}
	return OpenSQLite(ctx, sqlitePath)
}

// OpenPostgres connects to the PostgreSQL database at dsn (a postgres:// URL) and migrates it.
// Several nodes may open one database at once: migrations run under an advisory lock.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	return openPostgres(ctx, dsn, 1)
}

// openPostgres is OpenPostgres with a given number of committers (--db-committers).
func openPostgres(ctx context.Context, dsn string, committers int) (*Store, error) {
	if !IsPostgresURL(dsn) {
		return nil, errors.New("store: a PostgreSQL database is named by a postgres:// URL")
	}
	// Errors name the server, never the URL: it may carry a password.
	where := postgresHost(dsn)
	write, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: unable to open the PostgreSQL database at %s: %w", where, err)
	}
	// Every write transaction is a committer's (group.go): one connection each, and one more
	// that only prepares statements for the cache meanwhile.
	write.SetMaxOpenConns(committers + 1)
	write.SetMaxIdleConns(committers + 1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("pgx", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: unable to open the PostgreSQL database at %s: %w", where, err)
	}
	read.SetMaxOpenConns(16)
	read.SetMaxIdleConns(16)
	read.SetConnMaxIdleTime(5 * time.Minute)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("store: unable to reach the PostgreSQL database at %s: %w", where, err)
	}
	d := postgresDialect()
	d.committers = committers
	s := newStore(write, read, d)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.startCommitter()
	return s, nil
}

// postgresHost is host:port/database of a URL, for messages.
func postgresHost(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(an unreadable URL)"
	}
	return u.Host + u.Path
}

var _ = stdlib.GetDefaultDriver // the "pgx" database/sql driver

// Turkish letters (and the other Latin accents shop customers type) fold to ASCII before the
// text is indexed and before a query is parsed, like SQLite's unicode61 remove_diacritics with
// Santral's ı→i: "siparis" finds "Sipariş", "kapida" finds "Kapıda", "KAPIDA" too.
var foldPairs = [][2]string{
	{"Ş", "s"}, {"ş", "s"}, {"Ğ", "g"}, {"ğ", "g"}, {"İ", "i"}, {"I", "i"}, {"ı", "i"},
	{"Ö", "o"}, {"ö", "o"}, {"Ü", "u"}, {"ü", "u"}, {"Ç", "c"}, {"ç", "c"},
	{"Â", "a"}, {"â", "a"}, {"Î", "i"}, {"î", "i"}, {"Û", "u"}, {"û", "u"},
	{"Á", "a"}, {"á", "a"}, {"À", "a"}, {"à", "a"}, {"Ä", "a"}, {"ä", "a"}, {"Ã", "a"}, {"ã", "a"},
	{"É", "e"}, {"é", "e"}, {"È", "e"}, {"è", "e"}, {"Ê", "e"}, {"ê", "e"}, {"Ë", "e"}, {"ë", "e"},
	{"Í", "i"}, {"í", "i"}, {"Ì", "i"}, {"ì", "i"}, {"Ï", "i"}, {"ï", "i"},
	{"Ó", "o"}, {"ó", "o"}, {"Ò", "o"}, {"ò", "o"}, {"Ô", "o"}, {"ô", "o"}, {"Õ", "o"}, {"õ", "o"},
	{"Ú", "u"}, {"ú", "u"}, {"Ù", "u"}, {"ù", "u"}, {"Ñ", "n"}, {"ñ", "n"},
}

func foldFunction() string {
	var from, to strings.Builder
	for _, p := range foldPairs {
		from.WriteString(p[0])
		to.WriteString(p[1])
	}
	// translate first: lower() of a non-ASCII capital depends on the server's locale.
	return `CREATE FUNCTION santral_fold(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
		AS $$ SELECT lower(translate(t, '` + from.String() + `', '` + to.String() + `')) $$`
}

func postgresDialect() dialect {
	return dialect{
		name:   "postgres",
		rebind: postgresRebind,
		// The index below is on exactly this expression. PostgreSQL's GIN index cannot be read
		// newest first: it yields every match, which are then sorted by id. So the search reads
		// id windows from the newest down (searchWindow, history.go): the GIN index and the
		// primary key's range meet in one bitmap, and only one window's matches are sorted.
		searchMessages: `SELECT m.id, m.conversation_id, m.body, (%s) FROM messages m
			JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
			WHERE to_tsvector('simple', santral_fold(m.body)) @@ to_tsquery('simple', santral_fold(?)) AND m.id < ? AND m.id >= ?
			ORDER BY m.id DESC`,
		searchWindow: 20_000,
		planEach:     []any{pgx.QueryExecModeExec},
		searchConversation: `SELECT m.id, m.body FROM messages m WHERE m.conversation_id = ? AND m.id >= ?
			AND to_tsvector('simple', santral_fold(m.body)) @@ to_tsquery('simple', santral_fold(?))`,
		textMatch: search.tsquery,
		schema: []string{
			foldFunction(),
			`CREATE INDEX messages_text ON messages USING gin (to_tsvector('simple', santral_fold(body)))`,
			// The event log's numbers come from this row, updated under its lock at the end of
			// every write transaction that appends events (events.go).
			`CREATE TABLE event_seq (
				one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
				seq BIGINT NOT NULL
			)`,
			`INSERT INTO event_seq (seq) VALUES (0)`,
		},
		// NO KEY UPDATE, not UPDATE: the decisions change no key, and a FOR UPDATE lock would
		// also block other transactions' foreign-key checks (a message by the agent, a timeline
		// entry in the conversation).
		lockRows:    " FOR NO KEY UPDATE",
		skipLocked:  " FOR NO KEY UPDATE SKIP LOCKED",
		lockTimeout: "SET LOCAL lock_timeout = '" + strconv.Itoa(int(groupLockWait/time.Millisecond)) + "ms'",
		noTimeout:   "SET LOCAL lock_timeout = 0",
		lockKey:     `SELECT pg_advisory_xact_lock(?)`,
		counter:     true,
	}
}

// tsquery is the search as a tsquery that cannot be a syntax error: words quoted, all required,
// phrases word after word, the last word a prefix. Words are letters and digits only (parseSearch),
// so a quote cannot occur in one.
func (q search) tsquery() string {
	var parts []string
	for _, t := range q.terms {
		ws := strings.Fields(strings.Trim(t, `"`))
		for i := range ws {
			ws[i] = "'" + ws[i] + "'"
		}
		parts = append(parts, "("+strings.Join(ws, " <-> ")+")")
	}
	if q.last != "" {
		parts = append(parts, "'"+q.last+"':*")
	}
	return strings.Join(parts, " & ")
}

var (
	ddlStatement = regexp.MustCompile(`^\s*(CREATE TABLE|ALTER TABLE)`)
	autoSeq      = regexp.MustCompile(`\bINTEGER PRIMARY KEY AUTOINCREMENT\b`)
	rowID        = regexp.MustCompile(`\bINTEGER PRIMARY KEY\b`)
	integerType  = regexp.MustCompile(`\bINTEGER\b`)
)

// postgresRebind turns '?' placeholders (outside string literals) into $1, $2, …. The
// migrations are written in SQLite's DDL; in a CREATE or ALTER TABLE their types are mapped:
// an INTEGER PRIMARY KEY (SQLite's rowid) becomes an identity column, every other INTEGER a
// BIGINT, and the event log's AUTOINCREMENT key a plain BIGINT numbered by the event_seq row.
func postgresRebind(q string) string {
	if ddlStatement.MatchString(q) {
		q = autoSeq.ReplaceAllString(q, "BIGINT PRIMARY KEY")
		q = rowID.ReplaceAllString(q, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
		q = integerType.ReplaceAllString(q, "BIGINT")
	}
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n, quoted := 0, false
	for _, r := range q {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PostgreSQL error codes the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgLockNotAvailable     = "55P03" // lock_timeout
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// migrationLock is the session lock under which a node migrates PostgreSQL: nodes starting at
// once migrate one after the other, and all but the first find nothing left to do. It is per
// schema, so databases (or schemas) on one server do not wait for each other.
const migrationLock = `SELECT pg_advisory_lock(hashtextextended('santral.migrate.' || current_schema(), 0))`
const migrationUnlock = `SELECT pg_advisory_unlock(hashtextextended('santral.migrate.' || current_schema(), 0))`

// searchWords splits what a user typed into the words a text search requires: runs of letters
// and digits (so nothing typed can be query syntax).
func searchWords(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
