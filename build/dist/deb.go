package main

// The Debian packages, from the nfpm definitions in build/linux: santral (the app, built
// against WebKitGTK 4.0), the same app built with webkit2_41 for distributions that ship only
// WebKitGTK 4.1, and santrald with its systemd unit.

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
)

func debCommand(args []string) error {
	fs := flag.NewFlagSet("deb", flag.ExitOnError)
	ver := fs.String("version", "", "the version (build/version.sh)")
	out := fs.String("out", "dist", "where the packages go")
	santrald := fs.String("santrald", "", "the santrald binary (linux/amd64)")
	app := fs.String("app", "", "the app built against WebKitGTK 4.0")
	app41 := fs.String("app41", "", "the app built with -tags webkit2_41 (WebKitGTK 4.1)")
	defs := fs.String("defs", "build/linux", "the nfpm definitions")
	fs.Parse(args)
	if *ver == "" || *santrald == "" || *app == "" || *app41 == "" {
		return fmt.Errorf("deb: -version, -santrald, -app and -app41 are required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "santral-deb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	icon := filepath.Join(tmp, "santral.png")
	if err := writeIcon("build/appicon.png", icon, 256); err != nil {
		return err
	}
	for _, p := range []struct {
		def, file string
		vars      map[string]string
	}{
		{"santral.nfpm.yaml", "santral_%s_amd64.deb", map[string]string{"APP": *app, "ICON": icon, "WEBKIT_DEPENDS": "libwebkit2gtk-4.0-37"}},
		{"santral.nfpm.yaml", "santral-webkit2-41_%s_amd64.deb", map[string]string{"APP": *app41, "ICON": icon, "WEBKIT_DEPENDS": "libwebkit2gtk-4.1-0"}},
		{"santrald.nfpm.yaml", "santrald_%s_amd64.deb", map[string]string{"SANTRALD": *santrald}},
	} {
		p.vars["VERSION"] = *ver
		target, err := filepath.Abs(filepath.Join(*out, fmt.Sprintf(p.file, *ver)))
		if err != nil {
			return err
		}
		if err := packageDeb(filepath.Join(*defs, p.def), target, p.vars); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(target), err)
		}
		fmt.Println("built", target)
	}
	return nil
}

// packageDeb fills a definition's ${VARS} (absolute paths) and writes the package. Paths in the
// definition are relative to its folder.
func packageDeb(def, target string, vars map[string]string) error {
	for k, v := range vars {
		if k != "VERSION" && k != "WEBKIT_DEPENDS" {
			abs, err := filepath.Abs(v)
			if err != nil {
				return err
			}
			vars[k] = abs
		}
	}
	mapping := func(name string) string {
		v, ok := vars[name]
		if !ok && !strings.HasPrefix(name, "NFPM_") { // nfpm asks for its own (signing passphrases)
			panic("build/linux: ${" + name + "} has no value")
		}
		return v
	}
	raw, err := os.ReadFile(def)
	if err != nil {
		return err
	}
	// nfpm reads the contents' relative paths from the working directory: the definition's.
	wd, _ := os.Getwd()
	if err := os.Chdir(filepath.Dir(def)); err != nil {
		return err
	}
	defer os.Chdir(wd)
	// Expanded before parsing: nfpm itself expands only some fields (not a content's src).
	cfg, err := nfpm.ParseWithEnvMapping(strings.NewReader(os.Expand(string(raw), mapping)), mapping)
	if err != nil {
		return err
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return err
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return err
	}
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return err
	}
	f, err := os.Create(target)
	if err != nil {
		return err
	}
	info.Target = target
	if err := pkg.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return err
	}
	return f.Close()
}

// writeIcon scales the 1024 px app icon down (a box filter: the size divides it) for the
// hicolor theme's 256x256 folder.
func writeIcon(src, dst string, size int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return err
	}
	b := img.Bounds()
	k := b.Dx() / size
	if k < 1 || b.Dx() != b.Dy() || b.Dx()%size != 0 {
		return fmt.Errorf("%s: want a square icon of a multiple of %d px, got %dx%d", src, size, b.Dx(), b.Dy())
	}
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, bl, a uint64
			for dy := 0; dy < k; dy++ {
				for dx := 0; dx < k; dx++ {
					c := color.NRGBA64Model.Convert(img.At(b.Min.X+x*k+dx, b.Min.Y+y*k+dy)).(color.NRGBA64)
					// Weighted by alpha, so transparent pixels do not darken the edges.
					r += uint64(c.R) * uint64(c.A)
					g += uint64(c.G) * uint64(c.A)
					bl += uint64(c.B) * uint64(c.A)
					a += uint64(c.A)
				}
			}
			n := uint64(k * k)
			if a == 0 {
				continue
			}
			out.SetNRGBA(x, y, color.NRGBA{R: uint8(r / a >> 8), G: uint8(g / a >> 8), B: uint8(bl / a >> 8), A: uint8(a / n >> 8)})
		}
	}
	w, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := png.Encode(w, out); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
