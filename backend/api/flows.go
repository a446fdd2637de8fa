package api

// Chatbot flows: admins build, validate, publish, try, import and export them; agents list the
// published ones and hand a conversation to one (the composer's flows button); whoever may read
// a conversation reads what its flows collected.

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"santral/backend/flows"
	"santral/backend/wire"
)

func init() {
	for _, c := range []wire.Code{wire.CodeFlowInvalid, wire.CodeFlowUnknownStep, wire.CodeFlowUnreachable, wire.CodeFlowDeadEnd,
		wire.CodeFlowLoop, wire.CodeFlowChoicesOverLimit, wire.CodeFlowChoiceTooLong, wire.CodeFlowUnknownVariable} {
		statusOf[c] = http.StatusUnprocessableEntity
	}
	statusOf[wire.CodeFlowNotPublished] = http.StatusConflict
	statusOf[wire.CodeFlowNotForChannel] = http.StatusConflict
	statusOf[wire.CodeConversationInFlow] = http.StatusConflict
}

// flowRoutes adds the flows' routes to the route table.
func (a *API) flowRoutes(mux *http.ServeMux, any, admin []wire.Role) {
	mux.Handle("GET /api/v1/flows", a.authed(a.listFlows, any...))
	mux.Handle("POST /api/v1/flows", a.authed(a.createFlow, admin...))
	mux.Handle("POST /api/v1/flows/validate", a.authed(a.validateFlow, admin...))
	mux.Handle("POST /api/v1/flows/simulate", a.authed(a.simulateFlow, admin...))
	mux.Handle("POST /api/v1/flows/import", a.authed(a.importFlow, admin...))
	mux.Handle("GET /api/v1/flows/{id}", a.authed(a.getFlow, any...))
	mux.Handle("PUT /api/v1/flows/{id}", a.authed(a.saveFlow, admin...))
	mux.Handle("DELETE /api/v1/flows/{id}", a.authed(a.archiveFlow, admin...))
	mux.Handle("POST /api/v1/flows/{id}/publish", a.authed(a.publishFlow, admin...))
	mux.Handle("GET /api/v1/flows/{id}/export", a.authed(a.exportFlow, admin...))
	mux.Handle("POST /api/v1/conversations/{id}/flow", a.authed(a.handToFlow, any...))
	mux.Handle("GET /api/v1/conversations/{id}/attributes", a.authed(a.conversationAttributes, any...))
	mux.Handle("PUT /api/v1/channel-accounts/{id}/default-flow", a.authed(a.setDefaultFlow, admin...))
}

// listFlows: admins and supervisors see every flow that is not archived, drafts too; agents the
// published ones they can hand a conversation to.
func (a *API) listFlows(w http.ResponseWriter, r *http.Request, u wire.User) error {
	list, err := a.store.Flows(r.Context(), !u.Role.Staff())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

// flowWithDefinition reads a flow and one version's definition: the latest for admins, the
// published one for everyone else (who never see drafts).
func (a *API) flowWithDefinition(ctx context.Context, id int64, u wire.User) (wire.Flow, error) {
	f, err := a.store.Flow(ctx, id)
	if err != nil {
		return f, err
	}
	version := f.LatestVersion
	if u.Role != wire.RoleAdmin {
		version = f.PublishedVersion
	}
	if f.Archived || version == 0 {
		return f, wire.Errorf(wire.CodeNotFound, "flow not found")
	}
	raw, err := a.store.FlowVersion(ctx, f.ID, version)
	if err != nil {
		return f, err
	}
	f.Definition = &wire.FlowDefinition{}
	if err := json.Unmarshal(raw, f.Definition); err != nil {
		return f, err
	}
	return f, nil
}

func (a *API) getFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := a.flowWithDefinition(r.Context(), id, u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (a *API) createFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.FlowRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return wire.Invalid("name", "a flow needs a name")
	}
	f, err := a.routing.CreateFlow(r.Context(), u.ID, *req.Name, req.Definition)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (a *API) saveFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.FlowRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil && req.Definition == nil {
		return wire.Invalid("definition", "send a name, a definition or both")
	}
	f, err := a.routing.SaveFlow(r.Context(), u.ID, id, req.Name, req.Definition)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (a *API) archiveFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.routing.ArchiveFlow(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// validateFlow answers what would stop a definition from being published (200, possibly none),
// for the editor to show as the admin works.
func (a *API) validateFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.FlowRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	problems, err := a.routing.ValidateFlow(r.Context(), req.Definition)
	if err != nil {
		return err
	}
	if problems == nil {
		problems = []wire.Error{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"problems": problems})
}

func (a *API) publishFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.PublishRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	f, err := a.routing.PublishFlow(r.Context(), id, req.Version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (a *API) exportFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := a.flowWithDefinition(r.Context(), id, u)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="flow-`+r.PathValue("id")+`.json"`)
	return writeJSON(w, http.StatusOK, wire.FlowExport{Format: wire.FlowExportFormat, Name: f.Name, Definition: *f.Definition})
}

// importFlow creates a flow from an export (a draft: publish it after checking it here).
func (a *API) importFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.FlowExport
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Format != wire.FlowExportFormat {
		return wire.Invalid("format", "not a Santral flow export (format %q)", wire.FlowExportFormat)
	}
	f, err := a.routing.CreateFlow(r.Context(), u.ID, req.Name, &req.Definition)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (a *API) handToFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.HandToFlowRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.FlowID <= 0 {
		return wire.Invalid("flow_id", "choose a flow")
	}
	c, err := a.routing.HandToFlow(r.Context(), u.ID, id, req.FlowID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) conversationAttributes(w http.ResponseWriter, r *http.Request, u wire.User) error {
	c, err := a.readableConversation(r, u)
	if err != nil {
		return err
	}
	attrs, err := a.routing.ConversationAttributes(r.Context(), c.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, attrs)
}

func (a *API) setDefaultFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req wire.DefaultFlowRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ch, err := a.routing.SetDefaultFlow(r.Context(), id, req.FlowID)
	if err != nil {
		return err
	}
	a.webhookAccounts.forget(id)
	return writeJSON(w, http.StatusOK, ch.Account())
}

// simulateHTTPCalls bounds the HTTP steps one simulator turn makes.
const simulateHTTPCalls = 5

// simulateFlow is the try-it simulator: one turn of a flow without a customer, exactly as the
// engine runs it for one — HTTP steps included, called from the server as they would be.
func (a *API) simulateFlow(w http.ResponseWriter, r *http.Request, u wire.User) error {
	var req wire.SimulateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	def := req.Definition
	if def == nil {
		if req.FlowID == 0 {
			return wire.Invalid("definition", "send a definition or a flow_id")
		}
		f, err := a.flowWithDefinition(r.Context(), req.FlowID, u)
		if err != nil {
			return err
		}
		def = f.Definition
	}
	channel := req.ChannelType
	if channel == "" {
		channel = wire.ChannelSandbox
	}
	cx := flows.Context{Customer: wire.Contact{Name: "Deneme Müşteri", Phone: "+905550000000", Email: "deneme@example.com"},
		AgentName: u.DisplayName, ChannelName: "Simulator", ChannelType: channel}
	in := flows.Input{Kind: flows.Start}
	run := flows.Run{Attributes: map[string]string{}}
	if req.State != nil {
		run = flows.Run{Step: req.State.Step, Attributes: req.State.Attributes, Tries: req.State.Tries}
		switch {
		case req.Timeout:
			in = flows.Input{Kind: flows.Timeout}
		default:
			in = flows.Input{Kind: flows.Answer, Text: req.Text, Choice: req.Choice}
		}
	}
	out := wire.SimulateResponse{Messages: []wire.SimulatedMessage{}, Trace: []string{}}
	for calls := 0; ; calls++ {
		res := flows.Advance(def, run, in, cx)
		for _, m := range res.Sends {
			out.Messages = append(out.Messages, wire.SimulatedMessage{Body: m.Body, Attachments: m.Attachments, Interactive: m.Interactive})
		}
		out.Trace = append(out.Trace, res.Trace...)
		if res.Ignored {
			out.State = &wire.SimulateState{Step: run.Step, Attributes: run.Attributes, Tries: run.Tries}
			out.Waiting = "answer"
			out.Attributes = run.Attributes
			break
		}
		run = res.Run
		out.Attributes = run.Attributes
		if res.Exit != nil {
			out.Exit, out.Tag, out.EndReasonID = res.Exit.Kind, res.Exit.Tag, res.Exit.EndReasonID
			break
		}
		if res.Wait.HTTP != nil && calls < simulateHTTPCalls {
			result := flows.Call(r.Context(), flowHTTP, res.Wait.HTTP)
			if !result.OK {
				out.Trace = append(out.Trace, "http: "+result.Error)
			}
			in = flows.Input{Kind: flows.HTTPDone, HTTP: &result}
			continue
		}
		out.State = &wire.SimulateState{Step: run.Step, Attributes: run.Attributes, Tries: run.Tries}
		out.Waiting = "answer"
		if res.Wait.HTTP != nil {
			out.Waiting = "http"
		} else if res.Wait.Timeout > 0 {
			out.Waiting = "answer or timeout after " + res.Wait.Timeout.String()
		}
		break
	}
	return writeJSON(w, http.StatusOK, out)
}

// flowHTTP makes the simulator's HTTP steps (each bounded by its own timeout).
var flowHTTP = &http.Client{Timeout: time.Duration(flows.MaxHTTPWait+5) * time.Second}
