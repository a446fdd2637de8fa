package main

// The Windows app's resources, linked into santral.exe as a .syso (what Wails' own build does
// with the same library): the icon Explorer and the taskbar show, the manifest (per-monitor
// DPI, common controls 6, Windows 10 and later) and the version Explorer's properties show.

import (
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/tc-hib/winres"
	"github.com/tc-hib/winres/version"
)

func winresCommand(args []string) error {
	fs := flag.NewFlagSet("winres", flag.ExitOnError)
	ver := fs.String("version", "", "the version (build/version.sh)")
	out := fs.String("out", "rsrc_windows_amd64.syso", "the object file (beside main.go)")
	ico := fs.String("ico", "", "also write the icon as an .ico file here (for the installer)")
	fs.Parse(args)
	if *ver == "" {
		return fmt.Errorf("winres: -version is required")
	}
	f, err := os.Open("build/appicon.png")
	if err != nil {
		return err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return err
	}
	icon, err := winres.NewIconFromResizedImage(img, []int{256, 64, 48, 32, 16})
	if err != nil {
		return err
	}
	rs := &winres.ResourceSet{}
	// The first icon group is the one Windows shows for the file.
	if err := rs.SetIcon(winres.Name("APPICON"), icon); err != nil {
		return err
	}
	rs.SetManifest(winres.AppManifest{
		Identity:            winres.AssemblyIdentity{Name: "Santral.Santral", Version: windowsVersion(*ver)},
		Description:         "Santral",
		Compatibility:       winres.Win10AndAbove,
		ExecutionLevel:      winres.AsInvoker,
		DPIAwareness:        winres.DPIPerMonitorV2,
		UseCommonControlsV6: true,
	})
	vi := version.Info{}
	vi.SetFileVersion(windowsVersionString(*ver))
	vi.SetProductVersion(windowsVersionString(*ver))
	for k, v := range map[string]string{
		version.ProductName: "Santral", version.CompanyName: "Santral", version.FileDescription: "Santral",
		version.ProductVersion: *ver, version.FileVersion: *ver, version.OriginalFilename: "santral.exe",
		version.InternalName: "santral", version.LegalCopyright: "© 2026 Santral",
	} {
		if err := vi.Set(0x0409, k, v); err != nil {
			return err
		}
	}
	rs.SetVersionInfo(vi)
	w, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := rs.WriteObject(w, winres.ArchAMD64); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if *ico != "" {
		if err := os.MkdirAll(filepath.Dir(*ico), 0o755); err != nil {
			return err
		}
		w, err := os.Create(*ico)
		if err != nil {
			return err
		}
		if err := icon.SaveICO(w); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	}
	return nil
}

// windowsVersion is the four numbers Windows wants: 1.4.0+3.gabc → 1.4.0.3 (the commits since
// the tag; 0 on the tag itself).
func windowsVersion(v string) [4]uint16 {
	var n [4]uint16
	var commits int
	base := v
	for i, c := range v {
		if c == '+' || c == '-' {
			base = v[:i]
			if c == '+' {
				fmt.Sscanf(v[i+1:], "%d", &commits)
			}
			break
		}
	}
	var a, b, c int
	fmt.Sscanf(base, "%d.%d.%d", &a, &b, &c)
	n[0], n[1], n[2], n[3] = uint16(a), uint16(b), uint16(c), uint16(commits)
	return n
}

func windowsVersionString(v string) string {
	n := windowsVersion(v)
	return fmt.Sprintf("%d.%d.%d.%d", n[0], n[1], n[2], n[3])
}
