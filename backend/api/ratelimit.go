package api

// Abuse limits on the doors the open internet reaches: login and the website chat's session,
// socket, upload and files. Requests are counted per client address (the TCP peer, or the
// X-Forwarded-For entry a trusted proxy added) and per identity (username, visitor). The exact
// figures are in the README ("Limits"); they are per santrald process.

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"santral/backend/ratelimit"
	"santral/backend/wire"
)

// maxKeys bounds every limiter's memory: past it, the least recently seen key is forgotten.
const maxKeys = 10_000

// The doors' rates: a burst, then one request per interval, per client address.
var (
	loginRate   = rate{burst: 30, every: 2 * time.Second}
	sessionRate = rate{burst: 20, every: 10 * time.Second}
	socketRate  = rate{burst: 30, every: 2 * time.Second}
	uploadRate  = rate{burst: 20, every: 6 * time.Second}
	filesRate   = rate{burst: 120, every: 500 * time.Millisecond}
	// A visitor's messages on the socket, per visitor.
	visitorMessageRate = rate{burst: 20, every: time.Second}
)

// Open visitor sockets: several tabs of one visitor, many visitors behind one address (an
// office, a mobile carrier's NAT).
const (
	socketsPerVisitor = 5
	socketsPerAddress = 50
)

type rate struct {
	burst int
	every time.Duration
}

func (r rate) limiter() *ratelimit.Limiter { return ratelimit.NewLimiter(r.burst, r.every, maxKeys) }

// limits are the API's counters, one set per process.
type limits struct {
	login, session, socket, upload, files, visitorMessages *ratelimit.Limiter
	sockets                                                *ratelimit.Counter
	logins                                                 *loginGuard
}

func newLimits() *limits {
	return &limits{login: loginRate.limiter(), session: sessionRate.limiter(), socket: socketRate.limiter(),
		upload: uploadRate.limiter(), files: filesRate.limiter(), visitorMessages: visitorMessageRate.limiter(),
		sockets: ratelimit.NewCounter(), logins: newLoginGuard()}
}

// perAddress refuses a client address's requests past l's rate with 429 rate_limited.
func (a *API) perAddress(l *ratelimit.Limiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ok, wait := l.Allow(a.clientAddr(r)); !ok {
				a.writeError(w, r, retryLater(w, wire.CodeRateLimited, wait, "too many requests from your address"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// crossOrigin lets the website chat's pages (other sites) read every answer, refusals included.
func crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		next.ServeHTTP(w, r)
	})
}

// retryLater builds a refusal that says when to try again, in the body and as Retry-After.
func retryLater(w http.ResponseWriter, code wire.Code, wait time.Duration, format string, args ...any) error {
	secs := max(int64(math.Ceil(wait.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	e := wire.Errorf(code, format, args...)
	e.RetryAfter = secs
	return e
}

// clientAddr is the key a request is counted under: the TCP peer's address, or, when the peer
// is a trusted proxy, the nearest X-Forwarded-For entry that is not one. IPv6 clients count by
// their /64, which one subscriber usually holds whole.
func (a *API) clientAddr(r *http.Request) string {
	client := a.client(r)
	if !client.IsValid() {
		return r.RemoteAddr
	}
	if client.Is6() {
		p, _ := client.Prefix(64)
		return p.String()
	}
	return client.String()
}

// client is the request's client: the TCP peer, or the nearest X-Forwarded-For entry that is
// not a trusted proxy when the peer is one. Invalid when the peer's address cannot be read.
func (a *API) client(r *http.Request) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	client := peer
	if a.trusted(peer) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := parseAddr(strings.TrimSpace(hops[i]))
			if !hop.IsValid() {
				break
			}
			client = hop
			if !a.trusted(hop) {
				break
			}
		}
	}
	return client
}

func (a *API) trusted(addr netip.Addr) bool {
	for _, p := range a.opt.TrustedProxies {
		if addr.IsValid() && p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseAddr reads "host:port" or a bare address.
func parseAddr(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap().WithZone("")
}

// Login failures. A username's failures (from anywhere) put it in backoff after
// userFailureLimit; while it lasts, only addresses that have not failed for that username may
// still try, so an attacker's guesses stop and the real user, from their own address, still
// logs in. An address failing for many usernames (spraying) goes in backoff for all of them
// after addressFailureLimit. The wait starts at firstBackoff and doubles with each further
// failure up to maxBackoff; failures are forgotten failureMemory after the latest, and a
// successful login clears its username's count.
const (
	userFailureLimit    = 5
	addressFailureLimit = 20
	firstBackoff        = 15 * time.Second
	maxBackoff          = 5 * time.Minute
	failureMemory       = 15 * time.Minute
)

type loginGuard struct {
	mu                  sync.Mutex // one decision and its count at a time: parallel guesses cannot slip past
	users, addrs, pairs *ratelimit.Failures
	now                 func() time.Time
}

func newLoginGuard() *loginGuard {
	return &loginGuard{users: ratelimit.NewFailures(failureMemory, maxKeys), addrs: ratelimit.NewFailures(failureMemory, maxKeys),
		pairs: ratelimit.NewFailures(failureMemory, maxKeys), now: time.Now}
}

// backoff is the wait after n failures where limit is where waiting starts.
func backoff(n, limit int) time.Duration {
	if n < limit {
		return 0
	}
	d := firstBackoff << min(n-limit, 10)
	return min(d, maxBackoff)
}

// usernameKey folds what was typed: the counter must not tell "Ayse" from "ayse", and a huge
// field must not become a huge key.
func usernameKey(username string) string {
	k := strings.ToLower(strings.TrimSpace(username))
	if len(k) > 64 {
		k = k[:64]
	}
	return k
}

// begin decides whether an attempt may check its password. It counts the attempt as a failure
// ahead (undone by succeeded), so attempts racing each other are all counted.
func (g *loginGuard) begin(username, addr string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	user, pair := usernameKey(username), usernameKey(username)+"\x00"+addr
	now := g.now()
	if n, last := g.addrs.Count(addr); n >= addressFailureLimit {
		if until := last.Add(backoff(n, addressFailureLimit)); until.After(now) {
			return until.Sub(now)
		}
	}
	if n, last := g.users.Count(user); n >= userFailureLimit {
		if p, _ := g.pairs.Count(pair); p > 0 {
			if until := last.Add(backoff(n, userFailureLimit)); until.After(now) {
				return until.Sub(now)
			}
		}
	}
	g.users.Add(user)
	g.addrs.Add(addr)
	g.pairs.Add(pair)
	return 0
}

// succeeded takes back the attempt's failure and clears the username's count: its user is in.
func (g *loginGuard) succeeded(username, addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.users.Reset(usernameKey(username))
	g.pairs.Reset(usernameKey(username) + "\x00" + addr)
	g.addrs.Undo(addr)
}

// abandoned takes back an attempt that failed for the server's reasons, not the password's.
func (g *loginGuard) abandoned(username, addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.users.Undo(usernameKey(username))
	g.pairs.Undo(usernameKey(username) + "\x00" + addr)
	g.addrs.Undo(addr)
}
