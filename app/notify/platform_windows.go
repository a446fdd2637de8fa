package notify

// NewPlatform returns the OS's notifier: toasts on Windows.
func NewPlatform(appName string, onClick func(conversationID int64)) (Notifier, error) {
	return NewToast(appName, onClick)
}
