package channels

import (
	"errors"
	"io"
	"testing"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestCapBodyFailsRatherThanTruncates(t *testing.T) {
	tooLarge := errors.New("too large")
	for _, tt := range []struct {
		size int64
		want error
	}{{9, nil}, {10, nil}, {11, tooLarge}, {1 << 20, tooLarge}} {
		b := CapBody(io.NopCloser(io.LimitReader(zeros{}, tt.size)), 10, tooLarge)
		n, err := io.Copy(io.Discard, b)
		if !errors.Is(err, tt.want) {
			t.Errorf("%d bytes: err %v, want %v", tt.size, err, tt.want)
		}
		if tt.want == nil && n != tt.size {
			t.Errorf("%d bytes: read %d", tt.size, n)
		}
	}
}
