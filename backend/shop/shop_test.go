package shop

import (
	"reflect"
	"testing"
)

func TestPhoneInEachPlatformsForm(t *testing.T) {
	for _, in := range []string{"905321234567", "+90 532 123 45 67", "0532 123 45 67", "5321234567", "0090 (532) 1234567"} {
		p, ok := ParsePhone(in)
		if !ok {
			t.Fatalf("%q: not a phone", in)
		}
		if p.E164() != "+905321234567" || p.National() != "05321234567" || p.Ideasoft() != "+90 (532) 123 45 67" ||
			!reflect.DeepEqual(p.TicimaxForms(), []string{"05321234567", "5321234567", "+905321234567"}) {
			t.Errorf("%q: %s %s %s %v", in, p.E164(), p.National(), p.Ideasoft(), p.TicimaxForms())
		}
		if !p.SameAs("+90 (532) 123 45 67") || p.SameAs("+90 (532) 123 45 68") {
			t.Errorf("%q: SameAs", in)
		}
	}
	p, _ := ParsePhone("4915112345678") // a German number from WhatsApp stays international
	if p.E164() != "+4915112345678" || p.Turkish() || p.Ideasoft() != "+4915112345678" {
		t.Errorf("foreign: %s", p.E164())
	}
	if _, ok := ParsePhone("12"); ok {
		t.Error("12 is a phone")
	}
}

func TestMoney(t *testing.T) {
	for in, want := range map[string]int64{"899.9": 89990, "1099.90": 109990, "175": 17500, "0.005": 1, "-12.345": -1235, "": 0} {
		m, err := ParseMoney(in, "TL")
		if err != nil || m.Minor != want || m.Currency != "TRY" {
			t.Errorf("%q: %+v %v", in, m, err)
		}
	}
	if _, err := ParseMoney("12,5", "TRY"); err == nil {
		t.Error("12,5 parsed")
	}
	if got := (Money{Minor: 124990, Currency: "TRY"}).Display(); got != "1.249,90 TL" {
		t.Errorf("display %q", got)
	}
	if got := (Money{Minor: 100000000, Currency: "EUR"}).Display(); got != "1.000.000,00 EUR" {
		t.Errorf("display %q", got)
	}
}

func TestTrackingLinkFromTheCarrierTable(t *testing.T) {
	for carrier, want := range map[string]string{
		"Yurtiçi Kargo": "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=3049",
		"YURTİÇİ":       "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=3049",
		"Aras Kargo":    "https://kargotakip.araskargo.com.tr/mainpage.aspx?code=3049",
		"MNG Kargo":     "https://kargotakip.mngkargo.com.tr/?takipNo=3049",
		"PTT Kargo":     "https://gonderitakip.ptt.gov.tr/Track/Verify?q=3049",
		"Sürat Kargo":   "https://suratkargo.com.tr/KargoTakip/?kargotakipno=3049",
		"Kargocu Ali":   "",
	} {
		if got := TrackingURL(carrier, "3049"); got != want {
			t.Errorf("%s: %q, want %q", carrier, got, want)
		}
	}
	if TrackingURL("Aras", "") != "" {
		t.Error("a link without a number")
	}
}

func TestEveryStatusHasLabels(t *testing.T) {
	for _, s := range Statuses {
		if l := StatusLabels[s]; l.TR == "" || l.EN == "" {
			t.Errorf("%s has no label", s)
		}
	}
	for _, st := range ticimaxStates {
		if _, ok := StatusLabels[st.status]; !ok {
			t.Errorf("%s maps to %s", st.name, st.status)
		}
	}
}
