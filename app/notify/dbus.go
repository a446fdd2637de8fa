package notify

import (
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

const (
	busName = "org.freedesktop.Notifications"
	objPath = "/org/freedesktop/Notifications"
)

// DBus sends notifications over the session bus and reports clicks.
type DBus struct {
	conn    *dbus.Conn
	onClick func(conversationID int64)
	mu      sync.Mutex
	byID    map[uint32]int64
	done    chan struct{}
}

// NewDBus connects to the session bus (DBUS_SESSION_BUS_ADDRESS). onClick runs on a click.
func NewDBus(appName string, onClick func(conversationID int64)) (*DBus, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("notify: no session bus: %w", err)
	}
	d := &DBus{conn: conn, onClick: onClick, byID: map[uint32]int64{}, done: make(chan struct{})}
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(busName), dbus.WithMatchMember("ActionInvoked")); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify: unable to listen for clicks: %w", err)
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	go d.listen(signals)
	return d, nil
}

func (d *DBus) listen(signals chan *dbus.Signal) {
	defer close(d.done)
	for s := range signals {
		if s.Name != busName+".ActionInvoked" || len(s.Body) < 2 {
			continue
		}
		id, _ := s.Body[0].(uint32)
		d.mu.Lock()
		conv, ok := d.byID[id]
		d.mu.Unlock()
		if ok && d.onClick != nil {
			d.onClick(conv)
		}
	}
}

// Notify raises a notification with a default action ("open the conversation").
func (d *DBus) Notify(n Notification) error {
	hints := map[string]dbus.Variant{"category": dbus.MakeVariant("im.received"), "desktop-entry": dbus.MakeVariant("santral")}
	if n.Sound {
		hints["sound-name"] = dbus.MakeVariant("message-new-instant")
	} else {
		hints["suppress-sound"] = dbus.MakeVariant(true)
	}
	// Hold the lock across the call: a click signal for this id can be read before the reply is
	// handled here, and the listener must not look the id up until it is recorded.
	d.mu.Lock()
	defer d.mu.Unlock()
	var id uint32
	call := d.conn.Object(busName, objPath).Call(busName+".Notify", 0,
		"Santral", uint32(0), "santral", n.Title, n.Body, []string{"default", "Open"}, hints, int32(-1))
	if err := call.Store(&id); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if n.ConversationID != 0 {
		d.byID[id] = n.ConversationID
	}
	return nil
}

// Close disconnects from the bus.
func (d *DBus) Close() error { return d.conn.Close() }
