# Santral's commands. SQLite full-text search (FTS5) is compiled in with the sqlite_fts5 tag,
# so every go command here carries it.
GO      ?= go
TAGS    := sqlite_fts5
DATA    ?= ./santral-data
ADDR    ?= 127.0.0.1:8080

.PHONY: run santrald test vet bench clean

## run: start santrald in demo mode on SQLite (demo users, simulated customers)
run: santrald
	./bin/santrald --demo --data $(DATA) --addr $(ADDR)

santrald:
	$(GO) build -tags $(TAGS) -o bin/santrald ./backend/cmd/santrald

## test: every test, with the race detector
test: vet
	$(GO) test -race -tags $(TAGS) -count=1 ./...

vet:
	@unformatted=$$(gofmt -l backend); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags $(TAGS) ./...

## bench: the benchmarks (figures, not pass/fail)
bench:
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime 2s ./backend/...

clean:
	rm -rf bin
