package main

// The Windows installer: build/windows/installer/santral.nsi compiled by makensis with this
// build's version, app, icon and the WebView2 bootstrapper Wails ships (read from the Wails
// module, so it is the one Wails' own `-nsis` build would pack). When a certificate is given,
// makensis signs the installer and the uninstaller it embeds by calling `dist sign`.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

func nsisCommand(args []string) error {
	fs := flag.NewFlagSet("nsis", flag.ExitOnError)
	ver := fs.String("version", "", "the version (build/version.sh)")
	exe := fs.String("exe", "", "santral.exe (windows/amd64)")
	ico := fs.String("ico", "", "the icon (dist winres -ico)")
	out := fs.String("out", "dist", "where the installer goes")
	script := fs.String("script", "build/windows/installer/santral.nsi", "the NSIS script")
	fs.Parse(args)
	if *ver == "" || *exe == "" || *ico == "" {
		return errors.New("nsis: -version, -exe and -ico are required")
	}
	if _, err := exec.LookPath("makensis"); err != nil {
		// Wails' own -nsis build succeeds without makensis and makes no installer; this does not.
		return errors.New("nsis: makensis is not installed (Debian: apt-get install nsis)")
	}
	tmp, err := os.MkdirTemp("", "santral-nsis-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	webview2 := filepath.Join(tmp, "MicrosoftEdgeWebview2Setup.exe")
	if err := copyWebView2Bootstrapper(webview2); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	target, _ := filepath.Abs(filepath.Join(*out, fmt.Sprintf("santral-%s-windows-amd64-setup.exe", *ver)))
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	defs := []string{
		"-V2", "-INPUTCHARSET", "UTF8",
		"-DVERSION=" + *ver, "-DVERSION4=" + windowsVersionString(*ver),
		"-DAPP_EXE=" + abs(*exe), "-DAPP_ICON=" + abs(*ico), "-DWEBVIEW2_SETUP=" + webview2, "-DOUTFILE=" + target,
	}
	s, err := signerFromEnv()
	if err != nil {
		return err
	}
	if s != nil {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		defs = append(defs, "-DSIGN_CMD="+self+" sign")
	}
	cmd := exec.Command("makensis", append(defs, abs(*script))...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("makensis: %v\n%s", err, buf.String())
	}
	st, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("makensis made no installer: %w\n%s", err, buf.String())
	}
	fmt.Printf("built %s (%.1f MB)\n", target, float64(st.Size())/1e6)
	return nil
}

// copyWebView2Bootstrapper copies Microsoft's WebView2 bootstrapper from the Wails module.
func copyWebView2Bootstrapper(dst string) error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/wailsapp/wails/v2").Output()
	if err != nil {
		return fmt.Errorf("nsis: the Wails module is not downloaded (go mod download): %w", err)
	}
	src := filepath.Join(string(bytes.TrimSpace(out)), "internal", "webview2runtime", "MicrosoftEdgeWebview2Setup.exe")
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	w, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
