package wire

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A template body's placeholders: positional ({{1}}) or, since 2024, named ({{first_name}}).
var templatePlaceholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// TemplateParameterNames lists a template body's distinct placeholders in the order its
// parameters are given: by number for positional ones ({{1}}, {{2}}), by first appearance for
// named ones. The WhatsApp client, the store and the send all read a body through it.
func TemplateParameterNames(body string) []string {
	names := []string{}
	seen := map[string]bool{}
	for _, m := range templatePlaceholder.FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	positional := len(names) > 0
	for _, n := range names {
		if _, err := strconv.Atoi(n); err != nil {
			positional = false
		}
	}
	if positional {
		sort.SliceStable(names, func(i, j int) bool { a, _ := strconv.Atoi(names[i]); b, _ := strconv.Atoi(names[j]); return a < b })
	}
	return names
}

// FillTemplate puts the parameters into a template body's placeholders, in the order of
// TemplateParameterNames; a missing or empty parameter leaves its placeholder as written.
func FillTemplate(body string, params []string) string {
	index := map[string]int{}
	for i, n := range TemplateParameterNames(body) {
		index[n] = i
	}
	return templatePlaceholder.ReplaceAllStringFunc(body, func(m string) string {
		i, ok := index[templatePlaceholder.FindStringSubmatch(m)[1]]
		if !ok || i >= len(params) || strings.TrimSpace(params[i]) == "" {
			return m
		}
		return params[i]
	})
}
