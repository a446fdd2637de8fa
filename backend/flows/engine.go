// Package flows is the chatbot flow engine (PRODUCT.md rule 7): a flow's definition, its
// validation before publishing, and the step machine that moves a conversation through it.
//
// The engine decides and does nothing else: Advance takes where a conversation is in a flow and
// what happened (the flow starts, the customer answered, a timeout fired, an HTTP step's call
// came back) and returns where it is now, what to send and whether it waits or exits. It reads
// no database and calls no URL, so the rule service runs it inside the transaction that records
// its outcome, and the try-it simulator runs the very same steps without a customer.
package flows

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"santral/backend/wire"
)

// Run is where a conversation is in a flow: the step it waits at ("" before the start), the
// attributes collected so far, and how many answers in a row did not fit the question.
type Run struct {
	Step       string
	Attributes map[string]string
	Tries      int
}

// InputKind is what happened to a run.
type InputKind int

const (
	Start    InputKind = iota // the conversation enters the flow
	Answer                    // the customer wrote (or pressed a choice)
	Timeout                   // the waiting step's timeout passed
	HTTPDone                  // the HTTP step's call came back (or failed)
)

// Input is one event for Advance.
type Input struct {
	Kind   InputKind
	Text   string      // Answer: what the customer wrote
	Choice string      // Answer: the choice id the channel carried back (ChoiceID), if any
	HTTP   *HTTPResult // HTTPDone
}

// Send is a message the flow sends.
type Send struct {
	Body        string
	Attachments []wire.Attachment
	Interactive *wire.Interactive
}

// Wait says what the run waits for at its step.
type Wait struct {
	HTTP    *HTTPRequest  // an HTTP step's call, to be made outside the transaction
	Timeout time.Duration // waiting for the customer: the step's timeout (0: none)
}

// Exit ends the run: the conversation goes to the queue (handover) or ends.
type Exit struct {
	Kind        string // ExitHandover | ExitEnd
	Tag         string
	Priority    string // "high": the head of the queue
	EndReasonID int64
	Why         string // what led there, for the timeline: a step id, "invalid_answers", "loop"
}

// Exits.
const (
	ExitHandover = "handover"
	ExitEnd      = "end"
)

// Result is Advance's outcome. Exactly one of Wait and Exit is set, unless Ignored: the input
// changes nothing (a message while an HTTP step runs, a timeout of a step that has none), and
// nothing should be written.
type Result struct {
	Run     Run
	Sends   []Send
	Wait    *Wait
	Exit    *Exit
	Ignored bool
	Trace   []string // the steps passed, in order
}

// maxPass bounds the steps one Advance passes without waiting (validation refuses rounds that
// never wait; an old or imported definition could still have one).
const maxPass = 100

// maxAttribute bounds a collected value (characters).
const maxAttribute = 1000

// Advance moves run through def by one input.
func Advance(def *wire.FlowDefinition, run Run, in Input, cx Context) Result {
	e := &engine{def: def, cx: cx, index: make(map[string]int, len(def.Steps))}
	for i, s := range def.Steps {
		e.index[s.ID] = i
	}
	attrs := make(map[string]string, len(run.Attributes)+2)
	for k, v := range run.Attributes {
		attrs[k] = v
	}
	e.res.Run = Run{Step: run.Step, Attributes: attrs, Tries: run.Tries}
	if in.Kind == Start {
		e.from(def.Start)
		return e.res
	}
	s, ok := e.step(run.Step)
	if !ok {
		e.exit(&Exit{Kind: ExitHandover, Why: "unknown_step"})
		return e.res
	}
	switch in.Kind {
	case Timeout:
		if !waits(s.Type) || s.OnTimeout == "" {
			e.res.Ignored = true
			return e.res
		}
		e.trace(s.ID + ":timeout")
		e.from(s.OnTimeout)
	case Answer:
		switch s.Type {
		case wire.StepAsk:
			if ch, ok := matchChoice(s, in); ok {
				if s.Attribute != "" {
					attrs[s.Attribute] = ch.ID
				}
				e.trace(s.ID + ":" + ch.ID)
				e.from(ch.Next)
			} else {
				e.invalid(s)
			}
		case wire.StepCollect:
			if v, ok := validAnswer(s, in.Text); ok {
				attrs[s.Attribute] = v
				e.trace(s.ID + ":ok")
				e.from(s.Next)
			} else {
				e.invalid(s)
			}
		case wire.StepWait:
			if s.Attribute != "" {
				attrs[s.Attribute] = clip(strings.TrimSpace(in.Text))
			}
			e.trace(s.ID + ":answered")
			e.from(s.Next)
		default:
			e.res.Ignored = true // an HTTP step is running: the message is kept, the flow goes on when it answers
		}
	case HTTPDone:
		if s.Type != wire.StepHTTP || in.HTTP == nil {
			e.res.Ignored = true
			return e.res
		}
		if !in.HTTP.OK {
			e.trace(s.ID + ":failed")
			e.from(s.OnFailure)
			return e.res
		}
		for k, v := range in.HTTP.Fields {
			attrs[k] = clip(v)
		}
		e.trace(s.ID + ":ok")
		e.from(s.Next)
	}
	return e.res
}

type engine struct {
	def   *wire.FlowDefinition
	cx    Context
	index map[string]int
	res   Result
	pass  int
}

func (e *engine) step(id string) (wire.FlowStep, bool) {
	i, ok := e.index[id]
	if !ok {
		return wire.FlowStep{}, false
	}
	return e.def.Steps[i], true
}

func (e *engine) trace(s string) { e.res.Trace = append(e.res.Trace, s) }

func (e *engine) exit(x *Exit) {
	e.res.Exit = x
	e.res.Wait = nil
}

func (e *engine) say(body string, atts []wire.Attachment, it *wire.Interactive) {
	if strings.TrimSpace(body) == "" && len(atts) == 0 {
		return
	}
	e.res.Sends = append(e.res.Sends, Send{Body: body, Attachments: atts, Interactive: it})
}

// from runs steps from id until one waits or exits.
func (e *engine) from(id string) {
	for {
		e.pass++
		s, ok := e.step(id)
		switch {
		case !ok:
			e.exit(&Exit{Kind: ExitHandover, Why: "unknown_step"})
			return
		case e.pass > maxPass:
			e.exit(&Exit{Kind: ExitHandover, Why: "loop"})
			return
		}
		e.res.Run.Step = s.ID
		e.trace(s.ID)
		attrs := e.res.Run.Attributes
		switch s.Type {
		case wire.StepMessage:
			e.message(s)
			id = s.Next
		case wire.StepSet:
			attrs[s.Attribute] = clip(render(s.Value, attrs, e.cx, nil))
			id = s.Next
		case wire.StepBranch:
			id = s.Else
			for _, r := range s.Rules {
				if holds(r, attrs, e.cx) {
					id = r.Next
					break
				}
			}
		case wire.StepAsk, wire.StepCollect:
			e.res.Run.Tries = 0
			e.ask(s)
			return
		case wire.StepWait:
			e.res.Run.Tries = 0
			e.res.Wait = &Wait{Timeout: time.Duration(s.TimeoutSeconds) * time.Second}
			return
		case wire.StepHTTP:
			e.res.Wait = &Wait{HTTP: buildRequest(s.HTTP, attrs, e.cx)}
			return
		case wire.StepHandover:
			e.exit(&Exit{Kind: ExitHandover, Tag: s.Tag, Priority: s.Priority, Why: s.ID})
			return
		case wire.StepEnd:
			e.exit(&Exit{Kind: ExitEnd, EndReasonID: s.EndReasonID, Why: s.ID})
			return
		default:
			e.exit(&Exit{Kind: ExitHandover, Why: "unknown_step"})
			return
		}
	}
}

func (e *engine) message(s wire.FlowStep) {
	attrs := e.res.Run.Attributes
	text := render(s.Text, attrs, e.cx, nil)
	if s.QuickMessageID != 0 && e.cx.QuickMessage != nil {
		if body, ok := e.cx.QuickMessage(s.QuickMessageID); ok {
			text = strings.TrimSpace(strings.TrimSpace(text) + "\n" + render(body, attrs, e.cx, nil))
		}
	}
	if s.Media == nil {
		e.say(text, nil, nil)
		return
	}
	a := wire.Attachment{Kind: s.Media.Kind, URL: s.Media.URL, Name: s.Media.Name, MimeType: s.Media.MimeType}
	if a.Kind == "audio" {
		// Audio carries no caption on any channel: the text goes first, on its own.
		e.say(text, nil, nil)
		e.say("", []wire.Attachment{a}, nil)
		return
	}
	e.say(text, []wire.Attachment{a}, nil)
}

// ask sends a question and waits for its answer.
func (e *engine) ask(s wire.FlowStep) {
	text := render(s.Text, e.res.Run.Attributes, e.cx, nil)
	if s.Type == wire.StepAsk {
		body, it := renderAsk(s, text, e.res.Run.Attributes, e.cx)
		e.say(body, nil, it)
	} else {
		e.say(text, nil, nil)
	}
	e.res.Wait = &Wait{Timeout: time.Duration(s.TimeoutSeconds) * time.Second}
}

// invalid handles an answer that does not fit the question: asked again up to the step's
// retries, then on to OnInvalid (none: a person takes over).
func (e *engine) invalid(s wire.FlowStep) {
	e.res.Run.Tries++
	retries := DefaultRetries
	if s.Retries != nil {
		retries = *s.Retries
	}
	e.trace(s.ID + ":invalid")
	if e.res.Run.Tries > retries {
		if s.OnInvalid == "" {
			e.exit(&Exit{Kind: ExitHandover, Why: "invalid_answers"})
			return
		}
		e.from(s.OnInvalid)
		return
	}
	if s.InvalidText != "" {
		e.say(render(s.InvalidText, e.res.Run.Attributes, e.cx, nil), nil, nil)
	}
	tries := e.res.Run.Tries
	e.ask(s)
	e.res.Run.Tries = tries
}

// matchChoice finds the choice an answer picks: the id the channel carried back (for this very
// question; a press on an older one is no answer to it), the choice's number, its title or its
// id as typed (letters folded: "sipariş durumu" picks "Sipariş durumu").
func matchChoice(s wire.FlowStep, in Input) (wire.FlowChoice, bool) {
	if in.Choice != "" {
		for _, c := range s.Choices {
			if ChoiceID(s.ID, c.ID) == in.Choice {
				return c, true
			}
		}
		return wire.FlowChoice{}, false
	}
	text := strings.TrimSpace(in.Text)
	if n, err := strconv.Atoi(strings.TrimSuffix(text, ".")); err == nil && n >= 1 && n <= len(s.Choices) {
		return s.Choices[n-1], true
	}
	f := fold(text)
	for _, c := range s.Choices {
		if f != "" && (fold(c.Title) == f || fold(c.ID) == f) {
			return c, true
		}
	}
	return wire.FlowChoice{}, false
}

// ChoiceTitle is the title of the choice a channel's id names in def (false: none).
func ChoiceTitle(def *wire.FlowDefinition, choiceID string) (string, bool) {
	stepID, _, ok := strings.Cut(choiceID, ":")
	if !ok {
		return "", false
	}
	for _, s := range def.Steps {
		if s.ID != stepID {
			continue
		}
		for _, c := range s.Choices {
			if ChoiceID(s.ID, c.ID) == choiceID {
				return c.Title, true
			}
		}
	}
	return "", false
}

var foldLetters = strings.NewReplacer("ş", "s", "Ş", "s", "ğ", "g", "Ğ", "g", "ı", "i", "I", "i", "İ", "i",
	"ö", "o", "Ö", "o", "ü", "u", "Ü", "u", "ç", "c", "Ç", "c")

func fold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(foldLetters.Replace(s))), " ")
}

var (
	phoneChars = regexp.MustCompile(`^\+?[0-9 ()./-]+$`)
	digits     = regexp.MustCompile(`[0-9]`)
)

// validAnswer checks a collect step's answer and returns the value to keep.
func validAnswer(s wire.FlowStep, text string) (string, bool) {
	v := strings.TrimSpace(text)
	if v == "" || utf8.RuneCountInString(v) > maxAttribute {
		return "", false
	}
	switch s.Validate {
	case wire.ValidateNumber:
		f, ok := number(v)
		if !ok {
			return "", false
		}
		return strconv.FormatFloat(f, 'f', -1, 64), true
	case wire.ValidatePhone:
		n := len(digits.FindAllString(v, -1))
		if !phoneChars.MatchString(v) || n < 7 || n > 15 {
			return "", false
		}
		out := strings.Join(digits.FindAllString(v, -1), "")
		if strings.HasPrefix(v, "+") {
			out = "+" + out
		}
		return out, true
	case wire.ValidateEmail:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndex(v, "@"):], ".") {
			return "", false
		}
		return strings.ToLower(v), true
	case wire.ValidatePattern:
		re, err := anchored(s.Pattern)
		if err != nil || !re.MatchString(v) {
			return "", false
		}
	}
	return v, true
}

// holds evaluates a branch rule.
func holds(r wire.FlowRule, attrs map[string]string, cx Context) bool {
	v := attrs[r.Attribute]
	if isBuiltin(r.Attribute) {
		v = cx.builtin(r.Attribute)
	}
	want := render(r.Value, attrs, cx, nil)
	switch r.Op {
	case "equals":
		return fold(v) == fold(want)
	case "not_equals":
		return fold(v) != fold(want)
	case "contains":
		return strings.Contains(fold(v), fold(want))
	case "empty":
		return strings.TrimSpace(v) == ""
	case "not_empty":
		return strings.TrimSpace(v) != ""
	case "matches":
		re, err := regexp.Compile(r.Value)
		return err == nil && re.MatchString(v)
	case "gt", "lt":
		a, ok1 := number(v)
		b, ok2 := number(want)
		if !ok1 || !ok2 {
			return false
		}
		if r.Op == "gt" {
			return a > b
		}
		return a < b
	}
	return false
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxAttribute {
		return s
	}
	return string([]rune(s)[:maxAttribute])
}

// HTTPRequest is an HTTP step's call with its variables filled in.
type HTTPRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	Timeout time.Duration     `json:"timeout"`
	Map     map[string]string `json:"map,omitempty"`
}

// HTTPResult is what came back: OK with the mapped fields, or a failure and why.
type HTTPResult struct {
	OK     bool
	Status int
	Fields map[string]string
	Error  string
}

// DefaultHTTPTimeout is an HTTP step's wait when it names none.
const DefaultHTTPTimeout = 10 * time.Second

func buildRequest(h *wire.FlowHTTP, attrs map[string]string, cx Context) *HTTPRequest {
	if h == nil {
		return &HTTPRequest{}
	}
	r := &HTTPRequest{Method: h.Method, Map: h.Map, Timeout: DefaultHTTPTimeout}
	if h.TimeoutSeconds > 0 {
		r.Timeout = time.Duration(min(h.TimeoutSeconds, MaxHTTPWait)) * time.Second
	}
	// A value in a URL is escaped for any part of it: a space is %20, an & cannot add a parameter.
	r.URL = render(h.URL, attrs, cx, func(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") })
	body := strings.TrimSpace(h.Body)
	if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
		r.Body = render(h.Body, attrs, cx, jsonEscape)
	} else {
		r.Body = render(h.Body, attrs, cx, nil)
	}
	if len(h.Headers) > 0 {
		r.Headers = make(map[string]string, len(h.Headers))
		for k, v := range h.Headers {
			r.Headers[k] = render(v, attrs, cx, headerValue)
		}
	}
	return r
}

// Describe names an exit for the timeline and the simulator.
func (x *Exit) String() string {
	if x.Kind == ExitEnd {
		return fmt.Sprintf("end (reason %d, at %s)", x.EndReasonID, x.Why)
	}
	return "handover (" + x.Why + ")"
}

// RequestAt is the request of the HTTP step at step with the attributes collected (false: it is
// not an HTTP step). The request is not stored: it follows from the version's definition and
// the run's attributes, which do not change while the step runs.
func RequestAt(def *wire.FlowDefinition, step string, attrs map[string]string, cx Context) (*HTTPRequest, bool) {
	for _, s := range def.Steps {
		if s.ID == step && s.Type == wire.StepHTTP {
			return buildRequest(s.HTTP, attrs, cx), true
		}
	}
	return nil, false
}

// ForChannel reports whether a flow may run on a channel type: it names none (its questions
// fit every channel, which publishing checked) or names this one.
func ForChannel(def *wire.FlowDefinition, channelType string) bool {
	return len(def.Channels) == 0 || slices.Contains(def.Channels, channelType)
}
