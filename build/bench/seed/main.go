// Command seed writes a santrald data directory holding N ended conversations (about ten
// messages each, Turkish shop talk) for the history-search benchmark:
//
//	go run -tags sqlite_fts5 ./build/bench/seed -n 100000 -data /tmp/history-100k
//
// santrald then starts on it as usual (admin password: history.AdminPassword).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"santral/build/bench/history"
)

func main() {
	n := flag.Int("n", 10_000, "conversations to write")
	dir := flag.String("data", "", "data directory to create (must not hold a database)")
	flag.Parse()
	if *dir == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: seed -n CONVERSATIONS -data DIR")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	err := history.Generate(ctx, *dir, *n, func(done int) {
		fmt.Fprintf(os.Stderr, "\r%d / %d conversations (%s)", done, *n, time.Since(start).Round(time.Second))
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d conversations to %s in %s\n", *n, *dir, time.Since(start).Round(time.Millisecond))
}
