package quick

import "testing"

func TestRender(t *testing.T) {
	v := Vars{CustomerName: "Ayşe Yılmaz", CustomerPhone: "+905321112233", AgentName: "Mehmet Kaya"}
	tests := []struct{ in, want string }{
		{"Merhaba {{customer.name}}", "Merhaba Ayşe Yılmaz"},
		{"Merhaba {{ customer.first_name }}, ben {{agent.first_name}}.", "Merhaba Ayşe, ben Mehmet."},
		{"Numaranız {{customer.phone}} mi?", "Numaranız +905321112233 mi?"},
		{"{{order.id}} kaldı", "{{order.id}} kaldı"},
		{"değişken yok", "değişken yok"},
	}
	for _, tt := range tests {
		if got := Render(tt.in, v); got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
