package api

// Supervisors' and admins' routes (issue 11): supervisor actions, notes and tags, the dashboard
// snapshot and the reports.

import (
	"errors"
	"net/http"
	"time"

	"santral/backend/reports"
	"santral/backend/store"
	"santral/backend/wire"
)

func init() {
	statusOf[wire.CodeTagTaken] = http.StatusConflict
	statusOf[wire.CodeTagUnknown] = http.StatusBadRequest
	statusOf[wire.CodeAlreadyHolder] = http.StatusConflict
	statusOf[wire.CodeConversationMoved] = http.StatusConflict
}

func (a *API) supervisorRoutes(mux *http.ServeMux, any, staff, admin []wire.Role) {
	mux.Handle("PUT /api/v1/users/{id}/presence", a.authed(a.setAgentPresence, staff...))
	mux.Handle("POST /api/v1/conversations/{id}/reassign", a.authed(a.reassign, staff...))
	mux.Handle("POST /api/v1/conversations/{id}/notes", a.authed(a.addNote, any...))
	mux.Handle("PUT /api/v1/conversations/{id}/tags", a.authed(a.setTags, any...))
	mux.Handle("GET /api/v1/tags", a.authed(a.listTags, any...))
	mux.Handle("POST /api/v1/tags", a.authed(a.createTag, admin...))
	mux.Handle("PUT /api/v1/tags/{id}", a.authed(a.updateTag, admin...))
	mux.Handle("GET /api/v1/dashboard", a.authed(a.dashboard, staff...))
	mux.Handle("GET /api/v1/reports", a.authed(a.report, staff...))
}

func (a *API) setAgentPresence(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.AgentPresenceRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SetAgentPresence(r.Context(), u, id, req.Presence, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) reassign(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.ReassignRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.Reassign(r.Context(), u, id, req.FromAgentID, req.ToAgentID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) addNote(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.NoteRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.AddNote(r.Context(), u, id, req.Text)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) setTags(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.ConversationTagsRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SetTags(r.Context(), u, id, req.TagIDs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listTags(w http.ResponseWriter, r *http.Request, u wire.User) error {
	list, err := a.store.Tags(r.Context(), r.URL.Query().Get("all") == "1" && u.Role == wire.RoleAdmin)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (a *API) createTag(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.TagRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SaveTag(r.Context(), 0, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) updateTag(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.TagRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.routing.SaveTag(r.Context(), id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// waitThreshold reads wait_threshold (seconds, default 60): the "waited longer than" figure.
func waitThreshold(r *http.Request) (int, error) {
	n, err := queryInt(r, "wait_threshold")
	if err != nil || n > 86400 {
		return 0, wire.Invalid("wait_threshold", "wait_threshold is 1–86400 seconds")
	}
	if n == 0 {
		n = 60
	}
	return int(n), nil
}

// dashboard answers the supervisor's snapshot. The event log's head is read first, so a
// dashboard that follows the stream from it misses nothing that happened while it was read
// (what it then sees twice, it applies twice to the same effect). "Today" starts at day_start
// (the app sends its local midnight), by default the server's.
func (a *API) dashboard(w http.ResponseWriter, r *http.Request, u wire.User) error {
	ctx := r.Context()
	threshold, err := waitThreshold(r)
	if err != nil {
		return err
	}
	now := time.Now()
	dayStart, err := queryTime(r, "day_start")
	if err != nil {
		return err
	}
	if dayStart == 0 {
		y, m, d := now.Date()
		dayStart = time.Date(y, m, d, 0, 0, 0, 0, now.Location()).UnixMilli()
	}
	// A local midnight is within the last day (25 hours on a DST day) in any time zone, give or
	// take the desktop clock's skew; an older start would read that many days of conversations
	// into memory on every load.
	if dayStart-now.UnixMilli() > time.Hour.Milliseconds() || now.UnixMilli()-dayStart > maxDayStartAge.Milliseconds() {
		return wire.Invalid("day_start", "day_start is today's local midnight, within the last 26 hours")
	}
	out := wire.Dashboard{ServerTime: now.UnixMilli(), DayStart: dayStart, WaitThresholdSeconds: threshold}
	if out.Seq, err = a.store.NewestEventSeq(ctx); err != nil {
		return err
	}
	users, err := a.store.Users(ctx)
	if err != nil {
		return err
	}
	perAgent, perReason, err := a.store.EndedSince(ctx, dayStart)
	if err != nil {
		return err
	}
	out.Agents = []wire.DashboardAgent{}
	for _, usr := range users {
		if !usr.Disabled {
			out.Agents = append(out.Agents, wire.DashboardAgent{User: usr, HandledToday: perAgent[usr.ID]})
		}
	}
	length, oldest, err := a.store.QueueFigures(ctx)
	if err != nil {
		return err
	}
	out.Queue = wire.DashboardQueue{Length: int(length), OldestQueuedAt: oldest}
	if out.Queue.PerChannel, out.Queue.InFlows, err = a.store.QueueByChannel(ctx); err != nil {
		return err
	}
	if out.Queue.Queued, err = a.store.Queue(ctx, 200); err != nil {
		return err
	}
	if out.Offers, err = a.store.PendingOffers(ctx); err != nil {
		return err
	}
	if out.Held, err = a.store.HeldConversations(ctx, 2000); err != nil {
		return err
	}
	// The day's cohort is bounded by the day (maxDayStartAge), not by a count: the dashboard
	// must keep answering on the busiest day.
	convs, err := a.store.ReportConversations(ctx, dayStart, now.UnixMilli()+1, 0)
	if err != nil {
		return err
	}
	out.Today = reports.Build(convs, reports.ByChannel, dayStart, now.UnixMilli(), now.UnixMilli(), threshold).Total
	out.Today.Ended = 0 // today's ended: every conversation ended today, whenever it started
	for _, c := range perReason {
		out.Today.Ended += c.Count
	}
	out.EndReasons = perReason
	if out.EndReasons == nil {
		out.EndReasons = []wire.Count{}
	}
	return writeJSON(w, http.StatusOK, out)
}

// maxDayStartAge bounds how long ago the dashboard's "today" may start.
const maxDayStartAge = 26 * time.Hour

// maxReportRange bounds a report's date range.
const maxReportRange = 366 * 24 * time.Hour

// report answers GET /api/v1/reports?from=&to=&by=agent|channel|end_reason|tag
// [&wait_threshold=60][&format=csv] over the conversations created in [from, to).
func (a *API) report(w http.ResponseWriter, r *http.Request, u wire.User) error {
	q := r.URL.Query()
	by := q.Get("by")
	if by == "" {
		by = reports.ByAgent
	}
	if !reports.ValidBy(by) {
		return wire.Invalid("by", "by must be agent, channel, end_reason or tag")
	}
	from, err := queryTime(r, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(r, "to")
	if err != nil {
		return err
	}
	switch {
	case from == 0 || to == 0:
		return wire.Invalid("from", "a report needs from and to")
	case to <= from:
		return wire.Invalid("to", "to must be after from")
	case time.Duration(to-from)*time.Millisecond > maxReportRange:
		return wire.Invalid("to", "a report covers at most 366 days")
	}
	threshold, err := waitThreshold(r)
	if err != nil {
		return err
	}
	convs, err := a.store.ReportConversations(r.Context(), from, to, a.opt.ReportMaxConversations)
	if errors.Is(err, store.ErrReportTooLarge) {
		return wire.Errorf(wire.CodeReportTooLarge, "more than %d conversations were created in this range: choose a shorter one", a.opt.ReportMaxConversations)
	}
	if err != nil {
		return err
	}
	rep := reports.Build(convs, by, from, to, time.Now().UnixMilli(), threshold)
	switch q.Get("format") {
	case "", "json":
		return writeJSON(w, http.StatusOK, rep)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="santral-report-`+by+`-`+
			time.UnixMilli(from).UTC().Format("20060102")+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		return reports.WriteCSV(w, rep)
	default:
		return wire.Invalid("format", "format must be json or csv")
	}
}
