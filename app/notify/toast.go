package notify

// Windows toast notifications through git.sr.ht/~jackmordaunt/go-toast (the library beeep and
// Gio use): the app registers itself under an AppUserModelID with a COM activator, so clicking
// a toast — also from the Action Center, and also after the app was closed (Windows then starts
// santral.exe -Embedding) — calls back with the toast's arguments, which name the conversation.
// The package compiles on every platform (go-toast is a no-op elsewhere), so the mapping is
// tested on Linux; the registration and the COM calls run on Windows only.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"git.sr.ht/~jackmordaunt/go-toast"
)

// toastGUID is the COM class id Windows activates for Santral's toasts. It must stay the
// same across versions: the Action Center keeps old toasts that point at it.
const toastGUID = "{6C1F4E0B-8A0D-4C45-9C4E-5A2B7D1E9F31}"

// Toast raises Windows toast notifications.
type Toast struct {
	appID string
	exe   string
	mu    sync.Mutex
}

// NewToast registers the app for toasts (HKCU: its name, icon and activator) and routes
// clicks to onClick.
func NewToast(appName string, onClick func(conversationID int64)) (*Toast, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := toast.SetAppData(toast.AppData{AppID: appName, GUID: toastGUID, ActivationExe: exe, IconPath: exe}); err != nil {
		return nil, fmt.Errorf("notify: unable to register for toasts: %w", err)
	}
	toast.SetActivationCallback(func(args string, _ []toast.UserData) {
		if id, ok := conversationFromArgs(args); ok {
			onClick(id)
		}
	})
	return &Toast{appID: appName, exe: exe}, nil
}

// Notify shows one toast.
func (t *Toast) Notify(n Notification) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	tn := toastFor(t.appID, t.exe, n)
	return tn.Push()
}

// Close does nothing: toasts outlive the app in the Action Center, and a click then starts it.
func (t *Toast) Close() error { return nil }

// toastFor is the toast of a notification: clicking it brings the app forward on the
// conversation (foreground activation with its id as the argument); the instant-message sound
// or none, by the user's setting.
func toastFor(appID, exe string, n Notification) toast.Notification {
	audio := toast.Silent
	if n.Sound {
		audio = toast.IM
	}
	return toast.Notification{
		AppID:               appID,
		Title:               cdata(n.Title),
		Body:                cdata(n.Body),
		ActivationType:      toast.Foreground,
		ActivationArguments: toastArgs(n.ConversationID),
		ActivationExe:       exe,
		Audio:               audio,
		Duration:            toast.Short,
	}
}

// cdata keeps a customer's text from ending the CDATA section go-toast's template puts it in.
func cdata(s string) string { return strings.ReplaceAll(s, "]]>", "]] >") }

func toastArgs(conversationID int64) string {
	return "conversation=" + strconv.FormatInt(conversationID, 10)
}

// conversationFromArgs reads a clicked toast's arguments; 0 opens the window without a
// conversation.
func conversationFromArgs(args string) (int64, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(args), "conversation=")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id >= 0
}
