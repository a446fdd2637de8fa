package app

// The admin screens' and the reports screen's bindings (issue 11): users, end reasons, quick
// messages, tags, workspace settings, the widget snippet and reports. Each is one server call;
// the server checks the role and gives the reason for every refusal, which the UI shows.

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"santral/backend/wire"
)

// ReportQuery asks for a report: a date range (local dates, YYYY-MM-DD, to inclusive) and the
// dimension.
type ReportQuery struct {
	From          string `json:"from"`
	To            string `json:"to"`
	By            string `json:"by"` // agent | channel | end_reason | tag
	WaitThreshold int    `json:"wait_threshold,omitempty"`
}

// reportPath turns a query into the API's path: the local days become the instants they start
// at, so "today" is this machine's today; to is inclusive (its next midnight).
func reportPath(q ReportQuery, format string) (string, error) {
	from, err := time.ParseInLocation("2006-01-02", q.From, time.Local)
	if err != nil {
		return "", wire.Invalid("from", "from must be a date (YYYY-MM-DD)")
	}
	to, err := time.ParseInLocation("2006-01-02", q.To, time.Local)
	if err != nil {
		return "", wire.Invalid("to", "to must be a date (YYYY-MM-DD)")
	}
	v := url.Values{}
	v.Set("from", fmt.Sprint(from.UnixMilli()))
	v.Set("to", fmt.Sprint(to.AddDate(0, 0, 1).UnixMilli()))
	v.Set("by", q.By)
	if q.WaitThreshold > 0 {
		v.Set("wait_threshold", fmt.Sprint(q.WaitThreshold))
	}
	if format != "" {
		v.Set("format", format)
	}
	return "/api/v1/reports?" + v.Encode(), nil
}

// Report reads a report (supervisors and admins).
func (a *App) Report(q ReportQuery) (wire.Report, error) {
	var rep wire.Report
	path, err := reportPath(q, "")
	if err != nil {
		return rep, uiError(err)
	}
	err = a.call("GET", path, nil, &rep)
	if rep.Rows == nil {
		rep.Rows = []wire.ReportRow{}
	}
	return rep, err
}

// ExportReport saves the report as CSV in the user's Downloads folder (or home) and returns
// the file's path.
func (a *App) ExportReport(q ReportQuery) (string, error) {
	path, err := reportPath(q, "csv")
	if err != nil {
		return "", uiError(err)
	}
	cl, _, _, err := a.session()
	if err != nil {
		return "", uiError(err)
	}
	cx, cancel := ctx()
	defer cancel()
	var buf bytes.Buffer
	if err := cl.Download(cx, path, &buf, 64<<20); err != nil {
		return "", uiError(err)
	}
	body := buf.Bytes()
	dir := downloadsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", uiError(err)
	}
	name := fmt.Sprintf("santral-%s-%s-%s.csv", q.By, strings.ReplaceAll(q.From, "-", ""), strings.ReplaceAll(q.To, "-", ""))
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, body, 0o644); err != nil {
		return "", uiError(err)
	}
	return file, nil
}

func downloadsDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return os.TempDir()
	}
	if d := filepath.Join(home, "Downloads"); isDir(d) {
		return d
	}
	return home
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Users lists every user (admins see disabled ones too).
func (a *App) Users() ([]wire.User, error) {
	var list []wire.User
	err := a.call("GET", "/api/v1/users", nil, &list)
	if list == nil {
		list = []wire.User{}
	}
	return list, err
}

// SaveUser creates a user (id 0: username, display name, password and role are needed) or
// changes one (only the fields sent; a password sent resets it and ends their sessions).
func (a *App) SaveUser(id int64, req wire.UserRequest) (wire.User, error) {
	var u wire.User
	if id == 0 {
		return u, a.call("POST", "/api/v1/users", req, &u)
	}
	return u, a.call("PATCH", fmt.Sprintf("/api/v1/users/%d", id), req, &u)
}

// AllEndReasons lists the end reasons, inactive ones too (admins).
func (a *App) AllEndReasons() ([]wire.EndReason, error) {
	var list []wire.EndReason
	err := a.call("GET", "/api/v1/end-reasons?all=1", nil, &list)
	if list == nil {
		list = []wire.EndReason{}
	}
	return list, err
}

// SaveEndReason adds (id 0), renames or (de)activates an end reason.
func (a *App) SaveEndReason(id int64, req wire.EndReasonRequest) (wire.EndReason, error) {
	var r wire.EndReason
	if id == 0 {
		return r, a.call("POST", "/api/v1/end-reasons", req, &r)
	}
	return r, a.call("PUT", fmt.Sprintf("/api/v1/end-reasons/%d", id), req, &r)
}

// QuickMessages lists the shared quick messages and the user's own.
func (a *App) QuickMessages() ([]wire.QuickMessage, error) {
	var list []wire.QuickMessage
	err := a.call("GET", "/api/v1/quick-messages", nil, &list)
	if list == nil {
		list = []wire.QuickMessage{}
	}
	return list, err
}

// SaveQuickMessage creates (id 0) or changes a quick message: shared ones (admins) or the
// user's own.
func (a *App) SaveQuickMessage(id int64, req wire.QuickMessageRequest) (wire.QuickMessage, error) {
	var q wire.QuickMessage
	if id == 0 {
		return q, a.call("POST", "/api/v1/quick-messages", req, &q)
	}
	return q, a.call("PUT", fmt.Sprintf("/api/v1/quick-messages/%d", id), req, &q)
}

// DeleteQuickMessage removes a quick message the user may manage.
func (a *App) DeleteQuickMessage(id int64) error {
	return a.call("DELETE", fmt.Sprintf("/api/v1/quick-messages/%d", id), nil, nil)
}

// Tags lists the admin's tags (inactive ones too for admins when all).
func (a *App) Tags(all bool) ([]wire.Tag, error) {
	var list []wire.Tag
	path := "/api/v1/tags"
	if all {
		path += "?all=1"
	}
	err := a.call("GET", path, nil, &list)
	if list == nil {
		list = []wire.Tag{}
	}
	return list, err
}

// SaveTag adds (id 0), renames or (de)activates a tag.
func (a *App) SaveTag(id int64, req wire.TagRequest) (wire.Tag, error) {
	var t wire.Tag
	if id == 0 {
		return t, a.call("POST", "/api/v1/tags", req, &t)
	}
	return t, a.call("PUT", fmt.Sprintf("/api/v1/tags/%d", id), req, &t)
}

// SetConversationTags sets a conversation's tags (the whole set).
func (a *App) SetConversationTags(conversationID int64, tagIDs []int64) ([]wire.Tag, error) {
	var list []wire.Tag
	if tagIDs == nil {
		tagIDs = []int64{}
	}
	err := a.call("PUT", fmt.Sprintf("/api/v1/conversations/%d/tags", conversationID), wire.ConversationTagsRequest{TagIDs: tagIDs}, &list)
	return list, err
}

// AddNote adds an internal note to a conversation (never sent to the customer).
func (a *App) AddNote(conversationID int64, text string) (wire.TimelineEntry, error) {
	var e wire.TimelineEntry
	return e, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", conversationID), wire.NoteRequest{Text: text}, &e)
}

// WorkspaceSettings reads the workspace's routing settings.
func (a *App) WorkspaceSettings() (wire.Settings, error) {
	var s wire.Settings
	return s, a.call("GET", "/api/v1/settings", nil, &s)
}

// SaveWorkspaceSettings replaces the workspace's routing settings (admins).
func (a *App) SaveWorkspaceSettings(s wire.Settings) (wire.Settings, error) {
	var out wire.Settings
	return out, a.call("PUT", "/api/v1/settings", s, &out)
}

// WidgetSnippet is the HTML a shop pastes into its pages for the website chat.
func (a *App) WidgetSnippet() string {
	a.mu.Lock()
	base := strings.TrimRight(a.settings.ServerURL, "/")
	a.mu.Unlock()
	return fmt.Sprintf(`<script src="%s/widget.js" defer></script>`, base)
}
