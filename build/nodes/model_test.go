package nodes

// A randomized, model-based test of the rules across three santrald processes on one
// PostgreSQL database. A seeded generator drives operations — customers' messages, presence
// changes, pulls, transfer offers and their acceptance, rejection and cancellation, ends with a
// reason, take-ups, the admin's settings and limits, an offer's timeout and a disconnected
// agent's grace period running out, an app moving its stream to another node — each over real
// HTTP to a node the generator picks. After each one the answer is compared with a sequential
// model of PRODUCT.md's rules (model.go's twin below, written from the rules, not from the
// server's code): the same outcome, the same error code, the same conversation pulled. At
// checkpoints the whole state is compared (every agent's presence, active count and order of
// last assignment, the queue in its order, each agent's own list, the pending offers), and
// every agent's event stream — one live WebSocket each, on a node of its own, moved now and then
// — is checked: what it told the agent (the conversations they hold, the offers to and from
// them) is the model's, its sequence numbers only increase, and a replay of the same stretch
// from the log on another node delivers exactly the same events: no gap, no duplicate.
//
// The seed is printed; SANTRAL_MODEL_SEED=<seed> replays a run exactly (the server's ids are
// deterministic on a fresh database), SANTRAL_MODEL_OPS sets the number of operations (default
// 100,000; 10,000 under the race detector, where each request costs several times more).
//
// Why three processes and not three servers in this test process: each node must have its own
// connection pool, committer, event reader and sweeper, as on three machines — processes give
// that without any sharing a test harness could add — and the race detector runs inside each.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

// ---- The model: PRODUCT.md's rules, sequentially. ----

type mAgent struct {
	id        int64
	name      string
	presence  wire.Presence
	reason    string
	autoLimit *int // nil: the workspace default
	hardCap   *int // nil: the workspace default
	active    int
	last      int64 // logical time of the latest assignment (0: never)
}

type mConv struct {
	id       int64
	customer string
	state    wire.ConversationState
	agent    int64
	head     bool  // returned to the head of the queue
	offer    int64 // its pending transfer offer (0: none)
}

type mOffer struct {
	id, conv, from, to int64
	state              wire.OfferState
}

// assignment is one conversation given a holder by an operation.
type assignment struct {
	conv, agent int64
	by          string
}

type model struct {
	set    wire.Settings
	agents []*mAgent
	byID   map[int64]*mAgent
	convs  map[int64]*mConv
	offers map[int64]*mOffer
	open   map[string]int64 // customer → their open (queued or assigned) conversation
	clock  int64            // the logical time of the operation being applied

	// Indexes the generator picks from, in a deterministic order.
	assigned, ended, pending idset
	assigns                  []assignment // what the current operation assigned
}

// idset is a set of ids that can be picked from at random deterministically.
type idset struct {
	ids []int64
	at  map[int64]int
}

func (s *idset) add(id int64) {
	if s.at == nil {
		s.at = map[int64]int{}
	}
	if _, ok := s.at[id]; ok {
		return
	}
	s.at[id] = len(s.ids)
	s.ids = append(s.ids, id)
}

func (s *idset) remove(id int64) {
	i, ok := s.at[id]
	if !ok {
		return
	}
	last := s.ids[len(s.ids)-1]
	s.ids[i], s.at[last] = last, i
	s.ids = s.ids[:len(s.ids)-1]
	delete(s.at, id)
}

func (s *idset) pick(r *rand.Rand) (int64, bool) {
	if len(s.ids) == 0 {
		return 0, false
	}
	return s.ids[r.IntN(len(s.ids))], true
}

func newModel(set wire.Settings) *model {
	return &model{set: set, byID: map[int64]*mAgent{}, convs: map[int64]*mConv{}, offers: map[int64]*mOffer{}, open: map[string]int64{}}
}

func (m *model) limitOf(a *mAgent) int {
	if a.autoLimit != nil {
		return *a.autoLimit
	}
	return m.set.DefaultLimit
}

func (m *model) capOf(a *mAgent) int {
	if a.hardCap != nil {
		return *a.hardCap
	}
	return m.set.HardCap
}

// queue is the queued conversations in serving order: returned ones at the head, then by age
// (a conversation's id grows with its entry time).
func (m *model) queue() []*mConv {
	var q []*mConv
	for _, c := range m.convs {
		if c.state == wire.Queued {
			q = append(q, c)
		}
	}
	slices.SortFunc(q, func(a, b *mConv) int {
		if a.head != b.head {
			if a.head {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	return q
}

func (m *model) give(c *mConv, a *mAgent, by string) {
	if c.state == wire.Assigned {
		m.byID[c.agent].active--
	}
	c.state, c.agent, c.head = wire.Assigned, a.id, false
	a.active++
	a.last = m.clock
	m.open[c.customer] = c.id
	m.assigned.add(c.id)
	m.ended.remove(c.id)
	m.assigns = append(m.assigns, assignment{c.id, a.id, by})
}

func (m *model) requeue(c *mConv) {
	m.byID[c.agent].active--
	c.state, c.agent, c.head = wire.Queued, 0, true
	m.assigned.remove(c.id)
}

// autoAssign is rule 3: the oldest queued conversations to eligible agents — online, below
// their limit — fewest active first, ties to the one who waited longest since their last
// assignment; within one round an agent just given one counts as assigned after all others.
func (m *model) autoAssign() {
	if !m.set.AutoAssign {
		return
	}
	type ranked struct {
		*mAgent
		round int
	}
	var pool []*ranked
	for _, a := range m.agents {
		if a.presence == wire.Online && a.active < m.limitOf(a) {
			pool = append(pool, &ranked{mAgent: a})
		}
	}
	better := func(x, y *ranked) bool {
		switch {
		case x.active != y.active:
			return x.active < y.active
		case (x.round == 0) != (y.round == 0):
			return x.round == 0
		case x.round != y.round:
			return x.round < y.round
		case x.last != y.last:
			return x.last < y.last
		}
		return x.id < y.id
	}
	rounds := 0
	for _, c := range m.queue() {
		if len(pool) == 0 {
			return
		}
		best := 0
		for i := range pool {
			if better(pool[i], pool[best]) {
				best = i
			}
		}
		a := pool[best]
		m.give(c, a.mAgent, "auto")
		rounds++
		a.round = rounds
		if a.active >= m.limitOf(a.mAgent) {
			pool = slices.Delete(pool, best, best+1)
		}
	}
}

// failOffer ends a pending offer without a transfer; when requeueIfAway and the sender is no
// longer online, the conversation goes to the head of the queue (rule 8).
func (m *model) failOffer(o *mOffer, state wire.OfferState, requeueIfAway bool) {
	o.state = state
	m.pending.remove(o.id)
	c := m.convs[o.conv]
	c.offer = 0
	if requeueIfAway && m.byID[o.from].presence != wire.Online {
		m.requeue(c)
	}
}

func (m *model) setPresence(a *mAgent, p wire.Presence, reason string) {
	if p != wire.Break {
		reason = ""
	}
	if a.presence == p && a.reason == reason {
		return
	}
	a.presence, a.reason = p, reason
	if p != wire.Online {
		for _, o := range m.offersTo(a.id) {
			m.failOffer(o, wire.OfferWithdrawn, true)
		}
	}
	if p == wire.Offline && m.set.RequeueOnOffline {
		for _, c := range m.heldBy(a.id) {
			if c.offer == 0 { // an offer out: it decides
				m.requeue(c)
			}
		}
	}
}

func (m *model) offersTo(agent int64) []*mOffer {
	var out []*mOffer
	for _, id := range m.pending.ids {
		if o := m.offers[id]; o.to == agent {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *mOffer) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (m *model) heldBy(agent int64) []*mConv {
	var out []*mConv
	for _, id := range m.assigned.ids {
		if c := m.convs[id]; c.agent == agent {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *mConv) int { return cmp.Compare(a.id, b.id) })
	return out
}

func presenceCode(p wire.Presence, self bool) wire.Code {
	switch {
	case p == wire.Break:
		return wire.CodeAgentOnBreak
	case self:
		return wire.CodeNotOnline
	}
	return wire.CodeAgentOffline
}

// holderCheck is who may act on a held conversation (rules 5, 8, 9).
func holderCheck(c *mConv, agent int64) wire.Code {
	switch {
	case c.state == wire.Ended:
		return wire.CodeConversationEnded
	case c.state == wire.Queued:
		return wire.CodeNotAssigned
	case c.agent != agent:
		return wire.CodeNotHolder
	}
	return ""
}

// ---- Operations: each predicts its answer from the model, sends it, compares, applies. ----

type run struct {
	t        *testing.T
	c        *cluster
	r        *rand.Rand
	m        *model
	admin    *client
	agents   []*modelAgent
	reason   int64
	ops      int
	n        int // operations done
	stats    map[string]int
	markers  int   // settings.changed events every stream has seen
	marker   int64 // the newest marker's sequence number
	replayed int64 // the marker the streams were last replayed up to
	touched  bool  // the previous operation stamped an assignment time: the next must come a millisecond later
	lastAt   int64 // unix ms of the previous answer
}

// modelAgent is an agent as the test drives them: their login and their app's live stream,
// and what that stream told them.
type modelAgent struct {
	*client
	m      *mAgent
	node   *node
	s      *stream
	mu     sync.Mutex
	seqs   []int64 // every event delivered, across reconnections
	held   map[int64]bool
	offers map[int64]bool // pending offers to or from them, as their stream says
	marks  []int64        // settings.changed sequence numbers
	start  int64          // the head when their first stream opened: what they were sent starts after it
	setup  int64          // the log's head once every agent was created: the run's settings changes come after it
	bad    string         // the first broken promise of the stream seen
}

func (a *modelAgent) apply(e wire.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.seqs); n > 0 && e.Seq <= a.seqs[n-1] && a.bad == "" {
		a.bad = fmt.Sprintf("event %d delivered after event %d", e.Seq, a.seqs[n-1])
	}
	a.seqs = append(a.seqs, e.Seq)
	switch e.Type {
	case wire.EventSettingsChanged:
		if e.Seq > a.setup {
			a.marks = append(a.marks, e.Seq)
		}
	case wire.EventTransferOffered, wire.EventTransferResolved:
		var d wire.OfferData
		json.Unmarshal(e.Data, &d)
		if d.Offer.State == wire.OfferPending {
			a.offers[d.Offer.ID] = true
		} else {
			delete(a.offers, d.Offer.ID)
		}
	case wire.EventConversationAssigned, wire.EventConversationQueued, wire.EventConversationUpdated, wire.EventConversationEnded:
		var d struct {
			Conversation wire.Conversation `json:"conversation"`
		}
		json.Unmarshal(e.Data, &d)
		c := d.Conversation
		if c.State == wire.Assigned && c.AgentID != nil && *c.AgentID == a.m.id {
			a.held[c.ID] = true
		} else {
			delete(a.held, c.ID)
		}
	}
}

func (a *modelAgent) connect(n *node) {
	a.t.Helper()
	after := int64(-1)
	a.mu.Lock()
	if k := len(a.seqs); k > 0 {
		after = a.seqs[k-1]
	} else if a.s != nil {
		after = a.s.last()
	}
	a.mu.Unlock()
	s, err := a.streamTo(n, after, a.apply)
	if err != nil {
		a.t.Fatalf("%s's app cannot connect to %s: %v", a.m.name, n.name, err)
	}
	a.node, a.s = n, s
}

func modelOps() int {
	if v, err := strconv.Atoi(os.Getenv("SANTRAL_MODEL_OPS")); err == nil && v > 0 {
		return v
	}
	if raceEnabled {
		return 10_000
	}
	return 100_000
}

func TestRulesAgainstAModelOverThreeNodes(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("SANTRAL_MODEL_SEED"), 10, 64); err == nil {
		seed = v
	}
	ops := modelOps()
	t.Logf("seed %d, %d operations (SANTRAL_MODEL_SEED=%d replays this run)", seed, ops, seed)
	defer func() {
		if t.Failed() {
			t.Logf("seed %d failed: SANTRAL_MODEL_SEED=%d SANTRAL_MODEL_OPS=%d reproduces it", seed, seed, ops)
		}
	}()
	c := newCluster(t, options{sweep: 100 * time.Millisecond, streamPoll: 50 * time.Millisecond, asyncPG: true})
	rn := &run{t: t, c: c, r: rand.New(rand.NewPCG(seed, seed^0x5eed)), ops: ops, stats: map[string]int{}}
	rn.admin = c.admin(c.nodes[0])
	var reason wire.EndReason
	rn.admin.must("POST", "/api/v1/end-reasons", wire.EndReasonRequest{Label: "Çözüldü"}, &reason, http.StatusCreated)
	rn.reason = reason.ID
	// Offers and grace periods run out only when the test says so (they are moved closer).
	set := rn.admin.settings(func(s *wire.Settings) {
		*s = wire.Settings{AutoAssign: true, DefaultLimit: 2, OfferTimeoutSeconds: 3600, OfflineGraceSeconds: 3600, RequeueOnOffline: true}
	})
	rn.m = newModel(set)
	const agents = 10
	for i := range agents {
		var lim *int
		if i%3 == 1 {
			lim = limit(1 + i%4)
		}
		n := c.nodes[i%3]
		name := fmt.Sprintf("agent%02d", i)
		cl := c.agent(rn.admin, n, name, lim)
		ma := &mAgent{id: cl.user.ID, name: name, presence: wire.Offline, autoLimit: lim}
		rn.m.agents = append(rn.m.agents, ma)
		rn.m.byID[ma.id] = ma
		a := &modelAgent{client: cl, m: ma, held: map[int64]bool{}, offers: map[int64]bool{}}
		a.connect(n)
		a.start = a.s.hello.Head
		rn.agents = append(rn.agents, a)
	}
	var setup int64
	if err := c.db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&setup); err != nil {
		t.Fatal(err)
	}
	for _, a := range rn.agents {
		a.mu.Lock()
		a.setup = setup
		a.marks = slices.DeleteFunc(a.marks, func(s int64) bool { return s <= setup })
		a.mu.Unlock()
	}
	checkEvery, replayEvery := 500, 2000
	began, selfBefore := time.Now(), selfCPU()
	var nodesBefore time.Duration
	for _, n := range c.nodes {
		nodesBefore += n.cpu()
	}
	for rn.n = 1; rn.n <= ops; rn.n++ {
		rn.step()
		if t.Failed() {
			return
		}
		if rn.n%checkEvery == 0 || rn.n == ops {
			rn.checkpoint(rn.n%replayEvery == 0 || rn.n == ops)
			if t.Failed() {
				return
			}
		}
	}
	var nodesCPU time.Duration
	for _, n := range c.nodes {
		nodesCPU += n.cpu()
	}
	took := time.Since(began)
	t.Logf("%d operations in %s (%.2f ms each); processor time per operation: santrald (3 nodes) %.2f ms, this test %.2f ms",
		ops, took.Round(time.Second), float64(took.Microseconds())/1000/float64(ops),
		float64((nodesCPU-nodesBefore).Microseconds())/1000/float64(ops), float64((selfCPU()-selfBefore).Microseconds())/1000/float64(ops))
	var keys []string
	for k := range rn.stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %-40s %d", k, rn.stats[k])
	}
	t.Logf("outcomes:%s", b.String())
}

// step generates one operation and checks it.
func (rn *run) step() {
	rn.m.clock = int64(rn.n)
	rn.m.assigns = nil
	if rn.touched {
		// Assignment times are milliseconds; ties between two agents are broken by id. The model
		// orders operations, so the next decision must be stamped at a later millisecond than the
		// previous answer arrived (a wait of under a millisecond on the shared clock of this
		// machine; it orders time, it synchronises nothing).
		for time.Now().UnixMilli() <= rn.lastAt {
		}
	}
	w := rn.r.IntN(1000)
	switch {
	case w < 220:
		rn.customerWrites()
	case w < 360:
		rn.presence()
	case w < 500:
		rn.pull()
	case w < 600:
		rn.transfer()
	case w < 680:
		rn.accept()
	case w < 720:
		rn.resolve("reject")
	case w < 740:
		rn.resolve("cancel")
	case w < 860:
		rn.end()
	case w < 920:
		rn.takeUp()
	case w < 935:
		rn.changeSettings()
	case w < 950:
		rn.changeLimits()
	case w < 960:
		rn.offerTimesOut()
	case w < 965:
		rn.graceRunsOut()
	default:
		rn.moveStream()
	}
	rn.lastAt = time.Now().UnixMilli()
	rn.touched = len(rn.m.assigns) > 0
}

func (rn *run) node() *node { return rn.c.nodes[rn.r.IntN(3)] }

func (rn *run) agent() *modelAgent { return rn.agents[rn.r.IntN(len(rn.agents))] }

func (rn *run) agentByID(id int64) *modelAgent {
	for _, a := range rn.agents {
		if a.m.id == id {
			return a
		}
	}
	return nil
}

// expect compares an answer with the model's prediction ("" is success).
func (rn *run) expect(op string, want wire.Code, status int, got wire.Code, err error) bool {
	rn.t.Helper()
	if err != nil {
		rn.t.Fatalf("op %d %s: %v", rn.n, op, err)
	}
	if got != want || (want == "" && status >= 300) {
		rn.t.Fatalf("op %d %s: the server answered %d %q, the rules say %q", rn.n, op, status, got, orOK(want))
	}
	rn.stats[strings.Fields(op)[0]+" "+string(orOK(want))]++
	return want == ""
}

func orOK(c wire.Code) wire.Code {
	if c == "" {
		return "ok"
	}
	return c
}

func (rn *run) customerWrites() {
	cust := fmt.Sprintf("9053%06d", rn.r.IntN(36))
	n := rn.node()
	var res wire.SandboxInboundResult
	status, code, err := rn.c.anon(n).try("POST", "/sandbox/messages",
		wire.SandboxInbound{SenderID: cust, Name: "Müşteri", MessageID: fmt.Sprintf("op-%d", rn.n), Text: "Merhaba"}, &res)
	op := "message from " + cust + " on " + n.name
	rn.expect(op, "", status, code, err)
	m := rn.m
	if id, open := m.open[cust]; open {
		if res.ConversationID != id {
			rn.t.Fatalf("op %d %s: went into conversation %d, the customer's open one is %d", rn.n, op, res.ConversationID, id)
		}
		return
	}
	if _, known := m.convs[res.ConversationID]; known || res.Duplicate {
		rn.t.Fatalf("op %d %s: a customer without an open conversation wrote into conversation %d", rn.n, op, res.ConversationID)
	}
	m.convs[res.ConversationID] = &mConv{id: res.ConversationID, customer: cust, state: wire.Queued}
	m.open[cust] = res.ConversationID
	m.autoAssign()
}

func (rn *run) presence() {
	a := rn.agent()
	var p wire.Presence
	reason := ""
	switch w := rn.r.IntN(100); {
	case w < 55:
		p = wire.Online
	case w < 80:
		p = wire.Break
		if rn.r.IntN(2) == 0 {
			reason = "çay"
		}
	default:
		p = wire.Offline
	}
	n := rn.node()
	var u wire.User
	status, code, err := a.on(n).try("PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: p, Reason: reason}, &u)
	rn.expect(fmt.Sprintf("presence %s %s on %s", a.m.name, p, n.name), "", status, code, err)
	rn.m.setPresence(a.m, p, reason)
	rn.m.autoAssign()
	if u.Presence != p {
		rn.t.Fatalf("op %d: %s set %s and was answered %s", rn.n, a.m.name, p, u.Presence)
	}
}

func (rn *run) pull() {
	a := rn.agent()
	m := rn.m
	var want wire.Code
	var head *mConv
	switch q := m.queue(); {
	case a.m.presence != wire.Online:
		want = presenceCode(a.m.presence, true)
	case m.capOf(a.m) > 0 && a.m.active >= m.capOf(a.m):
		want = wire.CodeHardCapReached
	case len(q) == 0:
		want = wire.CodeQueueEmpty
	default:
		head = q[0]
	}
	n := rn.node()
	var conv wire.Conversation
	status, code, err := a.on(n).try("POST", "/api/v1/queue/pull", nil, &conv)
	op := fmt.Sprintf("pull by %s on %s", a.m.name, n.name)
	if !rn.expect(op, want, status, code, err) {
		return
	}
	if conv.ID != head.id || conv.AgentID == nil || *conv.AgentID != a.m.id {
		rn.t.Fatalf("op %d %s: took conversation %d (holder %v), the head of the queue is %d", rn.n, op, conv.ID, conv.AgentID, head.id)
	}
	m.give(head, a.m, "pull")
	m.autoAssign()
}

func (rn *run) transfer() {
	m := rn.m
	var from *modelAgent
	var conv *mConv
	if id, ok := m.assigned.pick(rn.r); ok && rn.r.IntN(10) < 8 {
		conv = m.convs[id]
		from = rn.agentByID(conv.agent)
	} else {
		from = rn.agent()
		id, ok := rn.anyConv()
		if !ok {
			return
		}
		conv = m.convs[id]
	}
	to := rn.agent()
	var want wire.Code
	switch {
	case to == from:
		want = wire.CodeTransferToSelf
	case holderCheck(conv, from.m.id) != "":
		want = holderCheck(conv, from.m.id)
	case from.m.presence != wire.Online:
		want = presenceCode(from.m.presence, true)
	case to.m.presence != wire.Online:
		want = presenceCode(to.m.presence, false)
	case conv.offer != 0:
		want = wire.CodeTransferPending
	}
	n := rn.node()
	var o wire.TransferOffer
	status, code, err := from.on(n).try("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", conv.id), wire.TransferRequest{ToAgentID: to.m.id, Note: "devral"}, &o)
	op := fmt.Sprintf("transfer of %d by %s to %s on %s", conv.id, from.m.name, to.m.name, n.name)
	if !rn.expect(op, want, status, code, err) {
		return
	}
	if o.ConversationID != conv.id || o.FromAgentID != from.m.id || o.ToAgentID != to.m.id || o.State != wire.OfferPending || m.offers[o.ID] != nil {
		rn.t.Fatalf("op %d %s: answered with offer %+v", rn.n, op, o)
	}
	m.offers[o.ID] = &mOffer{id: o.ID, conv: conv.id, from: from.m.id, to: to.m.id, state: wire.OfferPending}
	m.pending.add(o.ID)
	conv.offer = o.ID
	m.autoAssign()
}

// anyConv picks any conversation there has been.
func (rn *run) anyConv() (int64, bool) {
	switch rn.r.IntN(2) {
	case 0:
		if id, ok := rn.m.assigned.pick(rn.r); ok {
			return id, true
		}
	}
	if id, ok := rn.m.ended.pick(rn.r); ok {
		return id, true
	}
	for _, c := range rn.m.queue() {
		return c.id, true
	}
	return 0, false
}

// anyOffer picks a pending offer most of the time, else any offer there has been.
func (rn *run) anyOffer() (*mOffer, bool) {
	if id, ok := rn.m.pending.pick(rn.r); ok && rn.r.IntN(10) < 8 {
		return rn.m.offers[id], true
	}
	if len(rn.m.offers) == 0 {
		return nil, false
	}
	// Offers are numbered from 1 on a new database.
	for range 10 {
		if o := rn.m.offers[1+rn.r.Int64N(int64(len(rn.m.offers)))]; o != nil {
			return o, true
		}
	}
	return nil, false
}

func offerCheck(o *mOffer, agent, party int64) wire.Code {
	switch {
	case party != agent:
		return wire.CodeForbidden
	case o.state != wire.OfferPending:
		return wire.CodeOfferNotPending
	}
	return ""
}

func (rn *run) accept() {
	o, ok := rn.anyOffer()
	if !ok {
		return
	}
	a := rn.agentByID(o.to)
	if rn.r.IntN(10) == 0 {
		a = rn.agent()
	}
	m := rn.m
	want := offerCheck(o, a.m.id, o.to)
	if want == "" && a.m.presence != wire.Online {
		want = presenceCode(a.m.presence, true)
	}
	n := rn.node()
	var conv wire.Conversation
	status, code, err := a.on(n).try("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.id), nil, &conv)
	op := fmt.Sprintf("accept of offer %d by %s on %s", o.id, a.m.name, n.name)
	if !rn.expect(op, want, status, code, err) {
		return
	}
	if conv.ID != o.conv || conv.AgentID == nil || *conv.AgentID != a.m.id {
		rn.t.Fatalf("op %d %s: answered with conversation %d held by %v", rn.n, op, conv.ID, conv.AgentID)
	}
	o.state = wire.OfferAccepted
	m.pending.remove(o.id)
	c := m.convs[o.conv]
	c.offer = 0
	m.give(c, a.m, "transfer")
	m.autoAssign()
}

func (rn *run) resolve(how string) {
	o, ok := rn.anyOffer()
	if !ok {
		return
	}
	party := o.to
	state := wire.OfferRejected
	if how == "cancel" {
		party, state = o.from, wire.OfferCancelled
	}
	a := rn.agentByID(party)
	if rn.r.IntN(10) == 0 {
		a = rn.agent()
	}
	n := rn.node()
	var got wire.TransferOffer
	status, code, err := a.on(n).try("POST", fmt.Sprintf("/api/v1/transfers/%d/%s", o.id, how), nil, &got)
	op := fmt.Sprintf("%s of offer %d by %s on %s", how, o.id, a.m.name, n.name)
	if !rn.expect(op, offerCheck(o, a.m.id, party), status, code, err) {
		return
	}
	if got.State != state {
		rn.t.Fatalf("op %d %s: the offer is %s", rn.n, op, got.State)
	}
	rn.m.failOffer(o, state, true)
	rn.m.autoAssign()
}

func (rn *run) end() {
	m := rn.m
	var actor *client
	var holder int64
	var conv *mConv
	switch w := rn.r.IntN(10); {
	case w < 7:
		id, ok := m.assigned.pick(rn.r)
		if !ok {
			return
		}
		conv = m.convs[id]
		a := rn.agentByID(conv.agent)
		actor, holder = a.client, a.m.id
	default:
		id, ok := rn.anyConv()
		if !ok {
			return
		}
		conv = m.convs[id]
		if w == 7 {
			actor, holder = rn.admin, conv.agent // staff end whoever holds it
		} else {
			a := rn.agent()
			actor, holder = a.client, a.m.id
		}
	}
	reason := rn.reason
	if rn.r.IntN(50) == 0 {
		reason = 0
	}
	want := holderCheck(conv, holder)
	if reason == 0 {
		want = wire.CodeEndReasonRequired
	}
	n := rn.node()
	var got wire.Conversation
	status, code, err := actor.on(n).try("POST", fmt.Sprintf("/api/v1/conversations/%d/end", conv.id), wire.EndRequest{EndReasonID: reason}, &got)
	op := fmt.Sprintf("end of %d by %s on %s", conv.id, actor.user.Username, n.name)
	if !rn.expect(op, want, status, code, err) {
		return
	}
	if got.State != wire.Ended {
		rn.t.Fatalf("op %d %s: answered %s", rn.n, op, got.State)
	}
	if conv.offer != 0 {
		m.failOffer(m.offers[conv.offer], wire.OfferWithdrawn, false)
	}
	m.byID[conv.agent].active--
	conv.state, conv.agent = wire.Ended, 0
	m.assigned.remove(conv.id)
	m.ended.add(conv.id)
	delete(m.open, conv.customer)
	m.autoAssign()
}

func (rn *run) takeUp() {
	m := rn.m
	id, ok := m.ended.pick(rn.r)
	if !ok || rn.r.IntN(10) == 0 {
		if id, ok = rn.anyConv(); !ok {
			return
		}
	}
	conv := m.convs[id]
	a := rn.agent()
	var want wire.Code
	_, hasOpen := m.open[conv.customer]
	switch {
	case a.m.presence != wire.Online:
		want = presenceCode(a.m.presence, true)
	case conv.state != wire.Ended:
		want = wire.CodeConversationNotEnded
	case hasOpen:
		want = wire.CodeContactHasOpen
	}
	n := rn.node()
	var got wire.Conversation
	status, code, err := a.on(n).try("POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", conv.id), nil, &got)
	op := fmt.Sprintf("take-up of %d by %s on %s", conv.id, a.m.name, n.name)
	if !rn.expect(op, want, status, code, err) {
		return
	}
	if got.ID != conv.id || got.State != wire.Assigned || got.AgentID == nil || *got.AgentID != a.m.id {
		rn.t.Fatalf("op %d %s: answered %+v", rn.n, op, got)
	}
	m.give(conv, a.m, "take_up")
	m.autoAssign()
}

func (rn *run) changeSettings() {
	set := rn.m.set
	set.AutoAssign = rn.r.IntN(8) != 0
	set.DefaultLimit = rn.r.IntN(5)
	set.HardCap = []int{0, 0, 2, 3, 5}[rn.r.IntN(5)]
	set.RequeueOnOffline = rn.r.IntN(6) != 0
	rn.putSettings(set)
}

func (rn *run) putSettings(set wire.Settings) {
	n := rn.node()
	status, code, err := rn.admin.on(n).try("PUT", "/api/v1/settings", set, nil)
	rn.expect("settings on "+n.name, "", status, code, err)
	rn.markers++ // every stream carries every settings change
	rn.m.set = set
	rn.m.autoAssign()
}

func (rn *run) changeLimits() {
	a := rn.agent()
	var req wire.UserRequest
	if rn.r.IntN(3) == 0 {
		req.ClearAutoLimit = true
	} else {
		req.AutoLimit = limit(rn.r.IntN(5))
	}
	switch rn.r.IntN(3) {
	case 0:
		req.ClearHardCap = true
	case 1:
		req.HardCap = limit(1 + rn.r.IntN(4))
	}
	n := rn.node()
	status, code, err := rn.admin.on(n).try("PATCH", fmt.Sprintf("/api/v1/users/%d", a.m.id), req, nil)
	rn.expect(fmt.Sprintf("limits of %s on %s", a.m.name, n.name), "", status, code, err)
	switch {
	case req.ClearAutoLimit:
		a.m.autoLimit = nil
	case req.AutoLimit != nil:
		a.m.autoLimit = req.AutoLimit
	}
	switch {
	case req.ClearHardCap:
		a.m.hardCap = nil
	case req.HardCap != nil:
		a.m.hardCap = req.HardCap
	}
	rn.m.autoAssign()
}

// offerTimesOut lets a pending offer's two minutes pass: its deadline is moved to the past,
// and whichever node's sweep comes first expires it (rule 8: "no answer within the offer
// timeout").
func (rn *run) offerTimesOut() {
	id, ok := rn.m.pending.pick(rn.r)
	if !ok {
		return
	}
	if _, err := rn.c.db.Exec(`UPDATE transfer_offers SET expires_at = 1 WHERE id = $1 AND state = 'pending'`, id); err != nil {
		rn.t.Fatal(err)
	}
	eventually(rn.t, 30*time.Second, fmt.Sprintf("offer %d to expire", id), func() bool {
		var o wire.TransferOffer
		rn.admin.on(rn.node()).must("GET", fmt.Sprintf("/api/v1/transfers/%d", id), nil, &o, http.StatusOK)
		return o.State != wire.OfferPending
	})
	var o wire.TransferOffer
	rn.admin.must("GET", fmt.Sprintf("/api/v1/transfers/%d", id), nil, &o, http.StatusOK)
	if o.State != wire.OfferExpired {
		rn.t.Fatalf("op %d: offer %d past its deadline is %s, want expired", rn.n, id, o.State)
	}
	rn.stats["offer timeout"]++
	rn.m.failOffer(rn.m.offers[id], wire.OfferExpired, true)
	rn.m.autoAssign()
}

// graceRunsOut closes an agent's app and lets the grace period pass: whichever node's sweep
// comes first takes them offline (rule 1). The app then comes back on another node (the agent
// still offline until they go online).
func (rn *run) graceRunsOut() {
	a := rn.agent()
	if a.m.presence == wire.Offline {
		return
	}
	a.s.close()
	eventually(rn.t, 30*time.Second, a.m.name+"'s disconnection to be recorded", func() bool {
		var deadline int64
		rn.c.db.QueryRow(`SELECT offline_deadline FROM users WHERE id = $1`, a.m.id).Scan(&deadline)
		return deadline > 0
	})
	if _, err := rn.c.db.Exec(`UPDATE users SET offline_deadline = 1 WHERE id = $1 AND offline_deadline > 0`, a.m.id); err != nil {
		rn.t.Fatal(err)
	}
	eventually(rn.t, 30*time.Second, a.m.name+" to go offline", func() bool {
		var p string
		rn.c.db.QueryRow(`SELECT presence FROM users WHERE id = $1`, a.m.id).Scan(&p)
		return p == string(wire.Offline)
	})
	rn.stats["grace runs out"]++
	rn.m.setPresence(a.m, wire.Offline, "")
	rn.m.autoAssign()
	a.connect(rn.otherNode(a.node))
}

func (rn *run) otherNode(n *node) *node {
	for {
		if o := rn.node(); o != n {
			return o
		}
	}
}

// moveStream: an agent's app loses its connection and reconnects to another node, resuming
// from its cursor.
func (rn *run) moveStream() {
	a := rn.agent()
	a.s.close()
	a.connect(rn.otherNode(a.node))
	rn.stats["stream moved"]++
}

// ---- Checkpoints: the whole state, and every agent's stream. ----

func (rn *run) checkpoint(replay bool) {
	t, m := rn.t, rn.m
	t.Helper()
	// A settings change every stream must carry marks how far each has read.
	rn.putSettings(m.set)
	n := rn.node()

	var users []wire.User
	rn.admin.on(n).must("GET", "/api/v1/users", nil, &users, http.StatusOK)
	got := map[int64]wire.User{}
	for _, u := range users {
		got[u.ID] = u
	}
	for _, a := range m.agents {
		u := got[a.id]
		if u.Presence != a.presence || u.PresenceReason != a.reason || u.Active != a.active {
			t.Fatalf("after op %d: %s is %s (%q) holding %d, the rules say %s (%q) holding %d", rn.n, a.name,
				u.Presence, u.PresenceReason, u.Active, a.presence, a.reason, a.active)
		}
		for _, b := range m.agents {
			ub := got[b.id]
			if cmp.Compare(a.last, b.last) != cmp.Compare(u.LastAssignedAt, ub.LastAssignedAt) || (a.last == 0) != (u.LastAssignedAt == 0) {
				t.Fatalf("after op %d: %s was last assigned at %d and %s at %d; in the rules' order %d and %d", rn.n,
					a.name, u.LastAssignedAt, b.name, ub.LastAssignedAt, a.last, b.last)
			}
		}
	}
	var queue []int64
	for _, c := range m.queue() {
		queue = append(queue, c.id)
	}
	if q := ids(rn.admin.on(n).queue()); !slices.Equal(sortedCopy(queue), q) {
		t.Fatalf("after op %d: the queue holds %v, the rules say %v", rn.n, q, queue)
	}
	var order []int64
	for _, c := range rn.admin.on(n).queue() {
		order = append(order, c.ID)
	}
	if !slices.Equal(order, queue) {
		t.Fatalf("after op %d: the queue is served in the order %v, the rules say %v", rn.n, order, queue)
	}
	var offers []wire.TransferOffer
	rn.admin.on(n).must("GET", "/api/v1/transfers", nil, &offers, http.StatusOK)
	if len(offers) != len(m.pending.ids) {
		t.Fatalf("after op %d: %d pending offers, the rules say %d", rn.n, len(offers), len(m.pending.ids))
	}
	for _, o := range offers {
		mo := m.offers[o.ID]
		if mo == nil || mo.state != wire.OfferPending || mo.conv != o.ConversationID || mo.from != o.FromAgentID || mo.to != o.ToAgentID {
			t.Fatalf("after op %d: offer %+v is pending; the rules say %+v", rn.n, o, mo)
		}
	}
	holders := map[int64]string{}
	for _, a := range rn.agents {
		mine := ids(a.on(rn.node()).mine())
		var want []int64
		for _, c := range m.heldBy(a.m.id) {
			want = append(want, c.id)
		}
		if !slices.Equal(mine, want) {
			t.Fatalf("after op %d: %s's list holds %v, the rules say %v", rn.n, a.m.name, mine, want)
		}
		for _, id := range mine {
			if other, ok := holders[id]; ok {
				t.Fatalf("after op %d: conversation %d is in the lists of %s and %s", rn.n, id, other, a.m.name)
			}
			holders[id] = a.m.name
		}
		if a.m.presence == wire.Online && m.set.AutoAssign && a.m.active < m.limitOf(a.m) && len(queue) > 0 {
			t.Fatalf("after op %d: %s is online below their limit (%d of %d) while %d customers wait", rn.n, a.m.name, a.m.active, m.limitOf(a.m), len(queue))
		}
	}

	// Every stream reaches the marker and agrees with the model; the same stretch replayed
	// from the log on another node is exactly what the live streams delivered.
	for _, a := range rn.agents {
		var mark int64
		deadline := time.Now().Add(30 * time.Second)
		for {
			a.mu.Lock()
			if len(a.marks) >= rn.markers {
				mark = a.marks[rn.markers-1]
			}
			bad := a.bad
			a.mu.Unlock()
			if bad != "" {
				t.Fatalf("after op %d: %s's stream: %s", rn.n, a.m.name, bad)
			}
			if mark > 0 {
				break
			}
			if err := a.s.failed(); err != nil {
				t.Fatalf("after op %d: %s's stream on %s closed: %v", rn.n, a.m.name, a.node.name, err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("after op %d: %s's stream on %s did not deliver the settings change within 30s", rn.n, a.m.name, a.node.name)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if a == rn.agents[0] {
			rn.marker = mark
		} else if mark != rn.marker {
			for _, b := range rn.agents {
				b.mu.Lock()
				t.Logf("%s: %d settings changes seen, the last ones %v (the test made %d)", b.m.name, len(b.marks), b.marks[max(0, len(b.marks)-4):], rn.markers)
				b.mu.Unlock()
			}
			rows, _ := rn.c.db.Query(`SELECT seq FROM events WHERE type = 'settings.changed' ORDER BY seq`)
			var all []int64
			for rows.Next() {
				var s int64
				rows.Scan(&s)
				all = append(all, s)
			}
			rows.Close()
			t.Logf("the log's settings changes: %v", all)
			t.Fatalf("after op %d: the same settings change is event %d on %s's stream and %d on another's", rn.n, mark, a.m.name, rn.marker)
		}
		a.mu.Lock()
		var held, offered []int64
		for id := range a.held {
			held = append(held, id)
		}
		for id := range a.offers {
			offered = append(offered, id)
		}
		a.mu.Unlock()
		slices.Sort(held)
		slices.Sort(offered)
		var wantHeld, wantOffers []int64
		for _, c := range m.heldBy(a.m.id) {
			wantHeld = append(wantHeld, c.id)
		}
		for _, id := range m.pending.ids {
			if o := m.offers[id]; o.from == a.m.id || o.to == a.m.id {
				wantOffers = append(wantOffers, id)
			}
		}
		slices.Sort(wantOffers)
		if !slices.Equal(held, wantHeld) {
			for _, id := range symmetricDifference(held, wantHeld) {
				rn.explain(id, a)
			}
			t.Fatalf("after op %d: %s's stream says they hold %v, the rules say %v", rn.n, a.m.name, held, wantHeld)
		}
		if !slices.Equal(offered, wantOffers) {
			t.Fatalf("after op %d: %s's stream shows pending offers %v, the rules say %v", rn.n, a.m.name, offered, wantOffers)
		}
	}
	if replay {
		prev := rn.replayed
		rn.replayed = rn.marker
		for _, a := range rn.agents {
			a.mu.Lock()
			from := max(prev, a.start)
			var live []int64
			for _, s := range a.seqs {
				if s > from && s <= rn.marker {
					live = append(live, s)
				}
			}
			a.mu.Unlock()
			var again []int64
			for _, e := range a.replay(rn.otherNode(a.node), from, rn.marker) {
				again = append(again, e.Seq)
			}
			if !slices.Equal(live, again) {
				t.Fatalf("after op %d: %s's stream delivered %d events after %d up to %d; the log replayed holds %d: %s", rn.n,
					a.m.name, len(live), from, rn.marker, len(again), firstDifference(live, again))
			}
		}
		rn.stats["stream stretches replayed"] += len(rn.agents)
	}
}

func sortedCopy(s []int64) []int64 {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func firstDifference(a, b []int64) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at position %d the stream had %d, the replay %d", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("one is a prefix of the other (%d and %d events)", len(a), len(b))
}

func symmetricDifference(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	return out
}

// explain logs what the database holds about a conversation: its timeline and its events with
// their audiences, and which of them the agent's stream delivered.
func (rn *run) explain(convID int64, a *modelAgent) {
	rows, err := rn.c.db.Query(`SELECT at, kind, COALESCE(actor_id, 0), data FROM timeline WHERE conversation_id = $1 ORDER BY id`, convID)
	if err == nil {
		for rows.Next() {
			var at, actor int64
			var kind, data string
			rows.Scan(&at, &kind, &actor, &data)
			rn.t.Logf("conversation %d timeline: %d %s by %d %s", convID, at, kind, actor, data)
		}
		rows.Close()
	}
	a.mu.Lock()
	got := map[int64]bool{}
	for _, s := range a.seqs {
		got[s] = true
	}
	a.mu.Unlock()
	rows, err = rn.c.db.Query(`SELECT seq, type, audience, data FROM events WHERE conversation_id = $1 ORDER BY seq`, convID)
	if err == nil {
		for rows.Next() {
			var seq int64
			var typ, audience, data string
			rows.Scan(&seq, &typ, &audience, &data)
			rn.t.Logf("conversation %d event %d %s to %q (delivered to %s: %v): %.200s", convID, seq, typ, audience, a.m.name, got[seq], data)
		}
		rows.Close()
	}
}
