// Command dist packages Santral for IT (`make dist`): the Debian packages (nfpm), the Windows
// resources (icon, manifest, version: tc-hib/winres), the NSIS installer (Debian's makensis),
// Authenticode signing (osslsigncode), checksums and a report of what dist/ holds. The
// binaries themselves are built by make (go build, and mingw-w64 for Windows).
//
//	dist deb       -version V -out DIR -santrald BIN -app BIN -app41 BIN
//	dist winres    -version V -out FILE.syso [-ico FILE.ico]
//	dist nsis      -version V -exe santral.exe -ico FILE.ico -out DIR
//	dist sign      FILE...            (PFX from SANTRAL_SIGN_PFX; nothing to do without one)
//	dist verify    -ca CA.pem FILE... (reads osslsigncode verify's output)
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
	case "winres":
		err = winresCommand(args)
	case "nsis":
		err = nsisCommand(args)
	case "sign":
		err = signCommand(args)
	case "verify":
		err = verifyCommand(args)
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
	fmt.Fprintln(os.Stderr, "usage: dist deb|winres|nsis|sign|verify|checksums|report … (see build/dist/main.go)")
	os.Exit(2)
}
