package api

// What is wrong with a request, told in the API's words: a body that is not the JSON object a
// route reads, a value of the wrong type (named by its path from the body's root, in JSON's
// words rather than Go's), a field the route does not know, and a method the path lacks.

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"santral/backend/wire"
)

// maxBody bounds every request body.
const maxBody = 256 << 10

// decode reads a JSON body strictly into v, a pointer to a request struct: exactly one JSON
// object (not null: a null would leave v empty and the handler would go ahead with zeros), no
// unknown fields, bounded size.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return wire.Errorf(wire.CodeBodyTooLarge, "the body is larger than %d bytes", maxErr.Limit)
		}
		return wire.Errorf(wire.CodeBadJSON, "the body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return wire.Errorf(wire.CodeBadJSON, "the body is empty; a JSON object is required")
	}
	// First the shape: one valid JSON value, and that value an object.
	var raw json.RawMessage
	whole := json.NewDecoder(bytes.NewReader(body))
	if err := whole.Decode(&raw); err != nil {
		return wire.Errorf(wire.CodeBadJSON, "the body is not valid JSON")
	}
	if _, err := whole.Token(); err != io.EOF {
		return wire.Errorf(wire.CodeBadJSON, "the body must be one JSON object, with nothing after it")
	}
	if raw[0] != '{' {
		return wire.Errorf(wire.CodeBadJSON, "the body must be a JSON object, not %s", jsonKind(raw[0]))
	}
	// Then the fields.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, raw, reflect.TypeOf(v))
	}
	return nil
}

// decodeError turns a decoding error of the JSON object raw into t into a refusal naming the
// field.
func decodeError(err error, raw []byte, t reflect.Type) error {
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return wire.Invalid(typ.Field, "%s", typeMessage(typ, t))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		field := name
		if path, ok := unknownField(json.NewDecoder(bytes.NewReader(raw)), t, ""); ok {
			field = path
		}
		return &wire.Error{Code: wire.CodeUnknownField, Field: field, Message: "unknown field " + field}
	}
	// A type's own UnmarshalJSON refused its value; its message may be Go's, so it is not shown.
	return wire.Errorf(wire.CodeBadJSON, "the body could not be read as this request")
}

// typeMessage says what the field typ names must be, and what it was.
func typeMessage(typ *json.UnmarshalTypeError, root reflect.Type) string {
	want := describeType(typ.Type)
	// Go names the collection for a bad element: say so rather than "tags must be a string".
	if declared := fieldType(root, typ.Field); declared != nil && deref(declared) != deref(typ.Type) {
		switch deref(declared).Kind() {
		case reflect.Slice, reflect.Array:
			return "each item of " + typ.Field + " must be " + want + ", not " + describeValue(typ.Value)
		case reflect.Map:
			return "each value of " + typ.Field + " must be " + want + ", not " + describeValue(typ.Value)
		}
	}
	if n, ok := strings.CutPrefix(typ.Value, "number "); ok {
		if f, err := strconv.ParseFloat(n, 64); err == nil && f == math.Trunc(f) && isInteger(typ.Type) {
			return typ.Field + " must be " + want + ", and " + n + " is out of range"
		}
	}
	return typ.Field + " must be " + want + ", not " + describeValue(typ.Value)
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// describeType names what a Go type accepts, in JSON's words.
func describeType(t reflect.Type) string {
	t = deref(t)
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a whole number, not negative"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another kind of value"
}

func isInteger(t reflect.Type) bool {
	switch deref(t).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// describeValue names the JSON value encoding/json found ("string", "number 1.5", …).
func describeValue(v string) string {
	switch v {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "true or false"
	case "object":
		return "an object"
	case "array":
		return "an array"
	}
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return n
	}
	return "another kind of value"
}

// jsonKind names a JSON value by its first byte.
func jsonKind(first byte) string {
	switch first {
	case 'n':
		return "null"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	}
	return "a number"
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonField finds the field of struct type t that the object key name fills, as encoding/json
// matches it (the exact name first, then ignoring case; embedded structs' fields promoted).
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	var fold reflect.Type
	var walk func(t reflect.Type) (reflect.Type, bool)
	walk = func(t reflect.Type) (reflect.Type, bool) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			if f.Anonymous && tag == "" && deref(f.Type).Kind() == reflect.Struct {
				if ft, ok := walk(deref(f.Type)); ok {
					return ft, true
				}
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			if tag == name {
				return f.Type, true
			}
			if fold == nil && strings.EqualFold(tag, name) {
				fold = f.Type
			}
		}
		return nil, false
	}
	if ft, ok := walk(t); ok {
		return ft, true
	}
	return fold, fold != nil
}

// fieldType is the declared type at a dotted path as encoding/json writes it ("attachments.size":
// no indexes or map keys).
func fieldType(root reflect.Type, path string) reflect.Type {
	t := root
	for _, name := range strings.Split(path, ".") {
		t = deref(t)
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = deref(t.Elem())
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		var ok bool
		if t, ok = jsonField(t, name); !ok {
			return nil
		}
	}
	return t
}

// unknownField reads one JSON value of type t from dec and returns the path of the first object
// key t has no field for — the one encoding/json refused, which reports only the key itself.
func unknownField(dec *json.Decoder, t reflect.Type, path string) (string, bool) {
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	t = deref(t)
	var kind reflect.Kind
	if t != nil {
		kind = t.Kind()
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return "", false
			}
			name, _ := key.(string)
			var value reflect.Type // nil: a value of any shape (nothing is unknown inside it)
			child := path
			switch kind {
			case reflect.Struct:
				child = strings.TrimPrefix(path+"."+name, ".")
				ft, ok := jsonField(t, name)
				if !ok {
					return child, true
				}
				value = ft
			case reflect.Map:
				value = t.Elem()
			}
			if p, ok := unknownField(dec, value, child); ok {
				return p, true
			}
		}
		dec.Token()
	case json.Delim('['):
		var elem reflect.Type
		if kind == reflect.Slice || kind == reflect.Array {
			elem = t.Elem()
		}
		for dec.More() {
			if p, ok := unknownField(dec, elem, path); ok {
				return p, true
			}
		}
		dec.Token()
	}
	return "", false
}

// unrouted answers what no route matched. Go's ServeMux answers a known path with the wrong
// method itself only when no catch-all pattern exists; with ours it asks the route table which
// methods the path has: 405 with an Allow header when there are any, else 404.
func unrouted(mux *http.ServeMux) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var allow []string
		for _, m := range []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"} {
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 || slices.Contains(allow, r.Method) {
			return wire.Errorf(wire.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return wire.Errorf(wire.CodeMethodNotAllowed, "%s is not allowed on %s; it allows %s", r.Method, r.URL.Path, strings.Join(allow, ", "))
	}
}
