package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"santral/backend/wire"
)

// History lists conversations matching the filter, newest first, one page at a time.
// viewerID limits an agent to ended conversations and their own (0: staff, everything).
func (s *Store) History(ctx context.Context, f wire.HistoryFilter, viewerID int64) (wire.ConversationPage, error) {
	var where []string
	var args []any
	if f.State != "" {
		where = append(where, "c.state = ?")
		args = append(args, f.State)
	}
	if viewerID != 0 {
		where = append(where, "(c.state = 'ended' OR c.agent_id = ?)")
		args = append(args, viewerID)
	}
	if q := s.dialect.textQuery(f.Text); q != "" {
		where = append(where, s.dialect.matchText)
		args = append(args, q)
	}
	if f.Customer != "" {
		like := "%" + escapeLike(f.Customer) + "%"
		where = append(where, `(ct.search_name LIKE ? ESCAPE '\' OR ct.phone LIKE ? ESCAPE '\' OR ct.external_id LIKE ? ESCAPE '\')`)
		args = append(args, "%"+escapeLike(FoldName(f.Customer))+"%", like, like)
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
	if f.From != 0 {
		where = append(where, "c.created_at >= ?")
		args = append(args, f.From)
	}
	if f.To != 0 {
		where = append(where, "c.created_at < ?")
		args = append(args, f.To)
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return wire.ConversationPage{}, wire.Invalid("cursor", "the cursor is not one this server gave")
		}
		where = append(where, "(c.created_at < ? OR (c.created_at = ? AND c.id < ?))")
		args = append(args, at, at, id)
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
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

// ftsQuery turns what a user typed into an FTS5 query that cannot be a syntax error: every word
// quoted, all words required, the last one as a prefix (search as you type).
func ftsQuery(text string) string {
	text = strings.ReplaceAll(text, "ı", "i")
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) == 0 {
		return ""
	}
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	words[len(words)-1] += "*"
	return strings.Join(words, " ")
}

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
