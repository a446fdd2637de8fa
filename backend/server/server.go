// Package server wires santrald together: store, rules, stream hub, API and the workers that
// honour stored deadlines. cmd/santrald and the tests both start santrald through it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync"
	"time"

	"santral/backend/api"
	"santral/backend/auth"
	"santral/backend/channels"
	"santral/backend/cluster"
	"santral/backend/commerce"
	"santral/backend/config"
	"santral/backend/demo"
	"santral/backend/media"
	"santral/backend/metrics"
	"santral/backend/outbox"
	"santral/backend/routing"
	"santral/backend/secrets"
	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/wire"
)

// Server is a running santrald.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	Store   *store.Store
	Routing *routing.Service
	Hub     *stream.Hub
	bell    *cluster.Bell // wakes this node's reader and, with --nats, the other nodes'
	Files   media.Store
	bucket  *media.S3 // the media bucket, when media are in S3
	Metrics *metrics.Metrics
	handler http.Handler
	api     *api.API
	node    string
	sandbox int64
	webchat int64 // the website chat widget's channel
	// stopDemoShop ends the demo's local shop (demo mode only).
	stopDemoShop context.CancelFunc
}

// New opens the database (creating it and the admin on first start), seeds the demo when asked,
// and builds the API. out receives the first start's generated admin password, printed once.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log = slog.New(api.LogRequestIDs(log.Handler())) // a request's log lines carry its id
	// Media first: a bucket that cannot be used stops the start before anything is created.
	files, bucket, err := openMedia(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DB, cfg.DatabasePath(), cfg.DBCommitters)
	if err != nil {
		return nil, err
	}
	if err := useSecretKey(ctx, cfg, st, log); err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, Store: st, Hub: stream.NewHub(st, cfg.StreamPoll, cfg.StreamQueue, log), node: cfg.NodeID,
		Files: files, bucket: bucket}
	if s.node == "" {
		s.node = "node-" + auth.RandomPassword()[:8]
	}
	s.Metrics = metrics.New(s.node, st, s.Hub, log)
	s.bell = cluster.New(s.Hub, s.node, log)
	s.Routing = routing.New(st, s.bell, log)
	s.Routing.Observe(s.Metrics)
	if err := s.firstStart(ctx, out); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.forgetNode(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("server: unable to clear this node's old connections: %w", err)
	}
	if cfg.Sandbox {
		if _, err := st.Tx(ctx, func(tx *store.Tx) error {
			s.sandbox, err = tx.EnsureChannel("sandbox", "Sandbox")
			return err
		}); err != nil {
			st.Close()
			return nil, fmt.Errorf("server: unable to create the sandbox channel: %w", err)
		}
	}
	if _, err := st.Tx(ctx, func(tx *store.Tx) error {
		s.webchat, err = tx.EnsureChannel("webchat", "Website")
		return err
	}); err != nil {
		st.Close()
		return nil, fmt.Errorf("server: unable to create the webchat channel: %w", err)
	}
	if cfg.Demo {
		if err := demo.Seed(ctx, st, s.Routing, []int64{s.sandbox, s.webchat}, cfg.PasswordCost, out); err != nil {
			st.Close()
			return nil, err
		}
		// The demo's shop, so the conversation's shop panel has orders and products to show.
		shopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		s.stopDemoShop = stop
		shopURL, err := demo.StartShop(shopCtx)
		if err == nil {
			err = demo.ConnectShop(ctx, st, shopURL)
		}
		if err != nil {
			stop()
			st.Close()
			return nil, err
		}
	}
	if err := s.Hub.Start(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("server: unable to read the event log: %w", err)
	}
	dbID, err := st.DatabaseID(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("server: unable to read the database id: %w", err)
	}
	if err := s.joinNodes(dbID); err != nil {
		st.Close()
		return nil, err
	}
	proxies, err := config.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		s.bell.Close()
		st.Close()
		return nil, err
	}
	s.api = api.New(st, s.Routing, s.Hub, api.Options{
		Node: s.node, DatabaseID: dbID, Files: s.Files, SandboxChannelID: s.sandbox, SandboxToken: cfg.SandboxToken, WebchatChannelID: s.webchat, StreamPoll: cfg.StreamPoll, PingInterval: cfg.PingInterval, PasswordCost: cfg.PasswordCost,
		SessionLifetime: cfg.SessionLifetime, SessionIdle: cfg.SessionIdle, TrustedProxies: proxies,
		ReportMaxConversations: cfg.ReportMaxConversations,
		VisitorUploadsPerDay:   cfg.VisitorUploadsPerDay, VisitorUploadBytesPerDay: cfg.VisitorUploadBytesPerDay,
		Observer: s.Metrics, ReadyChecks: s.readyChecks(),
		Shop: commerce.New(st, s.Routing, s.Files, commerce.Options{}, log),
	}, log)
	s.handler = s.api.Handler()
	return s, nil
}

// openMedia opens the media store: the data directory's folder, or the S3 bucket every node
// shares (checked now: a bucket that is missing or refuses santrald's keys stops the start).
func openMedia(ctx context.Context, cfg config.Config, log *slog.Logger) (media.Store, *media.S3, error) {
	var files media.Measured = media.Folder{Dir: filepath.Join(cfg.DataDir, "media")}
	var bucket *media.S3
	if cfg.S3.Bucket != "" {
		var err error
		if bucket, err = media.OpenS3(ctx, cfg.S3, log); err != nil {
			return nil, nil, err
		}
		files = bucket
	}
	if cfg.MediaQuota > 0 {
		return media.WithQuota(files, cfg.MediaQuota), bucket, nil
	}
	return files, bucket, nil
}

// firstStart creates the admin named "admin" when the database has no users.
func (s *Server) firstStart(ctx context.Context, out io.Writer) error {
	n, err := s.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password, generated := s.cfg.AdminPassword, false
	if password == "" {
		password, generated = auth.RandomPassword(), true
	}
	hash, err := auth.HashPassword(password, s.cfg.PasswordCost)
	if err != nil {
		return err
	}
	created := false
	_, err = s.Store.Tx(ctx, func(tx *store.Tx) error {
		// Several nodes may start at once on a new database: one creates the admin, the others
		// find it made.
		if err := tx.LockKey(firstStartLock); err != nil {
			return err
		}
		if n, err := tx.CountUsers(); err != nil || n > 0 {
			created = false
			return err
		}
		if err := tx.PutSettings(wire.DefaultSettings()); err != nil {
			return err
		}
		_, err := tx.CreateUser("admin", "Admin", hash, wire.RoleAdmin, nil, nil)
		created = err == nil
		return err
	})
	if err != nil {
		return fmt.Errorf("server: unable to create the admin: %w", err)
	}
	if !created {
		return nil
	}
	if generated {
		fmt.Fprintf(out, "\n  First start: created user \"admin\" with password %s\n  (shown once; set SANTRAL_ADMIN_PASSWORD to choose it)\n\n", password)
	}
	s.log.Info("first start: created admin user")
	return nil
}

// firstStartLock is the key nodes starting at once take in turn to create the admin.
const firstStartLock = 0x5a17_0001

// forgetNode drops connections recorded under this node's name by an earlier process (a crash
// leaves them behind, and a fixed --node name would keep them fresh), starting their users'
// offline grace as any lost connection does.
func (s *Server) forgetNode(ctx context.Context) error {
	_, err := s.Store.Tx(ctx, func(tx *store.Tx) error {
		set, err := tx.Settings()
		if err != nil {
			return err
		}
		return tx.DropNodeConnections(s.node, int64(set.OfflineGraceSeconds)*1000)
	})
	return err
}

// readyChecks are what GET /readyz requires of this node: its database answers and its event
// reader follows the log. A connection santrald is configured to need (NATS, when several nodes
// wake each other through it) adds its own check here.
func (s *Server) readyChecks() []api.ReadyCheck {
	checks := []api.ReadyCheck{
		{Name: "database", Check: s.Store.Ping},
		{Name: "event_reader", Check: func(context.Context) error { return s.Hub.Reading() }},
	}
	if s.bucket != nil {
		checks = append(checks, api.ReadyCheck{Name: "media", Check: s.bucket.Check})
	}
	return append(checks, s.natsCheck()...)
}

// Handler is the HTTP handler (tests serve it with httptest).
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler serves GET /metrics (on --metrics-addr; tests serve it with httptest).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics.Handler())
	// Profiles of the running node, for whoever may reach the metrics address (an address for
	// the operators' network, never the public one): CPU, heap, goroutines.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	return mux
}

// Node is this node's name (--node, or the random one it was given).
func (s *Server) Node() string { return s.node }

// SandboxChannelID is the sandbox channel's id (0 when off).
func (s *Server) SandboxChannelID() int64 { return s.sandbox }

// RunWorkers runs the node's event reader, the deadline sweeper, the outbox, media downloads,
// the removal of unsent uploads, session expiry, the connection heartbeat, event pruning and
// (in demo mode) the simulated customers until ctx is done. Then the outbox claims no new send
// but finishes the one in flight and records its outcome (for up to the drain timeout) before
// RunWorkers returns.
func (s *Server) RunWorkers(ctx context.Context) {
	var wg sync.WaitGroup
	every := func(d time.Duration, name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if err := fn(ctx); err != nil && ctx.Err() == nil {
						s.log.Error("worker failed", "worker", name, "err", err)
					}
				}
			}
		}()
	}
	wg.Add(1)
	s.Hub.Starting()
	go func() { defer wg.Done(); s.Hub.Run(ctx) }()
	every(s.cfg.SweepInterval, "sweep", func(ctx context.Context) error { return s.Routing.Sweep(ctx, 2*time.Minute) })
	providers := newProviders(s.cfg.SendTimeout)
	sends := outbox.New(s.Store, s.Routing, s.Files, providers.senderFor, outbox.Options{MinBackoff: s.cfg.SendBackoff,
		Timeouts: channels.Timeouts{Floor: s.cfg.SendTimeout, PerMB: s.cfg.SendTimePerMB}, Drain: s.cfg.DrainTimeout,
		Observer: s.Metrics}, s.log)
	downloads := media.NewWorker(s.Store, s.Routing, s.Files, providers.fetcherFor, s.cfg.SendBackoff, s.log)
	every(s.cfg.SweepInterval, "media", func(ctx context.Context) error {
		for {
			n, err := downloads.RunOnce(ctx)
			if err != nil || n == 0 {
				return err
			}
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		sends.Run(ctx, s.cfg.SweepInterval)
	}()
	every(s.cfg.SweepInterval, "abandoned sends", sends.FailAbandoned)
	every(s.cfg.SweepInterval, "callback answers", sends.AnswerCallbacks)
	wg.Add(1)
	go func() { defer wg.Done(); s.runFlows(ctx, s.cfg.SweepInterval) }()
	// Uploads never sent are removed after the retention; checked a tenth of it apart (at most a
	// minute, at least a sweep interval), so one is gone soon after its time.
	every(min(max(s.cfg.UploadRetention/10, s.cfg.SweepInterval), time.Minute), "uploads", func(ctx context.Context) error {
		n, err := media.RemoveUnsent(ctx, s.Store, s.Files, s.cfg.UploadRetention)
		if n > 0 {
			s.log.Info("removed unsent uploads", "files", n)
		}
		return err
	})
	every(s.cfg.SweepInterval, "sessions", func(ctx context.Context) error { return s.Routing.EndExpiredSessions(ctx, s.cfg.SessionIdle) })
	every(30*time.Second, "heartbeat", func(ctx context.Context) error { return s.Routing.Heartbeat(ctx, s.node) })
	every(time.Hour, "prune", func(ctx context.Context) error {
		_, err := s.Routing.PruneEvents(ctx, s.cfg.EventRetention)
		return err
	})
	if s.cfg.Demo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			demo.Simulate(ctx, s.Store, s.Routing, s.sandbox, s.cfg.SimulateEvery, s.log)
		}()
	}
	wg.Wait()
}

// Serve listens on ln until ctx is done (SIGTERM), then shuts down in order: the workers take
// no new job, HTTP stops accepting and finishes the requests in progress, the send in flight
// finishes and records its outcome (up to the drain timeout), then the database closes. Sends
// not started stay pending for the next start.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error { return s.ServeAll(ctx, ln, nil) }

// ServeAll is Serve with GET /metrics served on metricsLn as well (nil: not served), until the
// same shutdown ends.
func (s *Server) ServeAll(ctx context.Context, ln, metricsLn net.Listener) error {
	errorLog := slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: errorLog}
	workersCtx, stopWorkers := context.WithCancel(context.Background())
	workersDone := make(chan struct{})
	go func() { s.RunWorkers(workersCtx); close(workersDone) }()

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if metricsLn != nil {
		msrv := &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errorLog}
		go func() {
			if err := msrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("server: metrics: %w", err)
			}
		}()
		defer msrv.Close() // last: a scrape during the drain still sees it
	}
	var err error
	select {
	case <-ctx.Done():
		// Workers first, so that nothing is claimed once the listener is closed (a send the
		// last requests queue waits for the next start); the send in flight drains meanwhile.
		// Then stop accepting, and tell open sockets to go away (hijacked connections are not
		// Shutdown's to close) and wait for their handlers.
		stopWorkers()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutdownCtx)
		s.api.CloseSockets(shutdownCtx)
		cancel()
	case err = <-errc:
	}
	stopWorkers()
	<-workersDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.bell.Close()
	return errors.Join(err, s.Store.Close())
}

// Close tells open sockets to go away, waits for them briefly, and closes the database (when
// Serve was not used).
func (s *Server) Close() error {
	if s.stopDemoShop != nil {
		s.stopDemoShop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	s.api.CloseSockets(ctx)
	cancel()
	s.bell.Close()
	return s.Store.Close()
}

// useSecretKey finds the key that seals stored credentials — SANTRAL_SECRET_KEY, else the key
// file (created on first start, mode 0600) — and hands it to the store, which checks that it
// opens every stored credential. A missing, unreadable or wrong key stops the start: going on
// would mean webhooks that cannot be verified and sends that cannot authenticate.
func useSecretKey(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	var key []byte
	var err error
	path := cfg.KeyPath()
	switch {
	case cfg.SecretKey != "":
		if key, err = secrets.ParseKey(cfg.SecretKey); err != nil {
			return fmt.Errorf("server: SANTRAL_SECRET_KEY: %w", err)
		}
		path = "SANTRAL_SECRET_KEY"
	default:
		text, rerr := os.ReadFile(path)
		switch {
		case errors.Is(rerr, os.ErrNotExist):
			sealed, err := st.HasSealedSecrets(ctx)
			if err != nil {
				return err
			}
			if sealed {
				return fmt.Errorf("server: the secret key file %s is missing, but the database holds credentials encrypted with it: restore the file (or set SANTRAL_SECRET_KEY)", path)
			}
			if key, err = secrets.CreateKeyFile(path); err != nil {
				return fmt.Errorf("server: unable to create the secret key file %s: %w", path, err)
			}
			log.Info("created the secret key that encrypts stored credentials: back it up with the database", "path", path)
		case rerr != nil:
			return fmt.Errorf("server: unable to read the secret key file %s: %w", path, rerr)
		default:
			if key, err = secrets.ParseKey(string(text)); err != nil {
				return fmt.Errorf("server: the secret key file %s: %w", path, err)
			}
			if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
				log.Warn("the secret key file can be read by other users: chmod 600 it", "path", path, "mode", info.Mode().Perm().String())
			}
		}
	}
	box, err := secrets.New(key)
	if err != nil {
		return err
	}
	if err := st.UseSecrets(ctx, box); err != nil {
		return fmt.Errorf("server: %w (the key from %s does not open what is stored: is it the key this database was used with?)", err, path)
	}
	return nil
}
