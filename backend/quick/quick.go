// Package quick fills a quick message's variables. The server and the desktop app both use it,
// so a quick message reads the same whether rendered online or from the offline cache.
package quick

import (
	"regexp"
	"strings"
)

// Vars are the values a quick message may refer to.
type Vars struct {
	CustomerName  string
	CustomerPhone string
	AgentName     string
}

var variable = regexp.MustCompile(`\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}`)

// Render replaces {{customer.name}}, {{customer.first_name}}, {{customer.phone}},
// {{agent.name}} and {{agent.first_name}}. An unknown variable stays as written, so the agent
// sees it before sending rather than the customer seeing a blank.
func Render(text string, v Vars) string {
	return variable.ReplaceAllStringFunc(text, func(m string) string {
		name := variable.FindStringSubmatch(m)[1]
		switch name {
		case "customer.name":
			return v.CustomerName
		case "customer.first_name":
			return firstWord(v.CustomerName)
		case "customer.phone":
			return v.CustomerPhone
		case "agent.name":
			return v.AgentName
		case "agent.first_name":
			return firstWord(v.AgentName)
		}
		return m
	})
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
