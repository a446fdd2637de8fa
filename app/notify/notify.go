// Package notify raises OS notifications for the desktop app. On Linux it speaks
// org.freedesktop.Notifications over the session D-Bus (what GNOME, KDE, XFCE and dunst serve),
// with a default action so clicking the notification opens the conversation; on Windows it
// raises toasts (toast.go). NewPlatform picks the one of the OS.
package notify

// Notification is one OS notification.
type Notification struct {
	Title          string
	Body           string
	ConversationID int64 // opened when the notification is clicked
	Sound          bool
}

// Notifier raises notifications; OnClick is told the conversation of a clicked one.
type Notifier interface {
	Notify(n Notification) error
	Close() error
}

// Nop is a Notifier for platforms or sessions without a notification service.
type Nop struct{}

// Notify does nothing.
func (Nop) Notify(Notification) error { return nil }

// Close does nothing.
func (Nop) Close() error { return nil }
