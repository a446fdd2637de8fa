package routing

// Admins' decisions about flows: saving (every save is a new version), publishing after
// validation, archiving, and a channel's default flow. Each tells everyone (flows.changed):
// agents list the published flows in the composer.

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"santral/backend/flows"
	"santral/backend/store"
	"santral/backend/wire"
)

// maxDefinition bounds a flow version's JSON.
const maxDefinition = 200 << 10

func flowName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 80 || !utf8.ValidString(name) {
		return "", wire.Invalid("name", "a flow's name is 1–80 characters")
	}
	return name, nil
}

func encodeDefinition(def *wire.FlowDefinition) ([]byte, error) {
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	if len(raw) > maxDefinition {
		return nil, wire.Invalid("definition", "a flow's definition is at most %d KiB", maxDefinition>>10)
	}
	return raw, nil
}

func flowsChanged(tx *store.Tx, f wire.Flow) error {
	return tx.Append(wire.EventFlowsChanged, 0, store.Everyone, wire.FlowData{Flow: f})
}

// CreateFlow stores a new flow (a draft: drafts need not be valid yet).
func (s *Service) CreateFlow(ctx context.Context, actorID int64, name string, def *wire.FlowDefinition) (wire.Flow, error) {
	name, err := flowName(name)
	if err != nil {
		return wire.Flow{}, err
	}
	if def == nil {
		def = &wire.FlowDefinition{Steps: []wire.FlowStep{}}
	}
	raw, err := encodeDefinition(def)
	if err != nil {
		return wire.Flow{}, err
	}
	var out wire.Flow
	err = s.do(ctx, func(tx *store.Tx) error {
		if out, err = tx.CreateFlow(name, raw, actorID); err != nil {
			return err
		}
		return flowsChanged(tx, out)
	})
	return out, err
}

// SaveFlow renames a flow and, with a definition, adds its next version (a draft until
// published). Conversations running on an earlier version finish on it.
func (s *Service) SaveFlow(ctx context.Context, actorID, flowID int64, name *string, def *wire.FlowDefinition) (wire.Flow, error) {
	if name != nil {
		n, err := flowName(*name)
		if err != nil {
			return wire.Flow{}, err
		}
		name = &n
	}
	var raw []byte
	if def != nil {
		var err error
		if raw, err = encodeDefinition(def); err != nil {
			return wire.Flow{}, err
		}
	}
	var out wire.Flow
	err := s.do(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = tx.SaveFlow(flowID, name, raw, actorID); err != nil {
			return err
		}
		return flowsChanged(tx, out)
	})
	return out, err
}

// ValidateFlow lists what stops def from being published, against the workspace's end reasons
// and shared quick messages as they are now.
func (s *Service) ValidateFlow(ctx context.Context, def *wire.FlowDefinition) ([]wire.Error, error) {
	var problems []wire.Error
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error {
		problems = flows.Validate(def, lookups(tx))
		return nil
	})
	return problems, err
}

func lookups(tx *store.Tx) flows.Lookups {
	return flows.Lookups{
		EndReason: func(id int64) bool {
			r, err := tx.EndReason(id)
			return err == nil && r.Active
		},
		QuickMessage: func(id int64) bool {
			q, err := tx.QuickMessage(id)
			return err == nil && q.OwnerID == nil
		},
	}
}

// PublishFlow validates a version (0: the latest) and makes it the one new conversations start
// on. A flow with problems is refused with the first problem's code and field, and all of them
// in problems.
func (s *Service) PublishFlow(ctx context.Context, flowID int64, version int) (wire.Flow, error) {
	var out wire.Flow
	err := s.do(ctx, func(tx *store.Tx) error {
		f, err := tx.Flow(flowID)
		if err != nil {
			return err
		}
		if f.Archived {
			return wire.Errorf(wire.CodeNotFound, "flow not found")
		}
		if version == 0 {
			version = f.LatestVersion
		}
		if version < 1 || version > f.LatestVersion {
			return wire.Invalid("version", "flow %q has versions 1 to %d", f.Name, f.LatestVersion)
		}
		def, err := s.defs.get(tx, f.ID, version)
		if err != nil {
			return err
		}
		if problems := flows.Validate(def, lookups(tx)); len(problems) > 0 {
			e := problems[0]
			e.Problems = problems
			return &e
		}
		if ok, err := tx.PublishFlow(f.ID, version); err != nil || !ok {
			if err == nil {
				err = wire.Errorf(wire.CodeNotFound, "flow not found")
			}
			return err
		}
		if out, err = tx.Flow(f.ID); err != nil {
			return err
		}
		return flowsChanged(tx, out)
	})
	return out, err
}

// ArchiveFlow takes a flow out of use; conversations in it finish. A channel whose default flow
// it was queues its new conversations directly from now on.
func (s *Service) ArchiveFlow(ctx context.Context, flowID int64) error {
	return s.do(ctx, func(tx *store.Tx) error {
		ok, err := tx.ArchiveFlow(flowID)
		if err != nil {
			return err
		}
		if !ok {
			return wire.Errorf(wire.CodeNotFound, "flow not found")
		}
		f, err := tx.Flow(flowID)
		if err != nil {
			return err
		}
		return flowsChanged(tx, f)
	})
}

// SetDefaultFlow chooses the flow every new conversation on a channel goes through first (nil:
// none): a published flow meant for the channel.
func (s *Service) SetDefaultFlow(ctx context.Context, channelID int64, flowID *int64) (store.ChannelRow, error) {
	var out store.ChannelRow
	err := s.do(ctx, func(tx *store.Tx) error {
		ch, err := tx.ChannelSettings(channelID)
		if err != nil {
			return err
		}
		id := int64(0)
		if flowID != nil {
			f, def, err := s.publishedFlow(tx, *flowID)
			if err != nil {
				return err
			}
			if !flows.ForChannel(def, ch.Type) {
				return wire.Errorf(wire.CodeFlowNotForChannel, "the flow %q is not meant for %s channels", f.Name, ch.Type)
			}
			id = f.ID
		}
		if err := tx.SetDefaultFlow(channelID, id); err != nil {
			return err
		}
		out, err = tx.ChannelSettings(channelID)
		return err
	})
	return out, err
}
