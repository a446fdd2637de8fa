package sync

import (
	"errors"
	"fmt"
	"testing"
)

// The UI words why the link is down from State.Reason, never from the Go error.
func TestReasonNamesWhyTheLinkIsDown(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("%w: dial tcp 127.0.0.1:8080: connect: connection refused", errUnreachable), ReasonUnreachable},
		{fmt.Errorf("%w: %w (websocket: close 1001 (going away))", errUnreachable, errGoingAway), ReasonServerRestarting},
		{errors.New("websocket: close 1006 (abnormal closure): unexpected EOF"), ReasonConnectionLost},
	} {
		if got := reasonOf(c.err); got != c.want {
			t.Errorf("reasonOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
