package routing

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"santral/backend/wire"
)

// What each channel accepts in one agent message, checked when the agent sends (a clear refusal
// at once) and again by the adapter before any API call. Figures from the providers'
// documentation (backend/channels/testdata/README.md).
type channelLimits struct {
	files        int              // attachments per message
	textWithFile bool             // the text goes along as the file's caption
	caption      int              // caption length, in characters
	size         map[string]int64 // bytes per attachment kind; a kind missing is not accepted
}

const mb = 1 << 20

var channelNames = map[string]string{wire.ChannelWhatsApp: "WhatsApp", wire.ChannelMessenger: "Messenger",
	wire.ChannelInstagram: "Instagram", wire.ChannelTelegram: "Telegram"}

var limits = map[string]channelLimits{
	wire.ChannelWhatsApp: {files: 1, textWithFile: true, caption: 1024,
		size: map[string]int64{"image": 5 * mb, "audio": 16 * mb, "video": 16 * mb, "document": 100 * mb, "sticker": 100 << 10}},
	wire.ChannelMessenger: {files: 1, size: map[string]int64{"image": 25 * mb, "audio": 25 * mb, "video": 25 * mb, "document": 25 * mb}},
	wire.ChannelInstagram: {files: 1, size: map[string]int64{"image": 8 * mb, "audio": 25 * mb, "video": 25 * mb}},
	wire.ChannelTelegram: {files: 1, textWithFile: true, caption: 1024,
		size: map[string]int64{"image": 10 * mb, "audio": 50 * mb, "video": 50 * mb, "document": 50 * mb}},
}

// checkChannelLimits refuses what the channel would refuse, saying why.
func checkChannelLimits(channelType, body string, attachments []wire.Attachment) error {
	l, ok := limits[channelType]
	if !ok || len(attachments) == 0 {
		return nil
	}
	name := channelNames[channelType]
	if len(attachments) > l.files {
		return wire.Invalid("attachments", "%s takes one file per message: send the files one by one", name)
	}
	a := attachments[0]
	if !strings.HasPrefix(a.URL, "/api/v1/media/") {
		return wire.Invalid("attachments", "upload the file first (POST /api/v1/conversations/{id}/attachments)")
	}
	max, ok := l.size[a.Kind]
	if !ok {
		return wire.Invalid("attachments", "%s does not take %s files", name, a.Kind)
	}
	if a.Size > max {
		return wire.Invalid("attachments", "%s takes %s files up to %s; this one is %s", name, a.Kind, human(max), human(a.Size))
	}
	if strings.TrimSpace(body) != "" {
		if !l.textWithFile {
			return wire.Invalid("attachments", "%s sends a file without text: send the text as its own message", name)
		}
		if utf8.RuneCountInString(body) > l.caption {
			return wire.Invalid("body", "the text sent with a file can be at most %d characters on %s", l.caption, name)
		}
	}
	return nil
}

func human(n int64) string {
	switch {
	case n >= mb:
		return fmt.Sprintf("%.0f MB", float64(n)/mb)
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
