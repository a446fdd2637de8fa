// Package s3test runs a real S3-compatible server for tests: gofakes3 (an implementation of the
// S3 REST API in Go, kept in memory) served over HTTP on a loopback port, so that santrald's S3
// client speaks to it exactly as to AWS or MinIO — signed requests, XML answers, multipart
// uploads, ranges. The server can be stopped and started again on the same address, to see what
// santrald does while its media store is away.
package s3test

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"santral/backend/config"
)

// The keys the server accepts.
const (
	AccessKey = "santral-test-access"
	SecretKey = "santral-test-secret-key-0123456789"
)

// Server is one S3 server with its buckets.
type Server struct {
	URL string // http://127.0.0.1:port

	tb      testing.TB
	addr    string
	handler http.Handler
	mu      sync.Mutex
	srv     *http.Server
	counts  map[string]int // requests by method
}

// Start runs a server holding the named (empty) buckets until the test ends.
func Start(tb testing.TB, buckets ...string) *Server {
	tb.Helper()
	mem := s3mem.New()
	for _, b := range buckets {
		if err := mem.CreateBucket(b); err != nil {
			tb.Fatalf("s3test: create bucket %s: %v", b, err)
		}
	}
	fake := gofakes3.New(mem, gofakes3.WithLogger(gofakes3.DiscardLog()))
	s := &Server{tb: tb, counts: map[string]int{}}
	s.handler = s.count(checkAccessKey(fake.Server()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	s.serve(ln)
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv = &http.Server{Handler: s.handler}
	go s.srv.Serve(ln)
}

// Stop takes the server away: open connections are closed and new ones refused.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// Restart serves again on the same address, with the objects it held.
func (s *Server) Restart() {
	s.tb.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.tb.Fatalf("s3test: listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// Config is santrald's setting for a bucket of this server.
func (s *Server) Config(bucket, prefix string) config.S3 {
	return config.S3{Endpoint: s.URL, Bucket: bucket, Prefix: prefix, Region: "us-east-1", AccessKey: AccessKey, SecretKey: SecretKey}
}

// Objects lists the object names in the bucket under prefix, sorted, as any S3 client sees them.
func (s *Server) Objects(bucket, prefix string) []string {
	s.tb.Helper()
	c, err := minio.New(s.addr, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		s.tb.Fatal(err)
	}
	var names []string
	for o := range c.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			s.tb.Fatalf("s3test: list %s: %v", bucket, o.Err)
		}
		names = append(names, o.Key)
	}
	sort.Strings(names)
	return names
}

// Requests tells how many requests of each method the server has answered.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method]++
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// gofakes3 checks no signature. In front of it, a request signed with another access key id is
// refused as S3 refuses it — 403 with the InvalidAccessKeyId error document — so that a wrong
// key shows as it would against a real bucket. (The signature itself is not recomputed.)
func checkAccessKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := credential.FindStringSubmatch(r.Header.Get("Authorization")); m == nil || m[1] != AccessKey {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			if r.Method != http.MethodHead {
				w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` +
					`<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`))
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

var credential = regexp.MustCompile(`Credential=([^/,]+)/`)
