package routing

import (
	"context"

	"santral/backend/store"
	"santral/backend/wire"
)

// SaveChannel creates (ID 0) or changes a channel account. channels.changed tells every user
// (and the website chat's sockets) the channel's name and whether it is switched on — never its
// settings or credentials.
func (s *Service) SaveChannel(ctx context.Context, c store.ChannelRow) (int64, error) {
	var id int64
	err := s.do(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = tx.SaveChannel(c); err != nil {
			return err
		}
		c.ID = id
		return tx.Append(wire.EventChannelsChanged, 0, store.Everyone, wire.ChannelData{Channel: c.Channel, Enabled: c.Enabled})
	})
	return id, err
}
