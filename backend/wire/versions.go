package wire

// AppVersions are the desktop app versions the workspace accepts, set by admins: an app older
// than Minimum shows only an "update required" screen (before sign-in), one older than Latest
// a notice the agent may dismiss. Empty: not set. DownloadURL is where agents (or IT) get it.
type AppVersions struct {
	Minimum     string `json:"minimum"`
	Latest      string `json:"latest"`
	DownloadURL string `json:"download_url"`
}

// AppVersionsInfo is GET /api/v1/app-versions: the admin's setting and this server's own
// version. Unauthenticated, because an app must learn it cannot be used before anyone signs in.
type AppVersionsInfo struct {
	AppVersions
	ServerVersion string `json:"server_version"`
}

// EventAppVersionsChanged carries the new AppVersions to every signed-in app, so one that is
// running learns of a new minimum or latest at once.
const EventAppVersionsChanged = "app_versions.changed"
