package main

// The baselines: what the same machine does with no rules and no database. This binary serves
// them as a child process of its own (the same process tree as santrald, measured the same way
// from /proc) when serveEnv names the address:
//
//	POST /bare       reads the body, answers 200: the floor of net/http itself
//	POST /grouped    appends the body to a file and answers after an fsync that covers it; one
//	                 goroutine fsyncs whatever arrived while the previous fsync ran (group
//	                 commit): the floor of any durable acknowledgement
//	PUT  /each       appends the body and fsyncs it before answering, one request at a time:
//	                 a durable single-row decision with no batching
//	GET  /ws         a bare gorilla/websocket connection, held until the client leaves
//	POST /broadcast  writes the body as one text message to every /ws connection, then 200

import (
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/gorilla/websocket"
)

const (
	serveEnv    = "SANTRALBENCH_SERVE"
	serveDirEnv = "SANTRALBENCH_SERVE_DIR"
)

// serveBaseline runs the baseline server until killed.
func serveBaseline(addr, dir string) {
	grouped, err := newGroupedWriter(filepath.Join(dir, "grouped.log"))
	if err != nil {
		log.Fatal(err)
	}
	each, err := os.OpenFile(filepath.Join(dir, "each.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		log.Fatal(err)
	}
	var eachMu sync.Mutex
	hub := &broadcastHub{conns: map[*websocket.Conn]*sync.Mutex{}}
	upgrader := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}

	mux := http.NewServeMux()
	mux.HandleFunc("/bare", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /grouped", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = grouped.write(body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("PUT /each", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			eachMu.Lock()
			if _, err = each.Write(body); err == nil {
				err = each.Sync()
			}
			eachMu.Unlock()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		hub.add(conn)
		defer hub.remove(conn)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("POST /broadcast", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		hub.broadcast(body)
		w.WriteHeader(http.StatusOK)
	})
	log.Fatal(http.ListenAndServe(addr, mux))
}

// groupedWriter appends bodies to a file and fsyncs them in groups: each write waits for the
// first fsync that started after its bytes were written.
type groupedWriter struct {
	f       *os.File
	pending chan groupedWrite
}

type groupedWrite struct {
	body []byte
	done chan error
}

func newGroupedWriter(path string) (*groupedWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	g := &groupedWriter{f: f, pending: make(chan groupedWrite, 4096)}
	go g.run()
	return g, nil
}

func (g *groupedWriter) write(body []byte) error {
	done := make(chan error, 1)
	g.pending <- groupedWrite{body: body, done: done}
	return <-done
}

func (g *groupedWriter) run() {
	var group []groupedWrite
	for first := range g.pending {
		group = append(group[:0], first)
	more:
		for {
			select {
			case w := <-g.pending:
				group = append(group, w)
			default:
				break more
			}
		}
		var err error
		for _, w := range group {
			if _, err = g.f.Write(w.body); err != nil {
				break
			}
		}
		if err == nil {
			err = g.f.Sync()
		}
		for _, w := range group {
			w.done <- err
		}
	}
}

type broadcastHub struct {
	mu    sync.Mutex
	conns map[*websocket.Conn]*sync.Mutex // each connection's write lock
}

func (h *broadcastHub) add(c *websocket.Conn) {
	h.mu.Lock()
	h.conns[c] = &sync.Mutex{}
	h.mu.Unlock()
}

func (h *broadcastHub) remove(c *websocket.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	c.Close()
}

func (h *broadcastHub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c, wmu := range h.conns {
		wmu.Lock()
		c.WriteMessage(websocket.TextMessage, msg)
		wmu.Unlock()
	}
}
