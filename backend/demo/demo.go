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

// Seed creates the demo workspace once (users, end reasons, quick messages, and the Turkish
// welcome menu every new conversation on the demo's channels goes through first).
func Seed(ctx context.Context, st *store.Store, r *routing.Service, channelIDs []int64, passwordCost int, out io.Writer) error {
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
	if err := seedWelcome(ctx, r, channelIDs); err != nil {
		return fmt.Errorf("demo: unable to seed the welcome menu: %w", err)
	}
	fmt.Fprintf(out, "  Demo workspace: supervisor \"selin\", agents \"ayse\", \"mehmet\", \"zeynep\", \"emre\" — password %q\n", Password)
	fmt.Fprintf(out, "  Welcome menu %q on the sandbox and website chat (Settings → Flows to edit it)\n", WelcomeFlowName)
	return nil
}

// customer is a simulated customer: a script of lines, and how they answer the welcome menu —
// the choice they pick (1 Sipariş durumu, 2 İade / değişim, 3 Temsilciye bağlan) and, for an
// order, its number.
type customer struct {
	id, name, phone string
	lines           []string
	menu            int
	order           string
}

var customers = []customer{
	{"demo-905321112233", "Elif Yıldız", "+905321112233", []string{"Merhaba, dün verdiğim sipariş ne zaman kargoya verilir?", "Sipariş numaram 100482.", "Teşekkürler 🙏"}, 1, "100482"},
	{"demo-905339998877", "Burak Öztürk", "+905339998877", []string{"İyi günler, aldığım ayakkabı küçük geldi. Değişim yapabilir miyim?", "42 numara istiyorum.", "Tamam, kargoya veriyorum."}, 2, ""},
	{"demo-905054443322", "Deniz Arslan", "+905054443322", []string{"Kapıda ödeme seçeneğiniz var mı?", "Peki kredi kartına taksit yapılıyor mu?"}, 3, ""},
	{"demo-905417776655", "Can Koç", "+905417776655", []string{"Ürün hasarlı geldi 😞 fotoğrafını gönderiyorum", "Kutunun köşesi ezilmiş, içindeki bardak kırık."}, 2, ""},
	{"demo-905068887766", "Merve Aksoy", "+905068887766", []string{"Hediye paketi yapıyor musunuz?", "Not kartı da ekleyebilir misiniz?", "Harika, hemen sipariş veriyorum."}, 3, ""},
	{"demo-905301234567", "Oğuz Yalçın", "+905301234567", []string{"Kargo takip numaram çalışmıyor.", "Numara: TR2026114455"}, 1, "100517"},
	{"demo-905445556677", "Ceren Polat", "+905445556677", []string{"Bu montun L bedeni ne zaman stoğa girer?", "Haber verebilir misiniz?"}, 3, ""},
	{"demo-905387654321", "Hakan Erdem", "+905387654321", []string{"Faturamı e-posta ile alabilir miyim?"}, 1, "100733"},
}

// Simulate makes the demo's customers write through the sandbox channel, about one message per
// `every`: each continues their script, a customer who was answered writes the next line, and
// when scripts run out new conversations begin. A customer the welcome menu is talking to
// answers it instead.
func Simulate(ctx context.Context, st *store.Store, r *routing.Service, channelID int64, every time.Duration, log *slog.Logger) {
	sim := newSimulator(st, r, channelID)
	for {
		wait := every/2 + time.Duration(rand.Int64N(int64(every)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		err := sim.write(ctx, customers[rand.IntN(len(customers))])
		// An admin may have switched the sandbox off: the customers simply wait.
		if err != nil && ctx.Err() == nil && wire.CodeOf(err) != wire.CodeChannelDisabled {
			log.Warn("demo: simulated customer message failed", "err", err)
		}
	}
}

type simulator struct {
	st        *store.Store
	r         *routing.Service
	channelID int64
	progress  map[string]int   // the next line of each customer's script
	conv      map[string]int64 // each customer's latest conversation
	run       string           // this run's prefix of message ids
	n         int
}

func newSimulator(st *store.Store, r *routing.Service, channelID int64) *simulator {
	return &simulator{st: st, r: r, channelID: channelID, progress: map[string]int{}, conv: map[string]int64{},
		run: "sim-" + strconv.FormatInt(time.Now().UnixNano(), 10)}
}

// write sends c's next message: the answer to the flow's question if a flow is talking to them,
// otherwise the next line of their script.
func (s *simulator) write(ctx context.Context, c customer) error {
	body, ok, err := s.answer(ctx, c)
	if err != nil {
		return err
	}
	if !ok {
		i := s.progress[c.id]
		if i >= len(c.lines) {
			i = 0 // a returning customer starts over (a new conversation if the last one ended)
		}
		s.progress[c.id] = i + 1
		body = c.lines[i]
	}
	s.n++
	res, err := s.r.Ingest(ctx, routing.Inbound{ChannelID: s.channelID, SenderID: c.id, Name: c.name, Phone: c.phone,
		ExternalID: s.run + "-" + strconv.Itoa(s.n), Body: body})
	if err == nil {
		s.conv[c.id] = res.ConversationID
	}
	return err
}

// answer is what c says to the flow waiting in their conversation: the number of their menu
// choice (the sandbox shows numbered choices), or their order number when it is asked for.
func (s *simulator) answer(ctx context.Context, c customer) (string, bool, error) {
	id, ok := s.conv[c.id]
	if !ok {
		return "", false, nil
	}
	conv, err := s.st.Conversation(ctx, id)
	if err != nil || conv.State != wire.InFlow {
		return "", false, err
	}
	attrs, err := s.st.ConversationAttributes(ctx, id)
	if err != nil || len(attrs.Runs) == 0 {
		return "", false, err
	}
	switch attrs.Runs[len(attrs.Runs)-1].Step {
	case stepMenu:
		return strconv.Itoa(c.menu), true, nil
	case stepOrder:
		return c.order, c.order != "", nil
	}
	return "", false, nil
}
