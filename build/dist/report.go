package main

// dist/'s checksums and the report CI prints: each package there, its size, whether it is
// signed (Windows files), and the Windows installer's size against the 15 MB goal.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func checksumsCommand(args []string) error {
	if len(args) != 1 {
		return errors.New("checksums: one directory")
	}
	dir := args[0]
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var lines []string
	for _, e := range entries {
		if e.IsDir() || e.Name() == "SHA256SUMS" {
			continue
		}
		sum, err := sha256File(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+e.Name()) // the format sha256sum -c reads
	}
	sort.Strings(lines)
	return os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// The goal for the Windows installer's size (issue 13).
const installerGoal = 15 << 20

func reportCommand(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	ver := fs.String("version", "", "the version the packages must carry")
	ca := fs.String("ca", "", "when set, the Windows files must be signed by a certificate of this CA")
	fs.Parse(args)
	if fs.NArg() != 1 || *ver == "" {
		return errors.New("report: -version V DIR")
	}
	dir := fs.Arg(0)
	want := []string{
		"santral_%s_amd64.deb", "santral-webkit2-41_%s_amd64.deb", "santrald_%s_amd64.deb",
		"santral-%s-windows-amd64-setup.exe", "SHA256SUMS",
	}
	var missing []string
	fmt.Printf("%-52s %10s  %s\n", "dist/", "size", "")
	for _, w := range want {
		name := w
		if strings.Contains(w, "%s") {
			name = fmt.Sprintf(w, *ver)
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil {
			missing = append(missing, name)
			fmt.Printf("%-52s %10s\n", name, "MISSING")
			continue
		}
		note := ""
		if strings.HasSuffix(name, ".exe") {
			if st.Size() <= installerGoal {
				note = "within the 15 MB goal"
			} else {
				note = "OVER the 15 MB goal"
			}
			if *ca != "" {
				s, _ := verify(p, *ca)
				if s.Signed {
					note += "; signed by " + s.Subject
				} else {
					note += "; NOT SIGNED"
					missing = append(missing, name+" (signature)")
				}
			}
		}
		fmt.Printf("%-52s %8.1f MB  %s\n", name, float64(st.Size())/(1<<20), note)
	}
	if len(missing) > 0 {
		return fmt.Errorf("report: missing from %s: %s", dir, strings.Join(missing, ", "))
	}
	return nil
}
