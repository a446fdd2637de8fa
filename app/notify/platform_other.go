//go:build !windows

package notify

// NewPlatform returns the OS's notifier: the session D-Bus's notification service (Linux, BSD).
func NewPlatform(appName string, onClick func(conversationID int64)) (Notifier, error) {
	return NewDBus(appName, onClick)
}
