// Package demo seeds a realistic workspace (a Turkish online shop's customer service) and
// simulates customers who write over time through the sandbox channel, so a newcomer sees
// Santral working a minute after starting it.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"santral/backend/auth"
	"santral/backend/routing"
	"santral/backend/store"
	"santral/backend/wire"
)

// Password is every demo user's password.
const Password = "demo1234"

type person struct {
	username, name string
	role           wire.Role
	limit          *int
}

func intp(v int) *int { return &v }

var staff = []person{
	{"selin", "Selin Aydın", wire.RoleSupervisor, intp(0)},
	{"ayse", "Ayşe Demir", wire.RoleAgent, intp(3)},
	{"mehmet", "Mehmet Kaya", wire.RoleAgent, intp(2)},
	{"zeynep", "Zeynep Çelik", wire.RoleAgent, nil},
	{"emre", "Emre Şahin", wire.RoleAgent, intp(4)},
}

var endReasons = []string{"Çözüldü", "Sipariş bilgisi verildi", "İade / değişim yönlendirildi", "Müşteri yanıt vermedi", "Spam / ilgisiz"}

var quickMessages = []struct{ title, shortcut, body string }{
	{"Karşılama", "merhaba", "Merhaba {{customer.first_name}}, ben {{agent.first_name}}. Size nasıl yardımcı olabilirim?"},
	{"Kargo süresi", "kargo", "Siparişleriniz 1-3 iş günü içinde kargoya verilir. Kargo takip numaranız SMS ile iletilir."},
	{"İade koşulları", "iade", "Ürünü teslim aldıktan sonra 14 gün içinde, kullanılmamış ve orijinal ambalajında iade edebilirsiniz."},
	{"Kapanış", "tesekkur", "Bizi tercih ettiğiniz için teşekkür ederiz {{customer.first_name}}, iyi günler dileriz!"},
}

// Seed creates the demo workspace once (users, end reasons, quick messages).
func Seed(ctx context.Context, st *store.Store, channelID int64, passwordCost int, out io.Writer) error {
	if _, err := st.UserByUsername(ctx, "selin"); err == nil {
		return nil // already seeded
	}
	hash, err := auth.HashPassword(Password, passwordCost)
	if err != nil {
		return err
	}
	_, err = st.Tx(ctx, func(tx *store.Tx) error {
		for _, p := range staff {
			if _, err := tx.CreateUser(p.username, p.name, hash, p.role, p.limit, nil); err != nil {
				return err
			}
		}
		for i, label := range endReasons {
			if _, err := tx.CreateEndReason(label, i); err != nil {
				return err
			}
		}
		for _, q := range quickMessages {
			if _, err := tx.SaveQuickMessage(0, 0, q.title, q.shortcut, q.body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: unable to seed: %w", err)
	}
	fmt.Fprintf(out, "  Demo workspace: supervisor \"selin\", agents \"ayse\", \"mehmet\", \"zeynep\", \"emre\" — password %q\n", Password)
	return nil
}

type customer struct {
	id, name, phone string
	lines           []string
}

var customers = []customer{
	{"demo-905321112233", "Elif Yıldız", "+905321112233", []string{"Merhaba, dün verdiğim sipariş ne zaman kargoya verilir?", "Sipariş numaram 100482.", "Teşekkürler 🙏"}},
	{"demo-905339998877", "Burak Öztürk", "+905339998877", []string{"İyi günler, aldığım ayakkabı küçük geldi. Değişim yapabilir miyim?", "42 numara istiyorum.", "Tamam, kargoya veriyorum."}},
	{"demo-905054443322", "Deniz Arslan", "+905054443322", []string{"Kapıda ödeme seçeneğiniz var mı?", "Peki kredi kartına taksit yapılıyor mu?"}},
	{"demo-905417776655", "Can Koç", "+905417776655", []string{"Ürün hasarlı geldi 😞 fotoğrafını gönderiyorum", "Kutunun köşesi ezilmiş, içindeki bardak kırık."}},
	{"demo-905068887766", "Merve Aksoy", "+905068887766", []string{"Hediye paketi yapıyor musunuz?", "Not kartı da ekleyebilir misiniz?", "Harika, hemen sipariş veriyorum."}},
	{"demo-905301234567", "Oğuz Yalçın", "+905301234567", []string{"Kargo takip numaram çalışmıyor.", "Numara: TR2026114455"}},
	{"demo-905445556677", "Ceren Polat", "+905445556677", []string{"Bu montun L bedeni ne zaman stoğa girer?", "Haber verebilir misiniz?"}},
	{"demo-905387654321", "Hakan Erdem", "+905387654321", []string{"Faturamı e-posta ile alabilir miyim?"}},
}

// Simulate makes the demo's customers write through the sandbox channel, about one message per
// `every`: each continues their script, a customer who was answered writes the next line, and
// when scripts run out new conversations begin.
func Simulate(ctx context.Context, st *store.Store, r *routing.Service, channelID int64, every time.Duration, log *slog.Logger) {
	progress := map[string]int{}
	run := time.Now().Unix()
	n := 0
	for {
		wait := every/2 + time.Duration(rand.Int64N(int64(every)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		c := customers[rand.IntN(len(customers))]
		i := progress[c.id]
		if i >= len(c.lines) {
			i = 0 // a returning customer starts over (a new conversation if the last one ended)
		}
		progress[c.id] = i + 1
		n++
		_, err := r.Ingest(ctx, routing.Inbound{ChannelID: channelID, SenderID: c.id, Name: c.name, Phone: c.phone,
			ExternalID: "sim-" + strconv.FormatInt(run, 10) + "-" + strconv.Itoa(n), Body: c.lines[i]})
		// An admin may have switched the sandbox off: the customers simply wait.
		if err != nil && ctx.Err() == nil && wire.CodeOf(err) != wire.CodeChannelDisabled {
			log.Warn("demo: simulated customer message failed", "err", err)
		}
	}
}
