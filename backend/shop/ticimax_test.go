package shop

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const ticimaxCode = "ORNEKYETKIKODU0000000000000000"

// soap checks a SOAP call against a documented envelope: the service's path, SOAP 1.1's
// headers with the operation's action, and the envelope element by element (names,
// namespaces, order, values). edit changes the documented envelope where a test sends other
// values.
func soap(service, op, file string, edit ...string) func(t *testing.T, r *http.Request, body []byte) {
	return func(t *testing.T, r *http.Request, body []byte) {
		if r.Method != "POST" || r.URL.Path != "/Servis/"+service+".svc" {
			t.Errorf("%s %s, want POST /Servis/%s.svc", r.Method, r.URL.Path, service)
		}
		header(t, r, "Content-Type", "text/xml; charset=utf-8")
		header(t, r, "SOAPAction", `"http://tempuri.org/I`+service+`/`+op+`"`)
		want := string(fixture(t, "ticimax", file))
		for i := 0; i+1 < len(edit); i += 2 {
			if !strings.Contains(want, edit[i]) {
				t.Fatalf("%s has no %q", file, edit[i])
			}
			want = strings.Replace(want, edit[i], edit[i+1], 1)
		}
		sameXML(t, body, []byte(want))
	}
}

func newTicimaxFor(t *testing.T, p *platform) *TicimaxClient {
	t.Helper()
	c, err := NewTicimax(TicimaxConfig{BaseURL: p.srv.URL, AuthCode: ticimaxCode})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Date(2026, 11, 26, 14, 0, 0, 0, istanbul) }
	return c
}

func TestTicimaxFindsTheMembersOrdersByWhatsAppPhone(t *testing.T) {
	p := newPlatform(t,
		step{name: "SelectUyeIdByMailOrTel", check: soap("UyeServis", "SelectUyeIdByMailOrTel", "select_uye_id_by_mail_or_tel.request.xml"),
			body: fixture(t, "ticimax", "select_uye_id_by_mail_or_tel.response.xml")},
		step{name: "SelectSiparis", check: soap("SiparisServis", "SelectSiparis", "select_siparis.request.xml"),
			body: fixture(t, "ticimax", "select_siparis.response.xml")})
	c := newTicimaxFor(t, p)
	orders, err := c.FindOrders(context.Background(), Query{Phone: "905321234567"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Order{{ID: "18342", Number: "TCM2611031940", CreatedAt: time.Date(2026, 11, 3, 19, 40, 7, 0, istanbul).UnixMilli(), Status: StatusShipped,
		StatusText: "Kargoya Verildi", Payment: PaymentPaid, PaymentText: "Onaylandı",
		Items: []Item{{Name: "Türk Kahvesi Orta Kavrulmuş 250 g", SKU: "AK-TK-250", Quantity: 2, UnitPrice: Money{Minor: 17500, Currency: "TRY"}},
			{Name: "Bakır Cezve No:3", SKU: "AK-CZV-03", Quantity: 1, UnitPrice: Money{Minor: 89990, Currency: "TRY"}}},
		Total: Money{Minor: 124990, Currency: "TRY"}, Customer: "Ayşe Yılmaz", Carrier: "Yurtiçi Kargo", Tracking: "304918277651",
		// Ticimax gives no link: built from the carrier table.
		TrackingURL: "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651"}}
	if !reflect.DeepEqual(orders, want) {
		t.Errorf("orders\n got %+v\nwant %+v", orders, want)
	}
}

func TestTicimaxTriesEachPhoneFormThenTheGuestsOrders(t *testing.T) {
	empty := []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><SelectUyeIdByMailOrTelResponse xmlns="http://tempuri.org/"><SelectUyeIdByMailOrTelResult xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"/></SelectUyeIdByMailOrTelResponse></s:Body></s:Envelope>`)
	var steps []step
	for _, form := range []string{"05321234567", "5321234567", "+905321234567"} {
		steps = append(steps, step{name: "by tel " + form, check: soap("UyeServis", "SelectUyeIdByMailOrTel", "select_uye_id_by_mail_or_tel.request.xml",
			"<tem:tel>05321234567</tem:tel>", "<tem:tel>"+form+"</tem:tel>"), body: empty})
	}
	steps = append(steps, step{name: "guest by UyeTelefon", check: soap("SiparisServis", "SelectSiparis", "select_siparis.request.xml",
		"<ns:UyeID>48213</ns:UyeID>", "<ns:UyeID>-1</ns:UyeID><ns:UyeTelefon>05321234567</ns:UyeTelefon>"),
		body: []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><SelectSiparisResponse xmlns="http://tempuri.org/"><SelectSiparisResult xmlns:a="http://schemas.datacontract.org/2004/07/"/></SelectSiparisResponse></s:Body></s:Envelope>`)})
	p := newPlatform(t, steps...)
	c := newTicimaxFor(t, p)
	orders, err := c.FindOrders(context.Background(), Query{Phone: "0532 123 45 67"})
	if err != nil || len(orders) != 0 {
		t.Fatalf("orders %v, err %v", orders, err)
	}
}

func TestTicimaxAsksForTheLinesWhenTheOrderCameWithout(t *testing.T) {
	resp := string(fixture(t, "ticimax", "select_siparis.response.xml"))
	a, b := strings.Index(resp, "<a:Urunler>"), strings.Index(resp, "</a:Urunler>")+len("</a:Urunler>")
	resp = resp[:a] + resp[b:]
	p := newPlatform(t,
		step{name: "SelectSiparis by number", check: soap("SiparisServis", "SelectSiparis", "select_siparis.request.xml",
			"<ns:SiparisTarihiBas>2026-08-01T00:00:00</ns:SiparisTarihiBas>", "<ns:SiparisNo>TCM2611031940</ns:SiparisNo>",
			"<ns:SiparisTarihiSon>2026-11-26T23:59:59</ns:SiparisTarihiSon>", "", "<ns:UyeID>48213</ns:UyeID>", "<ns:UyeID>-1</ns:UyeID>"),
			body: []byte(resp)},
		step{name: "SelectSiparisUrun", check: soap("SiparisServis", "SelectSiparisUrun", "select_siparis_urun.request.xml"),
			body: fixture(t, "ticimax", "select_siparis_urun.response.xml")})
	c := newTicimaxFor(t, p)
	orders, err := c.FindOrders(context.Background(), Query{Number: "TCM2611031940"})
	if err != nil || len(orders) != 1 || len(orders[0].Items) != 2 || orders[0].Items[1].UnitPrice.Minor != 89990 {
		t.Fatalf("orders %+v, err %v", orders, err)
	}
}

func TestTicimaxTestConnectionReadsTheStatuses(t *testing.T) {
	p := newPlatform(t, step{name: "SelectSiparisDurumlari", check: soap("SiparisServis", "SelectSiparisDurumlari", "select_siparis_durumlari.request.xml"),
		body: fixture(t, "ticimax", "select_siparis_durumlari.response.xml")})
	if err := newTicimaxFor(t, p).Test(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTicimaxFaultIsParsed(t *testing.T) {
	p := newPlatform(t, step{name: "fault", status: 500, body: fixture(t, "ticimax", "soap_fault.response.xml")})
	e := wantKind(t, newTicimaxFor(t, p).Test(context.Background()), KindUnreachable, "unable to process the request due to an internal error")
	if e.Code != "a:InternalServiceFault" || e.Status != 500 {
		t.Errorf("fault %+v", e)
	}
}

func TestTicimaxRefusedAuthorisationCodeSaysSo(t *testing.T) {
	p := newPlatform(t, step{name: "fault", status: 500, body: []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring xml:lang="tr-TR">Yetki kodu hatalı.</faultstring></s:Fault></s:Body></s:Envelope>`)})
	wantKind(t, newTicimaxFor(t, p).Test(context.Background()), KindAuth, "Yetki kodu hatalı.")
}

func TestTicimaxCancelIsSetSiparisDurumIptal(t *testing.T) {
	p := newPlatform(t,
		step{name: "SetSiparisDurum", check: soap("SiparisServis", "SetSiparisDurum", "set_siparis_durum.request.xml"),
			body: fixture(t, "ticimax", "set_siparis_durum.response.xml")},
		step{name: "SetSiparisDurum refused", check: soap("SiparisServis", "SetSiparisDurum", "set_siparis_durum.request.xml"),
			body: fixture(t, "ticimax", "set_siparis_durum.error.response.xml")})
	c := newTicimaxFor(t, p)
	a := Action{Kind: ActionCancel, OrderID: "18377", Notify: true}
	if _, err := c.Do(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	_, err := c.Do(context.Background(), a)
	if e := wantKind(t, err, KindRefused, "Sipariş bulunamadı."); e.Code != "1" {
		t.Errorf("code %q", e.Code)
	}
}

func TestTicimaxSetStatusSendsTheEnumName(t *testing.T) {
	p := newPlatform(t, step{name: "SetSiparisDurum", check: soap("SiparisServis", "SetSiparisDurum", "set_siparis_durum.request.xml",
		"<ns:Durum>Iptal</ns:Durum>", "<ns:Durum>KargoyaVerildi</ns:Durum>", "<ns:MailBilgilendir>true", "<ns:MailBilgilendir>false"),
		body: fixture(t, "ticimax", "set_siparis_durum.response.xml")})
	if _, err := newTicimaxFor(t, p).Do(context.Background(), Action{Kind: ActionSetStatus, Status: StatusShipped, OrderID: "18377"}); err != nil {
		t.Fatal(err)
	}
}

func TestTicimaxAddsATrackingNumber(t *testing.T) {
	p := newPlatform(t, step{name: "SaveKargoTakipNo", check: soap("SiparisServis", "SaveKargoTakipNo", "save_kargo_takip_no.request.xml"),
		body: fixture(t, "ticimax", "save_kargo_takip_no.response.xml")},
		step{name: "SaveKargoTakipNo refused", body: []byte(strings.Replace(string(fixture(t, "ticimax", "save_kargo_takip_no.response.xml")), ">OK<", ">Sipariş kargoya verilmemiş<", 1))})
	c := newTicimaxFor(t, p)
	a := Action{Kind: ActionAddTracking, OrderID: "18342", Carrier: "Yurtiçi Kargo", Tracking: "304918277651"}
	if _, err := c.Do(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	_, err := c.Do(context.Background(), a)
	wantKind(t, err, KindRefused, "Sipariş kargoya verilmemiş")
}

func TestTicimaxFindsAProductByBarcode(t *testing.T) {
	p := newPlatform(t, step{name: "SelectUrun by Barkod", check: soap("UrunServis", "SelectUrun", "select_urun.by_barkod.request.xml"),
		body: fixture(t, "ticimax", "select_urun.response.xml")})
	list, err := newTicimaxFor(t, p).SearchProducts(context.Background(), "8680001234561", 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []Product{{ID: "2290", Name: "Çelik Termos 500 ml", SKU: "AK-TRM-500-ANT", Barcode: "8680001234561", Price: Money{Minor: 89990, Currency: "TRY"},
		ImageURL: "https://static.ornekmagaza.com.tr/UrunResimleri/buyuk/celik-termos-antrasit.jpg", URL: p.srv.URL + "/celik-termos-500-ml", Stock: 37}}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("products\n got %+v\nwant %+v", list, want)
	}
}

func TestTicimaxNameSearchRunsOnTheLocalCatalogueSyncedByChangeDate(t *testing.T) {
	full := soap("UrunServis", "SelectUrun", "select_urun.request.xml",
		"<ns:DuzenlemeTarihiBaslangic>2026-11-25T00:00:00</ns:DuzenlemeTarihiBaslangic>", "")
	changed := soap("UrunServis", "SelectUrun", "select_urun.request.xml")
	renamed := strings.Replace(string(fixture(t, "ticimax", "select_urun.response.xml")), "Çelik Termos 500 ml", "Çelik Termos 750 ml", 1)
	p := newPlatform(t,
		step{name: "first sync: the whole active catalogue", check: full, body: fixture(t, "ticimax", "select_urun.response.xml")},
		step{name: "later: changed since the last sync's day", check: changed, body: []byte(renamed)})
	c := newTicimaxFor(t, p)
	now := time.Date(2026, 11, 25, 16, 0, 0, 0, istanbul)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for _, q := range []string{"termos", "ÇELİK", "celik termos"} {
		list, err := c.SearchProducts(ctx, q, 5)
		if err != nil || len(list) != 1 || list[0].Name != "Çelik Termos 500 ml" {
			t.Fatalf("%q: %+v, %v", q, list, err)
		}
	}
	if list, _ := c.SearchProducts(ctx, "cezve", 5); len(list) != 0 {
		t.Errorf("cezve found %+v", list)
	}
	now = now.Add(11 * time.Minute)
	list, err := c.SearchProducts(ctx, "termos", 5)
	if err != nil || len(list) != 1 || list[0].Name != "Çelik Termos 750 ml" {
		t.Fatalf("after the sync: %+v, %v", list, err)
	}
	if p.remaining() != 0 {
		t.Fatal("no second sync")
	}
}

func TestTicimaxEnvelopeMembersInDataContractOrder(t *testing.T) {
	// Given in any order, members go out in ordinal order (WCF drops the others silently).
	got := string(envelope("X", []el{{name: "f", members: []el{{name: "UyeTelefon", value: "1"}, {name: "UyeID", value: "2"}, {name: "SiparisNo", value: "3"}, {name: "SiparisID", value: "4"}}}}))
	if !strings.Contains(got, "<ns:SiparisID>4</ns:SiparisID><ns:SiparisNo>3</ns:SiparisNo><ns:UyeID>2</ns:UyeID><ns:UyeTelefon>1</ns:UyeTelefon>") {
		t.Errorf("order: %s", got)
	}
	if strings.Contains(string(envelope("X", []el{{name: "v", value: "<&>"}})), "<&>") {
		t.Error("a value is not escaped")
	}
}

func TestTicimaxReadsOneProductForASend(t *testing.T) {
	p := newPlatform(t, step{name: "SelectUrun by UrunKartiID", check: soap("UrunServis", "SelectUrun", "select_urun.by_barkod.request.xml",
		"<ns:Barkod>8680001234561</ns:Barkod>", "", "<ns:UrunKartiID>0</ns:UrunKartiID>", "<ns:UrunKartiID>2290</ns:UrunKartiID>",
		"<ns:KayitSayisi>5</ns:KayitSayisi>", "<ns:KayitSayisi>1</ns:KayitSayisi>"),
		body: fixture(t, "ticimax", "select_urun.response.xml")})
	prod, err := newTicimaxFor(t, p).Product(context.Background(), "2290")
	if err != nil || prod.Name != "Çelik Termos 500 ml" || prod.Price.Minor != 89990 {
		t.Fatalf("product %+v, err %v", prod, err)
	}
}
