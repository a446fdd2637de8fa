package flows

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"santral/backend/wire"
)

// Publishing checks that a flow can run as written: every step reachable from the start, none a
// dead end, no round of steps that never waits for the customer, every question shown natively
// on every channel the flow is meant for, every {{variable}} known. Each problem is a typed
// error naming the field (definition.steps[2].choices[3].title); all are reported at once.

// Bounds of a definition.
const (
	MaxSteps       = 200
	MaxText        = 4096
	MaxTimeout     = 7 * 24 * 3600 // seconds: a week
	MaxRetries     = 5
	MaxHTTPWait    = 30 // seconds
	DefaultRetries = 2
)

var stepID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,24}$`)

// Lookups are what validation asks of the workspace.
type Lookups struct {
	EndReason    func(id int64) bool // an active end reason
	QuickMessage func(id int64) bool // a shared quick message
}

type checker struct {
	def      *wire.FlowDefinition
	problems []wire.Error
	index    map[string]int
}

func (c *checker) add(code wire.Code, field, format string, args ...any) {
	c.problems = append(c.problems, wire.Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
}

func stepField(i int, name string) string {
	f := fmt.Sprintf("definition.steps[%d]", i)
	if name != "" {
		f += "." + name
	}
	return f
}

// Validate lists the problems of def (none: it may be published). lk may leave either lookup
// nil (not checked).
func Validate(def *wire.FlowDefinition, lk Lookups) []wire.Error {
	c := &checker{def: def, index: map[string]int{}}
	if def == nil {
		c.add(wire.CodeFlowInvalid, "definition", "a flow needs a definition")
		return c.problems
	}
	if len(def.Steps) == 0 {
		c.add(wire.CodeFlowInvalid, "definition.steps", "a flow needs at least one step")
		return c.problems
	}
	if len(def.Steps) > MaxSteps {
		c.add(wire.CodeFlowInvalid, "definition.steps", "a flow has at most %d steps", MaxSteps)
		return c.problems
	}
	for i, ch := range def.Channels {
		if !slices.Contains(ChannelTypes, ch) {
			c.add(wire.CodeFlowInvalid, fmt.Sprintf("definition.channels[%d]", i), "unknown channel type %q", ch)
		}
	}
	for i, s := range def.Steps {
		if !stepID.MatchString(s.ID) {
			c.add(wire.CodeFlowInvalid, stepField(i, "id"), "a step id is 1–24 letters, digits, - or _")
			continue
		}
		if _, dup := c.index[s.ID]; dup {
			c.add(wire.CodeFlowInvalid, stepField(i, "id"), "two steps are called %q", s.ID)
			continue
		}
		c.index[s.ID] = i
	}
	if def.Start == "" {
		c.add(wire.CodeFlowInvalid, "definition.start", "name the step the flow starts with")
	} else if _, ok := c.index[def.Start]; !ok {
		c.add(wire.CodeFlowUnknownStep, "definition.start", "the flow starts with %q, which is not a step", def.Start)
	}
	defined := map[string]bool{}
	for _, s := range def.Steps {
		if s.Attribute != "" {
			defined[s.Attribute] = true
		}
		if s.HTTP != nil {
			for a := range s.HTTP.Map {
				defined[a] = true
			}
		}
	}
	for i, s := range def.Steps {
		c.step(i, s, lk, defined)
	}
	c.reachable()
	c.loops()
	return c.problems
}

// link checks one way out of a step: required, it must be there; present, it must name a step.
func (c *checker) link(i int, field, target string, required bool) {
	if target == "" {
		if required {
			c.add(wire.CodeFlowDeadEnd, stepField(i, field), "step %q leads nowhere: set %s", c.def.Steps[i].ID, field)
		}
		return
	}
	if _, ok := c.index[target]; !ok {
		c.add(wire.CodeFlowUnknownStep, stepField(i, field), "%q is not a step", target)
	}
}

func (c *checker) vars(i int, field, text string, defined map[string]bool) {
	for _, v := range variablesIn(text) {
		if !isBuiltin(v) && !defined[v] {
			c.add(wire.CodeFlowUnknownVariable, stepField(i, field), "{{%s}} is neither built in (%s) nor an attribute the flow collects", v, strings.Join(Builtins, ", "))
		}
	}
}

func (c *checker) text(i int, field, text string, required bool, defined map[string]bool) {
	switch {
	case required && strings.TrimSpace(text) == "":
		c.add(wire.CodeFlowInvalid, stepField(i, field), "this step needs a text")
	case utf8.RuneCountInString(text) > MaxText:
		c.add(wire.CodeFlowInvalid, stepField(i, field), "a text is at most %d characters", MaxText)
	case !utf8.ValidString(text):
		c.add(wire.CodeFlowInvalid, stepField(i, field), "the text is not valid UTF-8")
	}
	c.vars(i, field, text, defined)
}

func (c *checker) attribute(i int, name string, required bool) {
	switch {
	case name == "" && required:
		c.add(wire.CodeFlowInvalid, stepField(i, "attribute"), "name the attribute the answer is kept in")
	case name != "" && !attributeName.MatchString(name):
		c.add(wire.CodeFlowInvalid, stepField(i, "attribute"), "an attribute name is lower-case letters, digits and _ (up to 40), starting with a letter")
	}
}

func (c *checker) timeout(i int, s wire.FlowStep) {
	switch {
	case s.TimeoutSeconds < 0 || s.TimeoutSeconds > MaxTimeout:
		c.add(wire.CodeFlowInvalid, stepField(i, "timeout_seconds"), "a timeout is 0 (none) to %d seconds", MaxTimeout)
	case s.TimeoutSeconds > 0:
		c.link(i, "on_timeout", s.OnTimeout, true)
	case s.OnTimeout != "":
		c.add(wire.CodeFlowInvalid, stepField(i, "timeout_seconds"), "on_timeout needs a timeout")
	}
}

func (c *checker) retries(i int, s wire.FlowStep) {
	if s.Retries != nil && (*s.Retries < 0 || *s.Retries > MaxRetries) {
		c.add(wire.CodeFlowInvalid, stepField(i, "retries"), "the question is asked again 0 to %d times", MaxRetries)
	}
	c.link(i, "on_invalid", s.OnInvalid, false) // empty: the conversation is handed over
}

func (c *checker) channels() []string {
	if len(c.def.Channels) > 0 {
		return c.def.Channels
	}
	return ChannelTypes
}

func (c *checker) step(i int, s wire.FlowStep, lk Lookups, defined map[string]bool) {
	switch s.Type {
	case wire.StepMessage:
		if strings.TrimSpace(s.Text) == "" && s.Media == nil && s.QuickMessageID == 0 {
			c.add(wire.CodeFlowInvalid, stepField(i, "text"), "a message step sends a text, a file or a quick message")
		}
		c.text(i, "text", s.Text, false, defined)
		if s.Media != nil {
			c.media(i, s.Media)
		}
		if s.QuickMessageID != 0 && lk.QuickMessage != nil && !lk.QuickMessage(s.QuickMessageID) {
			c.add(wire.CodeFlowInvalid, stepField(i, "quick_message_id"), "quick message %d is not a shared quick message", s.QuickMessageID)
		}
		c.link(i, "next", s.Next, true)
	case wire.StepAsk:
		c.text(i, "text", s.Text, true, defined)
		c.text(i, "header", s.Header, false, defined)
		c.text(i, "footer", s.Footer, false, defined)
		c.attribute(i, s.Attribute, false)
		if len(s.Choices) == 0 {
			c.add(wire.CodeFlowInvalid, stepField(i, "choices"), "a question needs choices")
		}
		ids := map[string]bool{}
		for j, ch := range s.Choices {
			f := fmt.Sprintf("choices[%d]", j)
			switch {
			case !stepID.MatchString(ch.ID):
				c.add(wire.CodeFlowInvalid, stepField(i, f+".id"), "a choice id is 1–24 letters, digits, - or _")
			case ids[ch.ID]:
				c.add(wire.CodeFlowInvalid, stepField(i, f+".id"), "two choices are called %q", ch.ID)
			}
			ids[ch.ID] = true
			if strings.TrimSpace(ch.Title) == "" {
				c.add(wire.CodeFlowInvalid, stepField(i, f+".title"), "a choice needs a title")
			}
			if strings.Contains(ch.Title, "{{") {
				c.add(wire.CodeFlowInvalid, stepField(i, f+".title"), "a choice's title is shown as written: no {{variables}}")
			}
			c.link(i, f+".next", ch.Next, true)
		}
		for _, ch := range c.channels() {
			if _, code, msg := fitChoices(ch, s); code != "" {
				field := "choices"
				if code == wire.CodeFlowChoiceTooLong {
					field = c.longestChoice(s, ch)
				}
				c.add(code, stepField(i, field), "%s", msg)
			}
		}
		if s.Button != "" && utf8.RuneCountInString(s.Button) > WhatsAppListButton {
			c.add(wire.CodeFlowInvalid, stepField(i, "button"), "a list's button label is at most %d characters", WhatsAppListButton)
		}
		c.retries(i, s)
		c.timeout(i, s)
	case wire.StepCollect:
		c.text(i, "text", s.Text, true, defined)
		c.attribute(i, s.Attribute, true)
		c.text(i, "invalid_text", s.InvalidText, false, defined)
		switch s.Validate {
		case "", wire.ValidateText, wire.ValidateNumber, wire.ValidatePhone, wire.ValidateEmail:
		case wire.ValidatePattern:
			if _, err := anchored(s.Pattern); err != nil || s.Pattern == "" {
				c.add(wire.CodeFlowInvalid, stepField(i, "pattern"), "the pattern is not a regular expression (RE2 syntax)")
			}
		default:
			c.add(wire.CodeFlowInvalid, stepField(i, "validate"), "validate is text, number, phone, email or pattern")
		}
		c.retries(i, s)
		c.timeout(i, s)
		c.link(i, "next", s.Next, true)
	case wire.StepWait:
		c.attribute(i, s.Attribute, false)
		c.timeout(i, s)
		c.link(i, "next", s.Next, true)
	case wire.StepSet:
		c.attribute(i, s.Attribute, true)
		c.text(i, "value", s.Value, false, defined)
		c.link(i, "next", s.Next, true)
	case wire.StepBranch:
		if len(s.Rules) == 0 {
			c.add(wire.CodeFlowInvalid, stepField(i, "rules"), "a branch needs rules")
		}
		for j, r := range s.Rules {
			f := fmt.Sprintf("rules[%d]", j)
			if !isBuiltin(r.Attribute) && !defined[r.Attribute] {
				c.add(wire.CodeFlowUnknownVariable, stepField(i, f+".attribute"), "%q is neither built in nor an attribute the flow collects", r.Attribute)
			}
			switch r.Op {
			case "equals", "not_equals", "contains", "empty", "not_empty":
			case "matches":
				if _, err := regexp.Compile(r.Value); err != nil {
					c.add(wire.CodeFlowInvalid, stepField(i, f+".value"), "not a regular expression (RE2 syntax)")
				}
			case "gt", "lt":
				if _, ok := number(r.Value); !ok {
					c.add(wire.CodeFlowInvalid, stepField(i, f+".value"), "gt and lt compare with a number")
				}
			default:
				c.add(wire.CodeFlowInvalid, stepField(i, f+".op"), "op is equals, not_equals, contains, matches, empty, not_empty, gt or lt")
			}
			c.vars(i, f+".value", r.Value, defined)
			c.link(i, f+".next", r.Next, true)
		}
		c.link(i, "else", s.Else, true)
	case wire.StepHTTP:
		c.http(i, s, defined)
		c.link(i, "next", s.Next, true)
		c.link(i, "on_failure", s.OnFailure, true)
	case wire.StepHandover:
		switch s.Priority {
		case "", "normal", "high":
		default:
			c.add(wire.CodeFlowInvalid, stepField(i, "priority"), "priority is normal or high")
		}
		if utf8.RuneCountInString(s.Tag) > 40 {
			c.add(wire.CodeFlowInvalid, stepField(i, "tag"), "a tag is at most 40 characters")
		}
	case wire.StepEnd:
		switch {
		case s.EndReasonID == 0:
			c.add(wire.CodeFlowInvalid, stepField(i, "end_reason_id"), "an end step needs an end reason")
		case lk.EndReason != nil && !lk.EndReason(s.EndReasonID):
			c.add(wire.CodeFlowInvalid, stepField(i, "end_reason_id"), "end reason %d is not in the list", s.EndReasonID)
		}
	default:
		c.add(wire.CodeFlowInvalid, stepField(i, "type"), "unknown step type %q", s.Type)
	}
}

// longestChoice names the field of the choice that breaks a channel's title limit.
func (c *checker) longestChoice(s wire.FlowStep, channel string) string {
	limit := MetaQuickReplyTitle
	if channel == wire.ChannelWhatsApp {
		limit = WhatsAppRowTitle
	}
	for j, ch := range s.Choices {
		if utf8.RuneCountInString(ch.Title) > limit {
			return fmt.Sprintf("choices[%d].title", j)
		}
		if channel == wire.ChannelWhatsApp && utf8.RuneCountInString(ch.Description) > WhatsAppRowDescription {
			return fmt.Sprintf("choices[%d].description", j)
		}
		if channel == wire.ChannelTelegram && len(ChoiceID(s.ID, ch.ID)) > TelegramCallbackBytes {
			return fmt.Sprintf("choices[%d].id", j)
		}
	}
	return "choices"
}

func (c *checker) media(i int, m *wire.FlowMedia) {
	switch m.Kind {
	case "image", "document", "video", "audio":
	default:
		c.add(wire.CodeFlowInvalid, stepField(i, "media.kind"), "a file is an image, document, video or audio")
	}
	if u, err := url.Parse(m.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		c.add(wire.CodeFlowInvalid, stepField(i, "media.url"), "a file is an http(s) link the channel can fetch")
	}
}

func (c *checker) http(i int, s wire.FlowStep, defined map[string]bool) {
	h := s.HTTP
	if h == nil {
		c.add(wire.CodeFlowInvalid, stepField(i, "http"), "an HTTP step needs its request")
		return
	}
	switch h.Method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		c.add(wire.CodeFlowInvalid, stepField(i, "http.method"), "method is GET, POST, PUT, PATCH or DELETE")
	}
	// The URL with every variable filled in must still be an http(s) URL.
	filled := variable.ReplaceAllString(h.URL, "x")
	if u, err := url.Parse(filled); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Contains(hostPart(h.URL), "{{") {
		c.add(wire.CodeFlowInvalid, stepField(i, "http.url"), "the URL must be http(s) with a fixed host (variables go in the path or query)")
	}
	c.vars(i, "http.url", h.URL, defined)
	c.vars(i, "http.body", h.Body, defined)
	for k, v := range h.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			c.add(wire.CodeFlowInvalid, stepField(i, "http.headers"), "%q is not a header name", k)
		}
		c.vars(i, "http.headers."+k, v, defined)
	}
	if h.TimeoutSeconds < 0 || h.TimeoutSeconds > MaxHTTPWait {
		c.add(wire.CodeFlowInvalid, stepField(i, "http.timeout_seconds"), "an HTTP step waits 1 to %d seconds (0: 10)", MaxHTTPWait)
	}
	for a, path := range h.Map {
		if !attributeName.MatchString(a) {
			c.add(wire.CodeFlowInvalid, stepField(i, "http.map."+a), "an attribute name is lower-case letters, digits and _ (up to 40), starting with a letter")
		}
		if strings.TrimSpace(path) == "" {
			c.add(wire.CodeFlowInvalid, stepField(i, "http.map."+a), "name the field of the answer (order.status)")
		}
	}
}

// hostPart is the authority of a URL as written ("" when it has none).
func hostPart(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}

// edges are the steps a step may lead to.
func edges(s wire.FlowStep) []string {
	var out []string
	add := func(t string) {
		if t != "" {
			out = append(out, t)
		}
	}
	add(s.Next)
	for _, ch := range s.Choices {
		add(ch.Next)
	}
	for _, r := range s.Rules {
		add(r.Next)
	}
	add(s.Else)
	add(s.OnInvalid)
	add(s.OnTimeout)
	add(s.OnFailure)
	return out
}

func (c *checker) reachable() {
	if _, ok := c.index[c.def.Start]; !ok {
		return
	}
	seen := map[string]bool{c.def.Start: true}
	todo := []string{c.def.Start}
	for len(todo) > 0 {
		id := todo[0]
		todo = todo[1:]
		for _, t := range edges(c.def.Steps[c.index[id]]) {
			if _, ok := c.index[t]; ok && !seen[t] {
				seen[t] = true
				todo = append(todo, t)
			}
		}
	}
	for i, s := range c.def.Steps {
		if _, indexed := c.index[s.ID]; indexed && !seen[s.ID] && c.index[s.ID] == i {
			c.add(wire.CodeFlowUnreachable, stepField(i, ""), "no path from the start leads to step %q", s.ID)
		}
	}
}

// waits reports whether a step stops for the customer: a round of steps must include one, or
// the flow would go round for ever without them (an HTTP step does not count: a round through
// it would call the URL again and again).
func waits(t string) bool {
	return t == wire.StepAsk || t == wire.StepCollect || t == wire.StepWait
}

func (c *checker) loops() {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	reported := false
	var visit func(id string)
	visit = func(id string) {
		color[id] = grey
		s := c.def.Steps[c.index[id]]
		if !waits(s.Type) {
			for _, t := range edges(s) {
				if _, ok := c.index[t]; !ok || waits(c.def.Steps[c.index[t]].Type) {
					continue
				}
				switch color[t] {
				case grey:
					if !reported {
						reported = true
						c.add(wire.CodeFlowLoop, stepField(c.index[id], ""), "steps %q … %q go round without waiting for the customer: put a question or a wait in the round", t, id)
					}
				case white:
					visit(t)
				}
			}
		}
		color[id] = black
	}
	for _, s := range c.def.Steps {
		if _, ok := c.index[s.ID]; ok && color[s.ID] == white {
			visit(s.ID)
		}
	}
}

// number reads a number as customers and admins write it: "12", "12.5", "12,5".
func number(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.Replace(strings.TrimSpace(s), ",", ".", 1), 64)
	return f, err == nil
}

func anchored(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + pattern + `)$`)
}
