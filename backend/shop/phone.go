package shop

import (
	"fmt"
	"strings"
)

// Phone is a customer's number parsed once, then written in each platform's form.
// WhatsApp gives Turkish numbers as 905321234567; people write 0532 123 45 67, 532 123 4567
// or +90 532…; shops store them in any of those forms.
type Phone struct {
	digits string // country code and national number, no plus: 905321234567
}

// ParsePhone reads a number. A Turkish mobile number written nationally (0532…, 532…) gets
// the country code 90; anything else is taken as international digits. ok is false when
// there are too few digits to be a phone number.
func ParsePhone(s string) (Phone, bool) {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	d = strings.TrimPrefix(d, "00") // 0090… dialled internationally
	switch {
	case len(d) == 11 && strings.HasPrefix(d, "0"): // 05321234567
		d = "90" + d[1:]
	case len(d) == 10 && strings.HasPrefix(d, "5"): // 5321234567
		d = "90" + d
	}
	if len(d) < 8 {
		return Phone{}, false
	}
	return Phone{digits: d}, true
}

// Turkish reports whether the number is a Turkish one (+90 and ten national digits).
func (p Phone) Turkish() bool { return len(p.digits) == 12 && strings.HasPrefix(p.digits, "90") }

// E164 is +905321234567 (Shopify's CustomerIdentifierInput.phoneNumber).
func (p Phone) E164() string { return "+" + p.digits }

// National is 05321234567 for a Turkish number (how Ticimax shops usually store it), else
// the international digits.
func (p Phone) National() string {
	if p.Turkish() {
		return "0" + p.digits[2:]
	}
	return p.digits
}

// TicimaxForms are the forms to try one after another on Ticimax, whose shops store numbers
// as typed by the customer (RESEARCH 2.3).
func (p Phone) TicimaxForms() []string {
	if p.Turkish() {
		return []string{"0" + p.digits[2:], p.digits[2:], "+" + p.digits}
	}
	return []string{"+" + p.digits, p.digits}
}

// Ideasoft is +90 (532) 123 45 67, the form Ideasoft's member and order models show.
func (p Phone) Ideasoft() string {
	if p.Turkish() {
		n := p.digits[2:]
		return fmt.Sprintf("+90 (%s) %s %s %s", n[:3], n[3:6], n[6:8], n[8:])
	}
	return "+" + p.digits
}

// SameAs reports whether another written number is this one.
func (p Phone) SameAs(s string) bool {
	q, ok := ParsePhone(s)
	return ok && q.digits == p.digits
}
