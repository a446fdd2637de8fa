package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"santral/backend/wire"
)

// The admin sets the app versions the workspace accepts; any app reads them without signing in,
// and a signed-in app hears of a change on its stream.
func TestAppVersionsSetByAdminReadWithoutLogin(t *testing.T) {
	e := start(t)
	anonymous := &client{t: t, base: e.url}

	var info wire.AppVersionsInfo
	anonymous.mustDo("GET", "/api/v1/app-versions", nil, &info, http.StatusOK)
	if info.Minimum != "" || info.Latest != "" || info.DownloadURL != "" {
		t.Fatalf("a new workspace sets no versions, got %+v", info)
	}
	if info.ServerVersion == "" {
		t.Fatal("the server's own version is missing")
	}

	agent := e.agent("ayse", nil)
	s, _ := agent.stream(0)
	defer s.close()

	want := wire.AppVersions{Minimum: "1.3.0", Latest: "1.4.2", DownloadURL: "https://it.example.com/santral/"}
	agent.refused(wire.CodeForbidden, "PUT", "/api/v1/app-versions", want)
	anonymous.refused(wire.CodeUnauthorized, "PUT", "/api/v1/app-versions", want)
	// A leading v is dropped; spaces trimmed.
	e.admin().mustDo("PUT", "/api/v1/app-versions", wire.AppVersions{Minimum: " v1.3.0", Latest: "1.4.2 ", DownloadURL: want.DownloadURL}, &info, http.StatusOK)
	if info.AppVersions != want {
		t.Fatalf("saved %+v, want %+v", info.AppVersions, want)
	}
	anonymous.mustDo("GET", "/api/v1/app-versions", nil, &info, http.StatusOK)
	if info.AppVersions != want {
		t.Fatalf("read %+v, want %+v", info.AppVersions, want)
	}
	ev := s.until(10*time.Second, "app_versions.changed", func(ev wire.Event) bool { return ev.Type == wire.EventAppVersionsChanged })
	var got wire.AppVersions
	if err := json.Unmarshal(ev.Data, &got); err != nil || got != want {
		t.Fatalf("the event carries %s, want %+v", ev.Data, want)
	}

	for _, v := range []wire.AppVersions{
		{Minimum: "1.3"},
		{Latest: "latest"},
		{Minimum: "1.5.0", Latest: "1.4.0"}, // latest older than minimum
		{DownloadURL: "file:///c:/santral.exe"},
		{DownloadURL: "santral.exe"},
	} {
		status, code := e.admin().do("PUT", "/api/v1/app-versions", v, nil)
		if status != http.StatusBadRequest || code != wire.CodeInvalid {
			t.Errorf("%+v: status %d code %s, want 400 invalid_field", v, status, code)
		}
	}
	anonymous.mustDo("GET", "/api/v1/app-versions", nil, &info, http.StatusOK)
	if info.AppVersions != want {
		t.Fatalf("a refused change changed the versions: %+v", info.AppVersions)
	}
	// Empty strings unset them.
	e.admin().mustDo("PUT", "/api/v1/app-versions", wire.AppVersions{}, &info, http.StatusOK)
	if info.AppVersions != (wire.AppVersions{}) {
		t.Fatalf("unset: %+v", info.AppVersions)
	}
}
