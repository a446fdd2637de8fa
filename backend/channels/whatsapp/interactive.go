package whatsapp

import (
	"strings"
	"unicode/utf8"

	"santral/backend/wire"
)

// Interactive messages (a chatbot flow's questions): reply buttons (1–3, titles ≤ 20
// characters) or a list (one button that opens up to 10 rows, titles ≤ 24, descriptions ≤ 72),
// with a body ≤ 1024 characters and an optional text header and footer ≤ 60
// (send_interactive_buttons_request.json, send_interactive_list_request.json). The customer's
// choice comes back as button_reply / list_reply with the id sent here.

type interactive struct {
	Type   string            `json:"type"` // button | list
	Header *interactiveText  `json:"header,omitempty"`
	Body   interactiveText   `json:"body"`
	Footer *interactiveText  `json:"footer,omitempty"`
	Action interactiveAction `json:"action"`
}

type interactiveText struct {
	Type string `json:"type,omitempty"` // header only: "text"
	Text string `json:"text"`
}

type interactiveAction struct {
	Button   string        `json:"button,omitempty"`
	Buttons  []replyButton `json:"buttons,omitempty"`
	Sections []listSection `json:"sections,omitempty"`
}

type replyButton struct {
	Type  string `json:"type"` // reply
	Reply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"reply"`
}

type listSection struct {
	Title string    `json:"title,omitempty"` // needed only with more than one section
	Rows  []listRow `json:"rows"`
}

type listRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Limits of interactive messages.
const (
	MaxButtons        = 3
	MaxButtonTitle    = 20
	MaxRows           = 10
	MaxRowTitle       = 24
	MaxRowDescription = 72
	MaxInteractive    = 1024 // body
	MaxHeaderFooter   = 60
	MaxButtonID       = 256
	MaxRowID          = 200
)

func buildInteractive(text string, it *wire.Interactive) (*interactive, error) {
	body := strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return nil, &LimitError{Rule: RuleEmpty}
	case n > MaxInteractive:
		return nil, &LimitError{Rule: RuleInteractive, Max: MaxInteractive, Got: int64(n)}
	}
	out := &interactive{Body: interactiveText{Text: body}}
	if it.Header != "" {
		if utf8.RuneCountInString(it.Header) > MaxHeaderFooter {
			return nil, &LimitError{Rule: RuleInteractive, Max: MaxHeaderFooter, Got: int64(utf8.RuneCountInString(it.Header))}
		}
		out.Header = &interactiveText{Type: "text", Text: it.Header}
	}
	if it.Footer != "" {
		if utf8.RuneCountInString(it.Footer) > MaxHeaderFooter {
			return nil, &LimitError{Rule: RuleInteractive, Max: MaxHeaderFooter, Got: int64(utf8.RuneCountInString(it.Footer))}
		}
		out.Footer = &interactiveText{Text: it.Footer}
	}
	n := len(it.Choices)
	if it.Style == wire.StyleButtons {
		if n == 0 || n > MaxButtons {
			return nil, &LimitError{Rule: RuleInteractive, Max: MaxButtons, Got: int64(n)}
		}
		out.Type = "button"
		for _, c := range it.Choices {
			if utf8.RuneCountInString(c.Title) > MaxButtonTitle || c.Title == "" || len(c.ID) > MaxButtonID {
				return nil, &LimitError{Rule: RuleInteractive, Max: MaxButtonTitle, Got: int64(utf8.RuneCountInString(c.Title))}
			}
			b := replyButton{Type: "reply"}
			b.Reply.ID, b.Reply.Title = c.ID, c.Title
			out.Action.Buttons = append(out.Action.Buttons, b)
		}
		return out, nil
	}
	if n == 0 || n > MaxRows {
		return nil, &LimitError{Rule: RuleInteractive, Max: MaxRows, Got: int64(n)}
	}
	out.Type = "list"
	out.Action.Button = it.Button
	if out.Action.Button == "" || utf8.RuneCountInString(out.Action.Button) > MaxButtonTitle {
		return nil, &LimitError{Rule: RuleInteractive, Max: MaxButtonTitle, Got: int64(utf8.RuneCountInString(out.Action.Button))}
	}
	section := listSection{}
	for _, c := range it.Choices {
		if utf8.RuneCountInString(c.Title) > MaxRowTitle || c.Title == "" || utf8.RuneCountInString(c.Description) > MaxRowDescription || len(c.ID) > MaxRowID {
			return nil, &LimitError{Rule: RuleInteractive, Max: MaxRowTitle, Got: int64(utf8.RuneCountInString(c.Title))}
		}
		section.Rows = append(section.Rows, listRow{ID: c.ID, Title: c.Title, Description: c.Description})
	}
	out.Action.Sections = []listSection{section}
	return out, nil
}
