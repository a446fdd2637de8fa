package app

// Chatbot flows (PRODUCT.md rule 7) as the app asks for them: the composer's flows button (the
// published flows, handing a held conversation to one) and the admins' editor (drafts,
// validation, the try-it simulator, publishing, import and export). Every rule — who may hand
// over, which flows are valid, what a step does — is the server's; these bindings only ask,
// and a refusal reaches the UI with the server's code (flow_invalid with its problems, …).

import (
	"encoding/json"
	"fmt"

	"santral/backend/wire"
)

// Flows lists the flows this user may see: for agents the published ones (the flows button),
// for admins and supervisors drafts too.
func (a *App) Flows() ([]wire.Flow, error) {
	var list []wire.Flow
	err := a.call("GET", "/api/v1/flows", nil, &list)
	if list == nil {
		list = []wire.Flow{}
	}
	return list, err
}

// HandToFlow hands a conversation the user holds to a published flow: the server takes it from
// the user (capacity freed at once, the timeline records it) and the flow talks to the customer.
func (a *App) HandToFlow(conversationID, flowID int64) (wire.Conversation, error) {
	var c wire.Conversation
	return c, a.call("POST", fmt.Sprintf("/api/v1/conversations/%d/flow", conversationID), wire.HandToFlowRequest{FlowID: flowID}, &c)
}

// Flow reads a flow with its definition: the latest version for admins, the published one
// for everyone else.
func (a *App) Flow(id int64) (wire.Flow, error) {
	var f wire.Flow
	return f, a.call("GET", fmt.Sprintf("/api/v1/flows/%d", id), nil, &f)
}

// SaveFlow creates a flow (id 0) or saves a new version of it (admins). Saving never changes a
// version that conversations run on.
func (a *App) SaveFlow(id int64, name string, def wire.FlowDefinition) (wire.Flow, error) {
	var f wire.Flow
	req := wire.FlowRequest{Name: &name, Definition: &def}
	if id == 0 {
		return f, a.call("POST", "/api/v1/flows", req, &f)
	}
	return f, a.call("PUT", fmt.Sprintf("/api/v1/flows/%d", id), req, &f)
}

// ValidateFlow asks the server what would stop a definition from being published: each
// problem with its code and the field of the step it is about (definition.steps[2].choices).
func (a *App) ValidateFlow(def wire.FlowDefinition) ([]wire.Error, error) {
	var out struct {
		Problems []wire.Error `json:"problems"`
	}
	err := a.call("POST", "/api/v1/flows/validate", wire.FlowRequest{Definition: &def}, &out)
	if out.Problems == nil {
		out.Problems = []wire.Error{}
	}
	return out.Problems, err
}

// PublishFlow publishes a flow's latest version (refused with flow_invalid and its problems
// when it cannot run as written).
func (a *App) PublishFlow(id int64) (wire.Flow, error) {
	var f wire.Flow
	return f, a.call("POST", fmt.Sprintf("/api/v1/flows/%d/publish", id), wire.PublishRequest{}, &f)
}

// ArchiveFlow takes a flow out of the lists; conversations in it finish their run.
func (a *App) ArchiveFlow(id int64) error {
	return a.call("DELETE", fmt.Sprintf("/api/v1/flows/%d", id), nil, nil)
}

// SimulateFlow runs one turn of the try-it simulator on the server: no customer, no message
// sent; the state it returns is sent back with the next answer.
func (a *App) SimulateFlow(req wire.SimulateRequest) (wire.SimulateResponse, error) {
	var out wire.SimulateResponse
	err := a.call("POST", "/api/v1/flows/simulate", req, &out)
	if out.Messages == nil {
		out.Messages = []wire.SimulatedMessage{}
	}
	if out.Trace == nil {
		out.Trace = []string{}
	}
	return out, err
}

// ExportFlow is a flow as a JSON file's text (format santral.flow/1), for the admin to save.
func (a *App) ExportFlow(id int64) (string, error) {
	var x wire.FlowExport
	if err := a.call("GET", fmt.Sprintf("/api/v1/flows/%d/export", id), nil, &x); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(x, "", "  ")
	return string(b), err
}

// ImportFlow creates a draft flow from an exported file's text; the server checks its format.
func (a *App) ImportFlow(text string) (wire.Flow, error) {
	var x wire.FlowExport
	if err := json.Unmarshal([]byte(text), &x); err != nil {
		return wire.Flow{}, uiError(wire.Invalid("file", "the file is not JSON: %v", err))
	}
	var f wire.Flow
	return f, a.call("POST", "/api/v1/flows/import", x, &f)
}
