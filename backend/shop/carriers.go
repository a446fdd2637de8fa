package shop

import (
	"net/url"
	"strings"
)

// carrier is a Turkish carrier's public tracking page; {code} is the tracking number.
// Ticimax returns no tracking link (RESEARCH 2.4), so the panel builds one from this table;
// Shopify and Ideasoft links are used as the platform gives them and this table only fills
// a missing one. The URL patterns are the carriers' public query pages [inf: not from a
// platform document]; an unknown carrier gets no link rather than a wrong one.
type carrier struct {
	names    []string // lower-case, without Turkish dots: matched as substrings
	template string
}

var carriers = []carrier{
	{[]string{"yurtici", "yurt ici"}, "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code={code}"},
	{[]string{"aras"}, "https://kargotakip.araskargo.com.tr/mainpage.aspx?code={code}"},
	{[]string{"mng", "dhl ecommerce"}, "https://kargotakip.mngkargo.com.tr/?takipNo={code}"},
	{[]string{"ptt"}, "https://gonderitakip.ptt.gov.tr/Track/Verify?q={code}"},
	{[]string{"surat"}, "https://suratkargo.com.tr/KargoTakip/?kargotakipno={code}"},
	{[]string{"ups"}, "https://www.ups.com.tr/WaybillSorgu.aspx?Waybill={code}"},
	{[]string{"hepsijet"}, "https://www.hepsijet.com/gonderi-takibi/{code}"},
	{[]string{"sendeo"}, "https://sendeo.com.tr/gonderi-takip?code={code}"},
	{[]string{"trendyol express", "tex"}, "https://kargotakip.trendyol.com/?orderNumber={code}"},
	{[]string{"kolay gelsin", "kolaygelsin"}, "https://www.kolaygelsin.com/gonderi-takip?code={code}"},
}

// foldCarrier lower-cases a carrier's name and drops Turkish letters' marks, so "Yurtiçi
// Kargo", "YURTİÇİ" and "yurtici" match.
func foldCarrier(s string) string {
	r := strings.NewReplacer("İ", "i", "I", "i", "ı", "i", "ç", "c", "Ç", "c", "ş", "s", "Ş", "s",
		"ğ", "g", "Ğ", "g", "ü", "u", "Ü", "u", "ö", "o", "Ö", "o")
	return strings.ToLower(r.Replace(s))
}

// TrackingURL is the carrier's tracking page for a number, or "" for an unknown carrier.
func TrackingURL(carrierName, number string) string {
	if number == "" {
		return ""
	}
	name := foldCarrier(carrierName)
	for _, c := range carriers {
		for _, n := range c.names {
			if (n == "tex" && name == "tex") || (n != "tex" && strings.Contains(name, n)) {
				return strings.ReplaceAll(c.template, "{code}", url.QueryEscape(number))
			}
		}
	}
	return ""
}
