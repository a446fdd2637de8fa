package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"

	"santral/backend/wire"
)

// The signed-webhook path against the floor: BenchmarkWebhookWhatsApp posts a signed WhatsApp
// delivery (a new wamid each time) over real HTTP — signature check on the raw body, parse,
// one committed SQLite transaction (synchronous=FULL), 200. BenchmarkWebhookBareHandler posts the
// same bytes to a net/http handler that only reads the body and answers 200, on the same machine
// in the same run. The ratio is what durability and the rules cost per delivery.

func BenchmarkWebhookWhatsApp(b *testing.B) {
	base := startBench(b)
	admin := login(b, base, "admin", adminPassword)
	admin.settings(func(s *wire.Settings) { s.AutoAssign = false })
	var ch wire.ChannelAccount
	name, account := "WhatsApp", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, AccountID: &account,
		Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret}}, &ch, http.StatusCreated)
	body := waFixture(b, "inbound_text.json")
	url := fmt.Sprintf("%s/webhooks/%d", base, ch.ID)
	client := &http.Client{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Five customers, each delivery a new message id.
		msg := bytes.Replace(body, []byte("wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMEQ3QjA4RDRGQjY1OEY0QUEA"), []byte(fmt.Sprintf("wamid.bench-%d", i)), 1)
		msg = bytes.Replace(msg, []byte(`"905321234567"`), []byte(fmt.Sprintf(`"9053212345%02d"`, i%5)), -1)
		post(b, client, url, msg, sign(msg))
	}
}

func BenchmarkWebhookBareHandler(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer ts.Close()
	body := waFixture(b, "inbound_text.json")
	client := &http.Client{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		msg := bytes.Replace(body, []byte("wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMEQ3QjA4RDRGQjY1OEY0QUEA"), []byte(fmt.Sprintf("wamid.bench-%d", i)), 1)
		post(b, client, ts.URL, msg, sign(msg))
	}
}

func post(b *testing.B, client *http.Client, url string, body []byte, signature string) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", signature)
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("status %d", res.StatusCode)
	}
}

// BenchmarkWebhookWhatsApp64 is BenchmarkWebhookWhatsApp with 64 deliveries in flight at once:
// group commit lets them share transactions and fsyncs.
func BenchmarkWebhookWhatsApp64(b *testing.B) {
	base := startBench(b)
	admin := login(b, base, "admin", adminPassword)
	admin.settings(func(s *wire.Settings) { s.AutoAssign = false })
	var ch wire.ChannelAccount
	name, account := "WhatsApp", waPhoneID
	admin.mustDo("POST", "/api/v1/channel-accounts", wire.ChannelRequest{Type: wire.ChannelWhatsApp, Name: &name, AccountID: &account,
		Credentials: map[string]string{"token": waToken, "app_secret": waAppSecret}}, &ch, http.StatusCreated)
	body := fresh(waFixture(b, "inbound_text.json"))
	url := fmt.Sprintf("%s/webhooks/%d", base, ch.ID)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	var n atomic.Int64
	b.SetParallelism(64 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			msg := bytes.Replace(body, []byte("wamid.HBgMOTA1MzIxMjM0NTY3FQIAEhgUM0VCMEQ3QjA4RDRGQjY1OEY0QUEA"), []byte(fmt.Sprintf("wamid.bench-%d", i)), 1)
			msg = bytes.Replace(msg, []byte(`"905321234567"`), []byte(fmt.Sprintf(`"905321%06d"`, i%500)), -1)
			post(b, client, url, msg, sign(msg))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
