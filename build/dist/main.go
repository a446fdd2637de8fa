// Command dist packages Santral for IT (`make dist`): the Debian packages (nfpm), checksums and a report of what dist/ holds. The
// binaries themselves are built by make (go build, and mingw-w64 for Windows).
//
//	dist deb       -version V -out DIR -santrald BIN -app BIN -app41 BIN
//	dist checksums DIR                (DIR/SHA256SUMS)
//	dist report    DIR                (sizes, signatures; fails when a package is missing)
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "deb":
		err = debCommand(args)
	case "checksums":
		err = checksumsCommand(args)
	case "report":
		err = reportCommand(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dist deb|checksums|report … (see build/dist/main.go)")
	os.Exit(2)
}
