# Santral's commands. SQLite full-text search (FTS5) is compiled in with the sqlite_fts5 tag,
# so every go command here carries it.
GO      ?= go
TAGS    := sqlite_fts5
# make run's address and data directory: ADDR=/DATA= or SANTRAL_ADDR/SANTRAL_DATA.
DATA    ?= $(or $(SANTRAL_DATA),./santral-data)
ADDR    ?= $(or $(SANTRAL_ADDR),127.0.0.1:8080)
# The one version (build/version.sh: from the git tag), stamped into santrald, the app and every
# package; `santrald --version`, `santral --version`.
VERSION ?= $(shell ./build/version.sh)
LDFLAGS := -X santral/backend/version.Version=$(VERSION)

.PHONY: dist dist-linux run santrald cluster cluster-test app app-dev frontend test test-go test-frontend fuzz e2e vet bench bench-history bench-app clean types record

## run: santrald in demo mode (demo users, simulated customers) and the desktop app against it;
## installs the Debian packages it lacks and builds first, showing progress (build/run.sh)
run:
	@SANTRAL_ADDR='$(ADDR)' SANTRAL_DATA='$(DATA)' ./build/run.sh

santrald:
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o bin/santrald ./backend/cmd/santrald

## cluster: three santrald nodes on one database (SQLite in ./cluster-data, or CLUSTER_DB and
## CLUSTER_NATS), ports 8081-8083, metrics 9181-9183, no load balancer (build/cluster.sh)
cluster: santrald
	./build/cluster.sh

## cluster-test: the cluster's smoke test — an agent on node 1 sees a message posted to node 3,
## pulls on the three nodes take each queued conversation exactly once (part of make test too)
cluster-test: santrald
	$(GO) test -tags $(TAGS) -count=1 -run '^TestClusterOfThreeNodesWithoutALoadBalancer$$' ./build

frontend/node_modules: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch frontend/node_modules

## frontend: the UI, built into frontend/dist (embedded by the Go build)
frontend: frontend/node_modules
	cd frontend && npm run build

## app: the desktop app, production build (a real window)
app: frontend
	$(GO) build -tags desktop,production,$(TAGS) -ldflags "-s -w $(LDFLAGS)" -o bin/santral .

## app-dev: the desktop app with Wails' dev bridge (the UI in a browser, real Go bindings)
app-dev: frontend
	$(GO) build -tags dev,$(TAGS) -ldflags "$(LDFLAGS)" -o bin/santral-dev .

## test: every test — the UI's recorded answers regenerated from a real santrald, frontend unit
## tests over them, Go (race detector), fuzzing of the webhook parsers (briefly), end to end in a
## real browser
test: record test-frontend vet test-go fuzz e2e

## types: the UI's TypeScript types and Wails bindings, generated from the Go types (app/tsgen);
## `go test ./app` fails while they are stale
types:
	$(GO) test -tags $(TAGS) -count=1 -run '^TestTypeScriptIsGeneratedFromTheGoTypes$$' ./app -update

## record: the UI tests' recorded answers (frontend/tests/recorded): the real app's bindings
## driven against a real santrald (app/record_test.go)
record:
	$(GO) test -tags $(TAGS) -count=1 -run '^TestRecordedAnswers$$' ./app -record

FUZZTIME ?= 20000x
## fuzz: each webhook parser's fuzz target for FUZZTIME inputs (a count, not a duration: a
## duration can end mid-minimisation and fail with "context deadline exceeded")
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseWebhook$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./backend/channels/whatsapp/
	$(GO) test -run '^$$' -fuzz '^FuzzVerifySignature$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./backend/channels/whatsapp/
	$(GO) test -run '^$$' -fuzz '^FuzzParseWebhook$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./backend/channels/meta/
	$(GO) test -run '^$$' -fuzz '^FuzzParseUpdate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./backend/channels/telegram/

test-frontend: frontend
	cd frontend && npm test

# The store and routing suites run on SQLite and on PostgreSQL (SANTRAL_TEST_POSTGRES, default
# the local server); PostgreSQL is required unless SANTRAL_TEST_POSTGRES_REQUIRED=0. So is NATS
# (SANTRAL_TEST_NATS, default nats://127.0.0.1:4222) unless SANTRAL_TEST_NATS_REQUIRED=0.
test-go: frontend
	SANTRAL_TEST_POSTGRES_REQUIRED=$${SANTRAL_TEST_POSTGRES_REQUIRED:-1} SANTRAL_TEST_NATS_REQUIRED=$${SANTRAL_TEST_NATS_REQUIRED:-1} \
		$(GO) test -race -tags $(TAGS) -count=1 ./...

e2e: frontend
	./build/e2e/run.sh

vet: frontend
	@unformatted=$$(gofmt -l backend app build main.go); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags $(TAGS) ./...

## bench-app: desktop app figures (size, cold start, memory)
bench-app: app app-dev
	./build/bench/app.sh

# The suite prints an earlier run's figures beside its own (build/bench/reference.json: santrald
# before issue 8's work, on the machine named in it); BENCH_REFERENCE= to leave it out.
BENCH_REFERENCE ?= $(wildcard build/bench/reference.json)
BENCHTIME       ?= $(if $(filter 1,$(BENCH_QUICK)),1x,2s)
SCALE           ?= 1000000

## bench: server benchmarks, figures not pass/fail: the Go benchmarks, then the suite
## (build/bench/santralbench) running santrald against bare baselines and printing the ratios and
## the goals; results in bin/bench/results.json. BENCH_QUICK=1: small sizes, a smoke test.
bench: santrald
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime $(BENCHTIME) ./backend/... ./app/...
	$(GO) run -tags $(TAGS) ./build/bench/santralbench -santrald bin/santrald $(if $(BENCH_REFERENCE),-reference $(BENCH_REFERENCE))

## bench-history: history search at 10k and SCALE conversations (default 1M; the databases are
## generated once into bin/bench/data); results in bin/bench/history.json
bench-history: santrald
	$(GO) run -tags $(TAGS) ./build/bench/santralbench -santrald bin/santrald -only search -history 10000,$(SCALE) \
		-out bin/bench/history.json $(if $(BENCH_REFERENCE),-reference $(BENCH_REFERENCE))

# ---- packages for IT (README "IT") --------------------------------------------------------------
DIST      ?= dist
DISTTOOL  := bin/dist/santral-dist
DISTBIN   := bin/dist
MINGW_CC  ?= x86_64-w64-mingw32-gcc

## dist: every package into dist/ with SHA256SUMS, and a report of sizes and signatures:
## santral and santrald .debs, the webkit2_41 build of the app, the Windows installer (signed
## when SANTRAL_SIGN_PFX is set; see build/dist/sign.go)
dist: dist-linux
	$(DISTTOOL) checksums $(DIST)
	$(DISTTOOL) report -version '$(VERSION)' $(if $(SANTRAL_SIGN_CA),-ca $(SANTRAL_SIGN_CA)) $(DIST)

$(DISTTOOL): $(wildcard build/dist/*.go) go.mod
	$(GO) build -o $@ ./build/dist

## dist-linux: the .debs (nfpm, build/linux): the app against WebKitGTK 4.0 and 4.1, santrald
dist-linux: frontend $(DISTTOOL)
	$(GO) build -tags desktop,production,$(TAGS) -ldflags "-s -w $(LDFLAGS)" -o $(DISTBIN)/linux/santral .
	$(GO) build -tags desktop,production,webkit2_41,$(TAGS) -ldflags "-s -w $(LDFLAGS)" -o $(DISTBIN)/linux-webkit41/santral .
	$(GO) build -tags $(TAGS) -ldflags "-s -w $(LDFLAGS)" -o $(DISTBIN)/linux/santrald ./backend/cmd/santrald
	$(DISTTOOL) deb -version '$(VERSION)' -out $(DIST) -santrald $(DISTBIN)/linux/santrald \
		-app $(DISTBIN)/linux/santral -app41 $(DISTBIN)/linux-webkit41/santral

clean:
	rm -rf bin frontend/dist dist
