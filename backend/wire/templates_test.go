package wire

import (
	"reflect"
	"testing"
)

func TestTemplateParameters(t *testing.T) {
	tests := []struct {
		name, body string
		names      []string
		params     []string
		filled     string
	}{
		{"positional, in number order", "{{2}} numaralı sipariş, {{1}} Hanım", []string{"1", "2"}, []string{"Ayşe", "#1043"}, "#1043 numaralı sipariş, Ayşe Hanım"},
		{"ten or more", "{{1}}-{{10}}-{{2}}", []string{"1", "2", "10"}, []string{"a", "b", "j"}, "a-j-b"},
		{"named, by first appearance, repeated", "Sayın {{ad}} {{ soyad }}, {{ad}}: hazır.", []string{"ad", "soyad"}, []string{"Ayşe", "Yılmaz"}, "Sayın Ayşe Yılmaz, Ayşe: hazır."},
		{"an empty parameter keeps its placeholder", "Merhaba {{1}}, {{2}}", []string{"1", "2"}, []string{"Ayşe", " "}, "Merhaba Ayşe, {{2}}"},
		{"none", "Hoş geldiniz", []string{}, nil, "Hoş geldiniz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TemplateParameterNames(tt.body); !reflect.DeepEqual(got, tt.names) {
				t.Errorf("names = %q, want %q", got, tt.names)
			}
			if got := FillTemplate(tt.body, tt.params); got != tt.filled {
				t.Errorf("filled = %q, want %q", got, tt.filled)
			}
		})
	}
}
