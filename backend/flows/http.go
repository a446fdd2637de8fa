package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxAnswer bounds what an HTTP step reads of an answer.
const maxAnswer = 1 << 20

// Call makes an HTTP step's request with client, within the step's timeout, and maps the JSON
// answer's fields into attributes. Anything but a 2xx answer within the time, whose body is
// JSON holding every mapped field, is a failure (the step's failure branch). Admins write these
// URLs: Santral calls what they name, from the server.
func Call(ctx context.Context, client *http.Client, r *HTTPRequest) HTTPResult {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return HTTPResult{Error: "the request could not be made: " + err.Error()}
	}
	if r.Body != "" {
		ct := "text/plain; charset=utf-8"
		if b := strings.TrimSpace(r.Body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Santral-Flow/1")
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return HTTPResult{Error: fmt.Sprintf("no answer within %v", timeout)}
		}
		return HTTPResult{Error: "the request failed: " + err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return HTTPResult{Status: resp.StatusCode, Error: fmt.Sprintf("the answer did not finish within %v", timeout)}
	case err != nil:
		return HTTPResult{Status: resp.StatusCode, Error: "the answer could not be read: " + err.Error()}
	case len(raw) > maxAnswer:
		return HTTPResult{Status: resp.StatusCode, Error: "the answer is larger than 1 MiB"}
	case resp.StatusCode/100 != 2:
		return HTTPResult{Status: resp.StatusCode, Error: "the answer was HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	res := HTTPResult{OK: true, Status: resp.StatusCode, Fields: map[string]string{}}
	if len(r.Map) == 0 {
		return res
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return HTTPResult{Status: resp.StatusCode, Error: "the answer is not JSON"}
	}
	for attr, path := range r.Map {
		v, ok := lookup(doc, path)
		if !ok {
			return HTTPResult{Status: resp.StatusCode, Error: fmt.Sprintf("the answer has no %q", path)}
		}
		res.Fields[attr] = v
	}
	return res
}

// lookup reads a dotted path ("order.status", "items.0.name") of a JSON document as text:
// strings as they are, numbers and booleans as written, null as "", objects and arrays as JSON.
func lookup(doc any, path string) (string, bool) {
	cur := doc
	for _, part := range strings.Split(strings.TrimSpace(path), ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[part]
			if !ok {
				return "", false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return "", false
			}
			cur = v[i]
		default:
			return "", false
		}
	}
	switch v := cur.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	b, _ := json.Marshal(cur)
	return string(b), true
}
