package store

// History and its filter (PRODUCT.md rule 11: "fast at millions of messages").
//
// Without text, conversations are listed newest first (created_at, id) by walking that index
// and stopping at the page's end. With text, the search walks the message index newest first
// — messages_fts ordered by rowid, which is the message id and so the order of arrival — and
// stops as soon as the page is full: a common word fills a page within its first few hundred
// hits, a rare word has few hits to read, so neither depends on how many messages there are.
// Each conversation is listed at its newest matching message. The last word is a prefix
// (search as you type), read from the index's prefix entries (2–6 characters); a longer last
// word is looked up by its first six characters and each hit is checked against the whole
// word. A page reads at most maxScanned hits: when restrictive filters leave it short, it ends
// there with a cursor to go on from, so no request runs long. The customer filter looks names,
// phones and ids up in a trigram index (three characters or more) and then lists those
// customers' conversations by their own index.

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"santral/backend/wire"
)

// maxScanned bounds the index hits one page of a text search reads.
const maxScanned = 5_000

// maxCustomers is how many matching customers the customer filter looks up by id; beyond it
// the filter is applied while walking the conversations instead.
const maxCustomers = 2_000

// History lists conversations matching the filter, one page at a time: newest first, or with
// text at their newest matching message. viewerID limits an agent to ended conversations and
// their own (0: staff, everything).
func (s *Store) History(ctx context.Context, f wire.HistoryFilter, viewerID int64) (wire.ConversationPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where, args, none, err := s.historyFilters(ctx, f, viewerID)
	if err != nil {
		return wire.ConversationPage{}, err
	}
	if none {
		return wire.ConversationPage{Conversations: []wire.Conversation{}}, nil
	}
	if q := parseSearch(f.Text); !q.empty() {
		return s.textHistory(ctx, f, q, where, args, limit)
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return wire.ConversationPage{}, wire.Invalid("cursor", "the cursor is not one this server gave")
		}
		where = append(where, "(c.created_at < ? OR (c.created_at = ? AND c.id < ?))")
		args = append(args, at, at, id)
	}
	query := `SELECT ` + conversationColumns + conversationFrom
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY c.created_at DESC, c.id DESC LIMIT ?"
	args = append(args, limit+1)
	list, err := scanConversations(s.readRows(ctx, query, args...))
	if err != nil {
		return wire.ConversationPage{}, fmt.Errorf("store: unable to filter history: %w", err)
	}
	page := wire.ConversationPage{Conversations: list}
	if len(list) > limit {
		page.Conversations = list[:limit]
		last := list[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

// historyFilters are the WHERE fragments of every filter but the text. none reports a filter
// that matches nothing (a customer nobody is), answered without a query.
func (s *Store) historyFilters(ctx context.Context, f wire.HistoryFilter, viewerID int64) (where []string, args []any, none bool, err error) {
	if f.State != "" {
		where = append(where, "c.state = ?")
		args = append(args, f.State)
	}
	if viewerID != 0 {
		where = append(where, "(c.state = 'ended' OR c.agent_id = ?)")
		args = append(args, viewerID)
	}
	if f.Customer != "" {
		frag, fargs, empty, err := s.customerFilter(ctx, f.Customer)
		if err != nil || empty {
			return nil, nil, empty, err
		}
		where = append(where, frag)
		args = append(args, fargs...)
	}
	if f.ChannelID != 0 {
		where = append(where, "c.channel_id = ?")
		args = append(args, f.ChannelID)
	}
	if f.AgentID != 0 {
		// The agent who handled it: the holder, or whoever ended it.
		where = append(where, "(c.agent_id = ? OR c.ended_by = ?)")
		args = append(args, f.AgentID, f.AgentID)
	}
	if f.EndReasonID != 0 {
		where = append(where, "c.end_reason_id = ?")
		args = append(args, f.EndReasonID)
	}
	if f.TagID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM conversation_tags tg WHERE tg.conversation_id = c.id AND tg.tag_id = ?)")
		args = append(args, f.TagID)
	}
	if f.From != 0 {
		where = append(where, "c.created_at >= ?")
		args = append(args, f.From)
	}
	if f.To != 0 {
		where = append(where, "c.created_at < ?")
		args = append(args, f.To)
	}
	return where, args, false, nil
}

// customerFilter finds the customers whose name (folded), phone or id contains text. Three
// characters or more go through the trigram index; the matching customers' ids then select
// their conversations by index. Shorter text, or very many matches, is compared row by row.
func (s *Store) customerFilter(ctx context.Context, text string) (string, []any, bool, error) {
	folded := FoldName(text)
	like := `(ct.search_name LIKE ? ESCAPE '\' OR ct.phone LIKE ? ESCAPE '\' OR ct.external_id LIKE ? ESCAPE '\')`
	likeArgs := []any{"%" + escapeLike(folded) + "%", "%" + escapeLike(text) + "%", "%" + escapeLike(text) + "%"}
	if len([]rune(folded)) < 3 || len([]rune(text)) < 3 || s.dialect.searchContacts == "" {
		return like, likeArgs, false, nil
	}
	rows, err := s.readRows(ctx, s.dialect.searchContacts, trigramQuery(folded, text), maxCustomers+1)
	if err != nil {
		return "", nil, false, fmt.Errorf("store: unable to search customers: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", nil, false, err
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	if err := rows.Err(); err != nil {
		return "", nil, false, err
	}
	switch {
	case len(ids) == 0:
		return "", nil, true, nil
	case len(ids) > maxCustomers:
		return like, likeArgs, false, nil
	}
	// Integers this store just read, so they are safe to inline (and let the planner see a
	// short list it can look up by the contact index).
	return "c.contact_id IN (" + strings.Join(ids, ",") + ")", nil, false, nil
}

// trigramQuery matches the folded name or the text as typed (phones, ids), as substrings.
func trigramQuery(folded, text string) string {
	q := `"` + strings.ReplaceAll(folded, `"`, `""`) + `"`
	if text != folded {
		q += ` OR "` + strings.ReplaceAll(text, `"`, `""`) + `"`
	}
	return q
}

// textHistory walks the matching messages newest first and lists each conversation once, at
// its newest match, until the page is full or maxScanned hits were read.
func (s *Store) textHistory(ctx context.Context, f wire.HistoryFilter, q search, where []string, args []any, limit int) (wire.ConversationPage, error) {
	before := int64(math.MaxInt64)
	if f.Cursor != "" {
		m, err := decodeTextCursor(f.Cursor)
		if err != nil {
			return wire.ConversationPage{}, wire.Invalid("cursor", "the cursor is not one this server gave")
		}
		before = m
	}
	match := s.dialect.textMatch(q)
	filters := "1 = 1"
	if len(where) > 0 {
		filters = strings.Join(where, " AND ")
	}
	// COALESCE: a filter on a NULL column (no holder yet) is unknown, which is no.
	query := fmt.Sprintf(s.dialect.searchMessages, "COALESCE("+filters+", FALSE)")
	var order []int64
	at := map[int64]int64{} // conversation → the rowid it is listed at
	seen := map[int64]bool{}
	scanned, lastRowid := 0, int64(0)
	exhausted := true
	// read walks the hits below hi (and from lo on, with windows) newest first; it reports
	// whether the page is done (full, or maxScanned read).
	read := func(hi, lo int64) (bool, error) {
		a := append(append([]any{}, args...), match, hi)
		if s.dialect.searchWindow > 0 {
			a = append(a, lo)
		}
		var rows *sql.Rows
		var err error
		if s.dialect.searchWindow > 0 {
			// Planned for this window's bounds: a plan kept for any bounds (a prepared
			// statement's generic plan) guesses a window of a few rows and tests every message
			// of it against the words, which for 20,000 and up is seconds.
			rows, err = s.read.QueryContext(ctx, s.q(query), append(slices.Clone(s.dialect.planEach), a...)...)
		} else {
			rows, err = s.readRows(ctx, query, a...)
		}
		if err != nil {
			return false, fmt.Errorf("store: unable to search history: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var rowid, conv int64
			var body string
			var ok bool
			if err := rows.Scan(&rowid, &conv, &body, &ok); err != nil {
				return false, err
			}
			lastRowid = rowid
			if scanned++; scanned > maxScanned {
				exhausted = false
				return true, nil
			}
			if !ok || seen[conv] || !q.matchesLast(body) {
				continue
			}
			seen[conv] = true
			order = append(order, conv)
			at[conv] = rowid
			if len(order) > limit {
				exhausted = false
				return true, nil
			}
		}
		return false, rows.Err()
	}
	if w := s.dialect.searchWindow; w == 0 {
		if _, err := read(before, 0); err != nil {
			return wire.ConversationPage{}, err
		}
	} else {
		// PostgreSQL's GIN index yields every match at once, and sorting them all by id costs
		// as many as there are (a common word in 1M messages: 30,000, over half a second). So
		// the messages are searched in id windows from the newest down, each twice as wide as
		// the last: the index and the primary key's range meet in one bitmap, a page of a
		// common word is found in the first window, and a rare one in a few.
		hi := before
		if hi == math.MaxInt64 {
			var newest int64
			if err := s.readRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages`).Scan(&newest); err != nil {
				return wire.ConversationPage{}, fmt.Errorf("store: unable to search history: %w", err)
			}
			hi = newest + 1
		}
		for hi > 1 {
			lo := max(1, hi-w)
			done, err := read(hi, lo)
			if err != nil {
				return wire.ConversationPage{}, err
			}
			if done {
				break
			}
			hi, w = lo, w*2
		}
	}
	// On a later page, a conversation whose newest match is above the cursor was listed
	// already.
	if before != math.MaxInt64 {
		kept := order[:0]
		for _, conv := range order {
			earlier, err := s.matchesFrom(ctx, conv, before, q)
			if err != nil {
				return wire.ConversationPage{}, err
			}
			if !earlier {
				kept = append(kept, conv)
			}
		}
		order = kept
	}
	page := wire.ConversationPage{Conversations: []wire.Conversation{}}
	switch {
	case len(order) > limit:
		order = order[:limit]
		page.NextCursor = encodeTextCursor(at[order[limit-1]])
	case !exhausted:
		// The scan stopped before the page filled: go on below the last hit read.
		page.NextCursor = encodeTextCursor(lastRowid)
	}
	if len(order) == 0 {
		return page, nil
	}
	list, err := s.conversationsByID(ctx, order)
	if err != nil {
		return wire.ConversationPage{}, err
	}
	page.Conversations = list
	return page, nil
}

// matchesFrom reports whether the conversation has a message from rowid on that matches q.
func (s *Store) matchesFrom(ctx context.Context, conv, from int64, q search) (bool, error) {
	rows, err := s.readRows(ctx, s.dialect.searchConversation, conv, from, s.dialect.textMatch(q))
	if err != nil {
		return false, fmt.Errorf("store: unable to search history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rowid int64
		var body string
		if err := rows.Scan(&rowid, &body); err != nil {
			return false, err
		}
		if q.matchesLast(body) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// conversationsByID reads conversations in the given order.
func (s *Store) conversationsByID(ctx context.Context, ids []int64) ([]wire.Conversation, error) {
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	list, err := scanConversations(s.readRows(ctx, `SELECT `+conversationColumns+conversationFrom+` WHERE c.id IN (`+marks+`)`, args...))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]wire.Conversation, len(list))
	for _, c := range list {
		byID[c.ID] = c
	}
	out := make([]wire.Conversation, 0, len(ids))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// indexEntry is a new message for the search index.
type indexEntry struct {
	id   int64
	body string
}

// indexMessages adds a group's new messages to the search index, as its last writes before
// commit. FTS5 writes out what it holds in memory at every savepoint, and each request of a
// group runs in one (group.go): indexed by a trigger inside the request, every message became a
// small index segment of its own, written then and merged later — most of a webhook's cost.
// Indexed here, after the requests' savepoints, a group's messages are one segment, written
// once at commit, in the same transaction as the messages themselves.
func (s *Store) indexMessages(sqlTx *sql.Tx, entries []indexEntry) error {
	t := &Tx{s: s, tx: sqlTx}
	for _, e := range entries {
		if _, err := t.exec(`INSERT INTO messages_fts(rowid, body) VALUES (?, replace(?, 'ı', 'i'))`, e.id, e.body); err != nil {
			return fmt.Errorf("store: unable to index message %d: %w", e.id, err)
		}
	}
	return nil
}

// search is what a user typed, as index terms: words (all required), phrases in double quotes,
// and the last word of all as a prefix.
type search struct {
	terms   []string // FTS5 strings: "word" or "two words"
	last    string   // the last word, folded: a prefix
	longish bool     // last is longer than the index's prefix entries: checked on each hit
}

// prefixLen is the longest prefix the message index keeps entries for (migrateSearchIndexes).
const prefixLen = 6

func (q search) empty() bool { return len(q.terms) == 0 && q.last == "" }

// match is the FTS5 query; it cannot be a syntax error (every term is quoted).
func (q search) match() string {
	parts := append([]string(nil), q.terms...)
	if q.last != "" {
		p := q.last
		if q.longish {
			p = string([]rune(p)[:prefixLen])
		}
		parts = append(parts, `"`+p+`"*`)
	}
	return strings.Join(parts, " ")
}

// matchesLast checks a hit for a last word longer than the prefix entries.
func (q search) matchesLast(body string) bool {
	if !q.longish {
		return true
	}
	for _, w := range words(foldSearch(body)) {
		if strings.HasPrefix(w, q.last) {
			return true
		}
	}
	return false
}

func parseSearch(text string) search {
	var q search
	text = foldSearch(text)
	// Phrases: text between double quotes, word for word in order.
	parts := strings.Split(text, `"`)
	var loose []string
	for i, p := range parts {
		w := words(p)
		if len(w) == 0 {
			continue
		}
		if i%2 == 1 && i < len(parts)-1 { // inside a closed pair of quotes
			q.terms = append(q.terms, `"`+strings.Join(w, " ")+`"`)
			continue
		}
		loose = append(loose, w...)
	}
	if len(loose) == 0 {
		return q
	}
	for _, w := range loose[:len(loose)-1] {
		q.terms = append(q.terms, `"`+w+`"`)
	}
	q.last = loose[len(loose)-1]
	q.longish = len([]rune(q.last)) > prefixLen
	return q
}

func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// foldSearch folds text the way the message index does (unicode61 with diacritics removed, and
// the dotless ı as i): lower case, Turkish and other common Latin letters without their marks.
func foldSearch(text string) string {
	return strings.Map(func(r rune) rune {
		if f, ok := searchFold[r]; ok {
			return f
		}
		return unicode.ToLower(r)
	}, text)
}

var searchFold = func() map[rune]rune {
	m := map[rune]rune{'ı': 'i', 'I': 'i', 'İ': 'i'}
	for from, to := range map[string]rune{
		"àáâãäåāăą": 'a', "çćĉċč": 'c', "ďđ": 'd', "èéêëēĕėęě": 'e', "ĝğġģ": 'g', "ĥħ": 'h',
		"ìíîïĩīĭį": 'i', "ĵ": 'j', "ķ": 'k', "ĺļľŀł": 'l', "ñńņňŉ": 'n', "òóôõöøōŏő": 'o',
		"ŕŗř": 'r', "śŝşš": 's', "ţťŧ": 't', "ùúûüũūŭůűų": 'u', "ŵ": 'w', "ýÿŷ": 'y', "źżž": 'z',
	} {
		for _, r := range from {
			m[r] = to
			m[unicode.ToUpper(r)] = to
		}
	}
	return m
}()

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func encodeCursor(at, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, err
	}
	a, b, ok := strings.Cut(string(raw), ":")
	if !ok {
		return 0, 0, fmt.Errorf("bad cursor")
	}
	at, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, err
	}
	id, err := strconv.ParseInt(b, 10, 64)
	return at, id, err
}

// A text search's cursor is the message it stopped at ("m:<id>").
func encodeTextCursor(rowid int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("m:" + strconv.FormatInt(rowid, 10)))
}

func decodeTextCursor(c string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, err
	}
	v, ok := strings.CutPrefix(string(raw), "m:")
	if !ok {
		return 0, fmt.Errorf("bad cursor")
	}
	return strconv.ParseInt(v, 10, 64)
}
