package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"santral/backend/flows"
)

// The chatbot flows' worker: waits that timed out move on, and HTTP steps are called — outside
// any transaction, each within its own timeout — and their outcomes recorded. Any node may do
// either: timeouts fire once (a conditional update on the run's deadline), and an HTTP step's
// outcome is recorded only under the claim it was called with.

// flowHTTPSteps bounds the HTTP steps one node calls at once.
const flowHTTPSteps = 8

// flowClaimGrace is how long past its timeout an HTTP step's claim lasts: a node that stops
// mid-call leaves the step to another node after that.
const flowClaimGrace = 30 * time.Second

// flowHTTP calls HTTP steps; each call's context carries its timeout.
var flowHTTP = &http.Client{}

// runFlows fires due timeouts and calls due HTTP steps, looking every interval.
func (s *Server) runFlows(ctx context.Context, interval time.Duration) {
	var calls sync.WaitGroup
	defer calls.Wait()
	slots := make(chan struct{}, flowHTTPSteps)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if due, err := s.Store.FlowsDue(ctx, time.Now().UnixMilli()); err != nil || !due {
			if err != nil && ctx.Err() == nil {
				s.log.Error("flows: unable to look for due steps", "err", err)
			}
			continue
		}
		for {
			n, err := s.Routing.FireFlowTimeouts(ctx, 100)
			if err != nil && ctx.Err() == nil {
				s.log.Error("flows: unable to fire timeouts", "err", err)
			}
			if err != nil || n < 100 {
				break
			}
		}
		free := flowHTTPSteps - len(slots)
		if free == 0 {
			continue
		}
		claims, err := s.Routing.ClaimHTTPSteps(ctx, free, flowClaimGrace)
		if err != nil && ctx.Err() == nil {
			s.log.Error("flows: unable to claim HTTP steps", "err", err)
		}
		for _, c := range claims {
			slots <- struct{}{}
			calls.Add(1)
			go func() {
				defer calls.Done()
				defer func() { <-slots }()
				res := flows.Call(ctx, flowHTTP, c.Request)
				if !res.OK {
					s.log.Info("flows: an HTTP step failed: the flow takes its failure branch", "conversation_id", c.ConversationID, "reason", res.Error)
				}
				if ctx.Err() != nil {
					return // stopping: the claim runs out and the step is called again
				}
				if err := s.Routing.RecordHTTPStep(context.WithoutCancel(ctx), c, res); err != nil {
					s.log.Error("flows: unable to record an HTTP step", "conversation_id", c.ConversationID, "err", err)
				}
			}()
		}
	}
}
