package flows

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"santral/backend/wire"
)

// How a question's choices are shown on each channel, and the limits the providers document
// (RESEARCH.md 4.3): WhatsApp reply buttons (at most 3, titles ≤ 20 characters) or a list (at
// most 10 rows, titles ≤ 24, descriptions ≤ 72); Messenger and Instagram quick replies (at most
// 13, titles ≤ 20); Telegram's inline keyboard (callback data ≤ 64 bytes: the choice's id, never
// its title); the website chat's own buttons; numbered lines where a channel has none (the
// sandbox), answered with the number.

// Limits of the providers, checked when a flow is published and before anything is sent.
const (
	WhatsAppMaxButtons     = 3
	WhatsAppButtonTitle    = 20
	WhatsAppMaxRows        = 10
	WhatsAppRowTitle       = 24
	WhatsAppRowDescription = 72
	WhatsAppListButton     = 20
	WhatsAppBody           = 1024
	WhatsAppHeaderFooter   = 60
	MetaMaxQuickReplies    = 13
	MetaQuickReplyTitle    = 20
	TelegramMaxButtons     = 100
	TelegramCallbackBytes  = 64
	WebchatMaxButtons      = 20
)

// ChannelTypes are the channels a flow can run on.
var ChannelTypes = []string{wire.ChannelWhatsApp, wire.ChannelMessenger, wire.ChannelInstagram, wire.ChannelTelegram,
	wire.ChannelWebchat, wire.ChannelSandbox}

// ChoiceID is what travels to the provider and back for a choice: the step's id and the
// choice's, so a press on an old question is told from an answer to the current one.
func ChoiceID(stepID, choiceID string) string { return stepID + ":" + choiceID }

// ListButton is a WhatsApp list's button label when the step names none.
const ListButton = "Seçenekler"

// fitChoices reports whether the choices of s can be shown on a channel type, and how; a
// problem names the limit broken (code, message).
func fitChoices(channelType string, s wire.FlowStep) (style string, code wire.Code, msg string) {
	n := len(s.Choices)
	longest, longestDesc := 0, 0
	for _, c := range s.Choices {
		longest = max(longest, utf8.RuneCountInString(c.Title))
		longestDesc = max(longestDesc, utf8.RuneCountInString(c.Description))
	}
	switch channelType {
	case wire.ChannelWhatsApp:
		if n <= WhatsAppMaxButtons && longest <= WhatsAppButtonTitle && longestDesc == 0 {
			return wire.StyleButtons, "", ""
		}
		switch {
		case n > WhatsAppMaxRows:
			return "", wire.CodeFlowChoicesOverLimit, fmt.Sprintf("WhatsApp shows at most %d choices (a list); this question has %d", WhatsAppMaxRows, n)
		case longest > WhatsAppRowTitle:
			return "", wire.CodeFlowChoiceTooLong, fmt.Sprintf("a WhatsApp list row's title is at most %d characters", WhatsAppRowTitle)
		case longestDesc > WhatsAppRowDescription:
			return "", wire.CodeFlowChoiceTooLong, fmt.Sprintf("a WhatsApp list row's description is at most %d characters", WhatsAppRowDescription)
		}
		return wire.StyleList, "", ""
	case wire.ChannelMessenger, wire.ChannelInstagram:
		switch {
		case n > MetaMaxQuickReplies:
			return "", wire.CodeFlowChoicesOverLimit, fmt.Sprintf("%s shows at most %d quick replies; this question has %d", channelType, MetaMaxQuickReplies, n)
		case longest > MetaQuickReplyTitle:
			return "", wire.CodeFlowChoiceTooLong, fmt.Sprintf("a %s quick reply's title is at most %d characters", channelType, MetaQuickReplyTitle)
		}
		return wire.StyleQuickReplies, "", ""
	case wire.ChannelTelegram:
		if n > TelegramMaxButtons {
			return "", wire.CodeFlowChoicesOverLimit, fmt.Sprintf("Telegram shows at most %d buttons; this question has %d", TelegramMaxButtons, n)
		}
		for _, c := range s.Choices {
			if len(ChoiceID(s.ID, c.ID)) > TelegramCallbackBytes {
				return "", wire.CodeFlowChoiceTooLong, fmt.Sprintf("Telegram's callback data (step and choice id) is at most %d bytes", TelegramCallbackBytes)
			}
		}
		return wire.StyleInlineKeyboard, "", ""
	case wire.ChannelWebchat:
		if n > WebchatMaxButtons {
			return "", wire.CodeFlowChoicesOverLimit, fmt.Sprintf("the website chat shows at most %d buttons; this question has %d", WebchatMaxButtons, n)
		}
		return wire.StyleButtons, "", ""
	}
	return wire.StyleNumbered, "", ""
}

// renderAsk is a question as the channel shows it: the text, and its choices.
func renderAsk(s wire.FlowStep, text string, attrs map[string]string, cx Context) (string, *wire.Interactive) {
	style, code, _ := fitChoices(cx.ChannelType, s)
	if code != "" {
		style = wire.StyleNumbered // published flows fit; a flow sent to another channel falls back
	}
	it := &wire.Interactive{Style: style}
	for _, c := range s.Choices {
		it.Choices = append(it.Choices, wire.InteractiveChoice{ID: ChoiceID(s.ID, c.ID), Title: c.Title, Description: c.Description})
	}
	if cx.ChannelType == wire.ChannelWhatsApp {
		it.Header = truncate(render(s.Header, attrs, cx, nil), WhatsAppHeaderFooter)
		it.Footer = truncate(render(s.Footer, attrs, cx, nil), WhatsAppHeaderFooter)
		text = truncate(text, WhatsAppBody)
		if style == wire.StyleList {
			it.Button = s.Button
			if it.Button == "" {
				it.Button = ListButton
			}
			it.Button = truncate(it.Button, WhatsAppListButton)
		}
	}
	if style == wire.StyleNumbered {
		var b strings.Builder
		b.WriteString(text)
		for i, c := range s.Choices {
			b.WriteString("\n" + strconv.Itoa(i+1) + ". " + c.Title)
		}
		text = b.String()
	}
	return text, it
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
