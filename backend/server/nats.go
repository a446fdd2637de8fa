package server

import (
	"context"

	"santral/backend/api"
	"santral/backend/cluster"
)

// joinNodes connects this node to the others on NATS when --nats names it: commits here wake
// their readers, theirs wake this one's. The subject carries the database's id, so that two
// deployments sharing a NATS server never ring each other's bell. Without --nats the bell only
// wakes this node, and the other processes on the database read its commits at their poll.
func (s *Server) joinNodes(dbID string) error {
	if s.cfg.NATS == "" {
		return nil
	}
	if err := s.bell.Connect(cluster.Options{Servers: s.cfg.NATS, Redacted: s.cfg.NATSName(),
		Subject: s.cfg.NATSSubject + "." + dbID + ".wake"}); err != nil {
		return err
	}
	s.Metrics.ObserveWakes(s.bell)
	return nil
}

// natsCheck is the readiness check of a node configured with NATS: while it is away the node
// still works (the poll carries it), but a second later than its peers.
func (s *Server) natsCheck() []api.ReadyCheck {
	if !s.bell.Configured() {
		return nil
	}
	return []api.ReadyCheck{{Name: "nats", Check: func(ctx context.Context) error { return s.bell.Connected(ctx) }}}
}
