package routing

import (
	"context"
	"net"
	"net/url"
	"strings"

	"santral/backend/store"
	"santral/backend/version"
	"santral/backend/wire"
)

// PutAppVersions validates and saves the app versions the workspace accepts, and tells every
// signed-in app in the same transaction.
func (s *Service) PutAppVersions(ctx context.Context, v wire.AppVersions) (wire.AppVersions, error) {
	v.Minimum, v.Latest, v.DownloadURL = strings.TrimSpace(v.Minimum), strings.TrimSpace(v.Latest), strings.TrimSpace(v.DownloadURL)
	var min, latest version.Semver
	var ok bool
	if v.Minimum != "" {
		if min, ok = version.Parse(v.Minimum); !ok {
			return v, wire.Invalid("minimum", "the minimum app version must look like 1.4.0")
		}
		v.Minimum = min.String()
	}
	if v.Latest != "" {
		if latest, ok = version.Parse(v.Latest); !ok {
			return v, wire.Invalid("latest", "the latest app version must look like 1.4.0")
		}
		v.Latest = latest.String()
	}
	if v.Minimum != "" && v.Latest != "" && latest.Compare(min) < 0 {
		return v, wire.Invalid("latest", "the latest app version cannot be older than the minimum")
	}
	if v.DownloadURL != "" {
		u, err := url.Parse(v.DownloadURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(v.DownloadURL) > 2048 {
			return v, wire.Invalid("download_url", "the download address must be an http(s) URL")
		}
		// Every app opens this link to install an update: over plain http anyone on the path
		// could hand out another installer. Loopback is no path (a test or a local mirror).
		if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			return v, &wire.Error{Code: wire.CodeDownloadURLNotHTTPS, Field: "download_url",
				Message: "the download address must be https (plain http only on this machine: localhost, 127.0.0.1, ::1)"}
		}
	}
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := tx.PutAppVersions(v); err != nil {
			return err
		}
		return tx.Append(wire.EventAppVersionsChanged, 0, store.Everyone, v)
	})
	return v, err
}

// loopbackHost reports whether host names this machine: localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
