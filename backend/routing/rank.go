package routing

import (
	"container/heap"

	"santral/backend/store"
)

// agentRank orders the agents eligible for automatic assignment during one round (PRODUCT.md
// rule 3): fewest active first, ties to the one who waited longest since their last
// assignment. Agents given a conversation in this round count as assigned after every earlier
// assignment, in the order of the round.
type agentRank struct {
	h      rankHeap
	rounds int // assignments made in this round
}

type rankedAgent struct {
	store.EligibleAgent
	round int // order of this round's assignments; 0: none yet
	index int
}

func newAgentRank(agents []store.EligibleAgent) *agentRank {
	r := &agentRank{}
	for _, a := range agents {
		r.h = append(r.h, &rankedAgent{EligibleAgent: a, index: len(r.h)})
	}
	heap.Init(&r.h)
	return r
}

func (r *agentRank) Len() int { return r.h.Len() }

// capacity is how many more conversations the ranked agents can take in this round.
func (r *agentRank) capacity() int {
	n := 0
	for _, a := range r.h {
		n += a.Limit - a.Active
	}
	return n
}

// best returns the agent the next conversation goes to, leaving out skip (0: none).
func (r *agentRank) best(skip int64) (*rankedAgent, bool) {
	if r.h.Len() == 0 {
		return nil, false
	}
	if top := r.h[0]; top.ID != skip {
		return top, true
	}
	if r.h.Len() == 1 {
		return nil, false
	}
	// The second best is one of the top's children.
	second := r.h[1]
	if r.h.Len() > 2 && r.h.Less(2, 1) {
		second = r.h[2]
	}
	return second, true
}

// took records that a got one more conversation.
func (r *agentRank) took(a *rankedAgent) {
	a.Active++
	r.rounds++
	a.round = r.rounds
	if a.Active >= a.Limit {
		heap.Remove(&r.h, a.index)
		return
	}
	heap.Fix(&r.h, a.index)
}

type rankHeap []*rankedAgent

func (h rankHeap) Len() int { return len(h) }

func (h rankHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.Active != b.Active {
		return a.Active < b.Active
	}
	// Not yet assigned this round: their stored time; assigned this round: after all of those,
	// in round order.
	if (a.round == 0) != (b.round == 0) {
		return a.round == 0
	}
	if a.round != b.round {
		return a.round < b.round
	}
	if a.LastAssignedAt != b.LastAssignedAt {
		return a.LastAssignedAt < b.LastAssignedAt
	}
	return a.ID < b.ID
}

func (h rankHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *rankHeap) Push(x any) {
	a := x.(*rankedAgent)
	a.index = len(*h)
	*h = append(*h, a)
}

func (h *rankHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	*h = old[:len(old)-1]
	return a
}
