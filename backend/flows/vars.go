package flows

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"santral/backend/wire"
)

// Variables. A flow's texts, URLs and bodies refer to {{name}}: an attribute the flow collected
// (order_number), or one Santral knows (customer.name). An attribute not collected yet renders
// empty; a name that is neither is refused when the flow is published.

var variable = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\s*\}\}`)

// attributeName is what an attribute may be called: lower-case words joined by _ (no dots,
// which belong to the built-in names).
var attributeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Builtins are the variables Santral fills from the conversation.
var Builtins = []string{"customer.name", "customer.first_name", "customer.phone", "customer.email",
	"agent.name", "agent.first_name", "channel.name", "conversation.id"}

func isBuiltin(name string) bool {
	for _, b := range Builtins {
		if b == name {
			return true
		}
	}
	return false
}

// Context is what the built-in variables read, and the quick messages a message step may send.
type Context struct {
	Customer       wire.Contact
	AgentName      string // the agent who handed the conversation to the flow ("" for a default flow)
	ChannelName    string
	ChannelType    string
	ConversationID int64
	// QuickMessage returns a quick message's body by id (false: there is none).
	QuickMessage func(id int64) (string, bool)
}

func (c Context) builtin(name string) string {
	switch name {
	case "customer.name":
		return c.Customer.Name
	case "customer.first_name":
		return firstWord(c.Customer.Name)
	case "customer.phone":
		return c.Customer.Phone
	case "customer.email":
		return c.Customer.Email
	case "agent.name":
		return c.AgentName
	case "agent.first_name":
		return firstWord(c.AgentName)
	case "channel.name":
		return c.ChannelName
	case "conversation.id":
		if c.ConversationID == 0 {
			return ""
		}
		return strconv.FormatInt(c.ConversationID, 10)
	}
	return ""
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// render fills text's variables, each value passed through escape (nil: as it is).
func render(text string, attrs map[string]string, cx Context, escape func(string) string) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	return variable.ReplaceAllStringFunc(text, func(m string) string {
		name := variable.FindStringSubmatch(m)[1]
		v := attrs[name]
		if isBuiltin(name) {
			v = cx.builtin(name)
		}
		if escape != nil {
			return escape(v)
		}
		return v
	})
}

// variablesIn lists the variable names text refers to.
func variablesIn(text string) []string {
	var out []string
	for _, m := range variable.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// jsonEscape is a value placed inside a JSON string: "{\"order\": \"{{order_number}}\"}" stays
// JSON whatever the customer typed.
func jsonEscape(v string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	s := strings.TrimSuffix(b.String(), "\n")
	return s[1 : len(s)-1]
}

// headerValue keeps a value to one header line.
func headerValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, v)
}
