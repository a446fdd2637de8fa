package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"santral/backend/cluster/natstest"
	"santral/backend/store/storetest"
)

// TestMain lets the test binary serve the baselines, as the command does: the bench starts
// itself (os.Executable) in that mode.
func TestMain(m *testing.M) {
	if addr := os.Getenv(serveEnv); addr != "" {
		serveBaseline(addr, os.Getenv(serveDirEnv))
		return
	}
	os.Exit(m.Run())
}

// The webhook the bench posts is Meta's documented delivery: with the fixture's values it is
// the fixture, field for field.
func TestWebhookIsTheDocumentedPayload(t *testing.T) {
	fixture, err := os.ReadFile("../../../backend/channels/testdata/whatsapp/inbound_text.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(fixture, &want); err != nil {
		t.Fatal(err)
	}
	body := whatsappText("905321234567", "wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMEQ3QjA4RDRGQjY1OEY0QUEA", "Ayşe Yılmaz",
		"Merhaba, 1043 numaralı siparişim ne zaman kargoya verilecek? 📦", time.Unix(1764158400, 0))
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Fatalf("the bench's webhook differs from the documented one:\n got %s\nwant %s", g, w)
	}
}

// TestQuickRun runs the whole suite once at small sizes against a santrald built from this
// tree: every scenario must be measured (no scenario error, every figure present) and the JSON
// written. It asserts no figure: performance is for people to read, not for CI to judge.
func TestQuickRun(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "santrald")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, "santral/backend/cmd/santrald")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build santrald: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "results.json")
	opt := options{Santrald: bin, Out: out, Quick: true, HistoryCache: filepath.Join(dir, "history")}
	want := len(scenarios)
	if db, nats, why := clusterServers(t); why == "" {
		opt.ClusterDB, opt.NATS = db, nats // the others on SQLite
	} else {
		t.Logf("the cluster scenario is left out: %s", why)
		for _, s := range scenarios {
			if s.name != "cluster" {
				opt.Only = append(opt.Only, s.name)
			}
		}
		want--
	}
	var tables, progress bytes.Buffer
	res, err := run(context.Background(), opt, &tables, &progress)
	t.Log("\n" + tables.String())
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	if len(res.Scenarios) != want {
		t.Fatalf("%d scenarios measured, want %d", len(res.Scenarios), want)
	}
	for _, s := range res.Scenarios {
		if s.Error != "" {
			t.Errorf("%s: %s", s.Name, s.Error)
		}
		if len(s.Figures) == 0 {
			t.Errorf("%s: no figures", s.Name)
		}
		for _, f := range s.Figures {
			if f.Santrald == nil {
				t.Errorf("%s: %q has no santrald figure", s.Name, f.Metric)
			}
			if f.BaselineName != "" && f.Baseline == nil {
				t.Errorf("%s: %q has no baseline figure", s.Name, f.Metric)
			}
		}
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var written Results
	if err := json.Unmarshal(raw, &written); err != nil || len(written.Scenarios) != len(res.Scenarios) {
		t.Fatalf("results.json does not hold the run: %v", err)
	}
}

// clusterServers are the PostgreSQL and NATS servers the tests use (storetest's and natstest's
// settings), or why they cannot be: a failure when CI requires them.
func clusterServers(t *testing.T) (db, nats, why string) {
	db = os.Getenv(storetest.ServerEnv)
	if db == "" {
		db = storetest.DefaultServer
	}
	nats = os.Getenv(natstest.ServerEnv)
	if nats == "" {
		nats = natstest.DefaultServer
	}
	if pg, err := openPostgres(context.Background(), db); err != nil {
		why = err.Error()
	} else {
		pg.admin.Close()
	}
	if u, err := url.Parse(nats); err != nil {
		why = "NATS: " + err.Error()
	} else if c, err := net.DialTimeout("tcp", u.Host, 2*time.Second); err != nil {
		why = "NATS: " + err.Error()
	} else {
		c.Close()
	}
	if why != "" && (storetest.Required() || natstest.Required()) {
		t.Fatalf("the cluster scenario needs PostgreSQL and NATS, which CI requires: %s", why)
	}
	return db, nats, why
}
