// Package history writes a santrald database holding a shop's past: N ended conversations with
// about ten messages each, in Turkish, for the history-search benchmark. The schema comes from
// the store package's own migrations; the rows go straight into the same tables santrald writes
// (contacts, conversations, messages), so the full-text index is filled by santrald's own
// triggers on messages and is the real one. Millions of rows take minutes: prepared statements,
// one transaction per 10,000 conversations, and synchronous=OFF for the generation only.
package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"santral/backend/auth"
	"santral/backend/store"
	"santral/backend/wire"
)

// AdminPassword and AgentPassword are the seeded users' passwords: the benchmark logs in with
// them. Agents are named agent1 … agentN.
const (
	AdminPassword = "bench-admin-pass"
	AgentPassword = "bench-agent-pass"
	Agents        = 20
)

// Version changes when the generated data changes, so cached databases are made again.
const Version = 1

// Words the benchmark searches for, and how often the generator writes them: the common word is
// in a large share of conversations, the rare one in about one conversation in 5,000.
const (
	CommonWord = "sipariş"
	RareWord   = "kaşmir"
	Prefix     = "sipar"
	Phrase     = "kargo takip"
	NoCustomer = "zzqxjw" // no customer's name, phone or id contains it
)

// Generate writes the database file santral.db in dir (which must not hold one) with n ended
// conversations. progress, when set, is called after each batch with the conversations so far.
func Generate(ctx context.Context, dir string, n int, progress func(done int)) error {
	path := filepath.Join(dir, "santral.db")
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("history: %s exists already", path)
	}
	// santrald's own schema, and the rows its first start would write: settings, admin, agents,
	// the sandbox channel, end reasons.
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		return err
	}
	ids, err := seedWorkspace(ctx, st)
	st.Close()
	if err != nil {
		return err
	}
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_synchronous", "OFF")
	params.Set("_foreign_keys", "off")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+params.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil { // 256 MiB
		return err
	}
	g := &generator{rnd: rand.New(rand.NewPCG(42, uint64(n))), ids: ids, n: n,
		contacts: max(1, n*6/10), start: time.Now().Add(-365 * 24 * time.Hour).UnixMilli()}
	const batch = 10_000
	for from := 0; from < n; from += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := g.write(ctx, db, from, min(n, from+batch)); err != nil {
			return err
		}
		if progress != nil {
			progress(min(n, from+batch))
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `ANALYZE`)
	return err
}

type workspace struct {
	sandbox    int64
	agents     []int64
	endReasons []int64
}

func seedWorkspace(ctx context.Context, st *store.Store) (workspace, error) {
	var w workspace
	adminHash, err := auth.HashPassword(AdminPassword, 4)
	if err != nil {
		return w, err
	}
	agentHash, err := auth.HashPassword(AgentPassword, 4)
	if err != nil {
		return w, err
	}
	_, err = st.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutSettings(wire.DefaultSettings()); err != nil {
			return err
		}
		if _, err := tx.CreateUser("admin", "Admin", adminHash, wire.RoleAdmin, nil, nil); err != nil {
			return err
		}
		for i := 1; i <= Agents; i++ {
			id, err := tx.CreateUser("agent"+strconv.Itoa(i), agentNames[i%len(agentNames)], agentHash, wire.RoleAgent, nil, nil)
			if err != nil {
				return err
			}
			w.agents = append(w.agents, id)
		}
		for i, label := range []string{"Çözüldü", "Bilgi verildi", "İade başlatıldı", "Yanıt vermedi"} {
			id, err := tx.CreateEndReason(label, i)
			if err != nil {
				return err
			}
			w.endReasons = append(w.endReasons, id)
		}
		w.sandbox, err = tx.EnsureChannel("sandbox", "Sandbox")
		return err
	})
	if err != nil {
		return w, fmt.Errorf("history: unable to seed the workspace: %w", err)
	}
	return w, nil
}

type generator struct {
	rnd      *rand.Rand
	ids      workspace
	n        int
	contacts int
	start    int64 // the first conversation's time; they spread over a year up to now
	msgID    int64
}

// rows are what a batch of conversations writes, in the tables' column orders (contactCols,
// conversationCols, messageCols): SQLite inserts them row by row, PostgreSQL copies them.
type rows struct {
	contacts, conversations, messages [][]any
}

var (
	contactCols      = []string{"id", "channel_id", "external_id", "name", "phone", "search_name", "created_at"}
	conversationCols = []string{"id", "contact_id", "channel_id", "state", "agent_id", "queued_at", "created_at", "assigned_at",
		"first_response_at", "last_inbound_at", "last_message_at", "last_message_preview", "ended_at", "end_reason_id", "ended_by"}
	messageCols = []string{"id", "conversation_id", "channel_id", "direction", "author_id", "body", "status", "external_id", "created_at", "sent_at"}
)

// batch makes conversations [from, to) and their contacts and messages.
func (g *generator) batch(from, to int) rows {
	var out rows
	span := time.Now().UnixMilli() - g.start
	for i := from; i < to; i++ {
		id := int64(i + 1)
		at := g.start + span*int64(i)/int64(g.n)
		contactID := int64(i%g.contacts + 1)
		if i < g.contacts { // a customer's first conversation creates them; later ones come back
			name := firstNames[g.rnd.IntN(len(firstNames))] + " " + lastNames[g.rnd.IntN(len(lastNames))]
			phone := fmt.Sprintf("90532%07d", contactID)
			out.contacts = append(out.contacts, []any{contactID, g.ids.sandbox, phone, name, "+" + phone, store.FoldName(name), at})
		}
		agent := g.ids.agents[g.rnd.IntN(len(g.ids.agents))]
		lines := g.conversation()
		t := at
		var first, lastIn int64
		for k, line := range lines {
			g.msgID++
			t += int64(30_000 + g.rnd.IntN(240_000))
			var author, external any
			dir, status := "in", string(wire.StatusReceived)
			if k%2 == 1 {
				dir, status, author = "out", string(wire.StatusDelivered), agent
				if first == 0 {
					first = t
				}
			} else {
				external = "hist-" + strconv.FormatInt(g.msgID, 10)
				lastIn = t
			}
			out.messages = append(out.messages, []any{g.msgID, id, g.ids.sandbox, dir, author, line, status, external, t, t})
		}
		preview := lines[len(lines)-1]
		if cut := strings.LastIndex(preview[:min(len(preview), 121)], " "); len(preview) > 120 && cut > 0 {
			preview = preview[:cut]
		}
		reason := g.ids.endReasons[g.rnd.IntN(len(g.ids.endReasons))]
		out.conversations = append(out.conversations, []any{id, contactID, g.ids.sandbox, "ended", agent, at, at, at + 20_000, first, lastIn, t, preview, t + 60_000, reason, agent})
	}
	return out
}

func insertSQL(table string, cols []string) string {
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
}

// write inserts conversations [from, to) and their contacts and messages in one transaction.
func (g *generator) write(ctx context.Context, db *sql.DB, from, to int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	contact, err := tx.Prepare(insertSQL("contacts", contactCols))
	if err != nil {
		return err
	}
	conv, err := tx.Prepare(insertSQL("conversations", conversationCols))
	if err != nil {
		return err
	}
	msg, err := tx.Prepare(insertSQL("messages", messageCols))
	if err != nil {
		return err
	}
	// santrald indexes a group's messages as it commits them (store.indexMessages): the same here.
	index, err := tx.Prepare(`INSERT INTO messages_fts(rowid, body) VALUES (?, replace(?, 'ı', 'i'))`)
	if err != nil {
		return err
	}
	r := g.batch(from, to)
	for _, c := range r.contacts {
		if _, err := contact.Exec(c...); err != nil {
			return fmt.Errorf("history: contact %d: %w", c[0], err)
		}
	}
	for _, m := range r.messages {
		if _, err := msg.Exec(m...); err != nil {
			return fmt.Errorf("history: message %d: %w", m[0], err)
		}
		if _, err := index.Exec(m[0], m[5]); err != nil {
			return fmt.Errorf("history: message %d: %w", m[0], err)
		}
	}
	for _, c := range r.conversations {
		if _, err := conv.Exec(c...); err != nil {
			return fmt.Errorf("history: conversation %d: %w", c[0], err)
		}
	}
	return errors.Join(contact.Close(), conv.Close(), msg.Close(), index.Close(), tx.Commit())
}

// conversation returns 8 to 12 lines, the customer's first, alternating with the agent's.
func (g *generator) conversation() []string {
	r := g.rnd
	topic := topics[r.IntN(len(topics))]
	if r.IntN(5000) == 0 {
		topic = rareTopic
	}
	n := 8 + r.IntN(5)
	out := make([]string, 0, n)
	for k := 0; k < n; k++ {
		var line string
		switch {
		case k < len(topic):
			line = topic[k]
		case k%2 == 0:
			line = customerFiller[r.IntN(len(customerFiller))]
		default:
			line = agentFiller[r.IntN(len(agentFiller))]
		}
		out = append(out, g.fill(line))
	}
	return out
}

// fill replaces the placeholders: {order}, {track}, {product}, {city}, {cargo}, {name}, {code},
// {days}.
func (g *generator) fill(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	r := g.rnd
	return strings.NewReplacer(
		"{order}", strconv.Itoa(100000+r.IntN(900000)),
		"{track}", fmt.Sprintf("TR%09d", r.IntN(1_000_000_000)),
		"{product}", products[r.IntN(len(products))],
		"{city}", cities[r.IntN(len(cities))],
		"{cargo}", cargos[r.IntN(len(cargos))],
		"{name}", firstNames[r.IntN(len(firstNames))],
		"{code}", fmt.Sprintf("INDIRIM%d", 10+r.IntN(90)),
		"{days}", strconv.Itoa(3+r.IntN(8)),
	).Replace(s)
}

// Conversations open on a topic (customer, agent, customer, …); fillers follow.
var topics = [][]string{
	{"Merhaba, {order} numaralı siparişim ne zaman kargoya verilecek?", "Merhaba {name} Hanım, siparişiniz bugün {cargo} ile kargoya verilecek.", "Kargo takip numarasını da gönderebilir misiniz?", "Tabii, kargo takip numaranız {track}."},
	{"Siparişim hâlâ gelmedi, üç gün oldu.", "Hemen kontrol ediyorum, sipariş numaranızı yazar mısınız?", "Sipariş numarası {order}.", "Siparişiniz {city} aktarma merkezinde görünüyor, yarın teslim edilecek."},
	{"İade etmek istiyorum, {product} bedenime olmadı.", "İade talebinizi oluşturdum, {cargo} şubesine ücretsiz bırakabilirsiniz.", "Ücret iadesi ne zaman yapılır?", "Ürün depomuza ulaştıktan sonra {days} iş günü içinde iadeniz yapılır."},
	{"{product} stokta var mı?", "Merhaba, şu an stokta var, hemen sipariş verebilirsiniz.", "Kapıda ödeme seçeneği var mı?", "Evet, kapıda nakit veya kartla ödeme yapabilirsiniz."},
	{"Ürün hasarlı geldi, değişim yapabilir miyiz?", "Çok üzgünüz, fotoğrafını gönderebilir misiniz?", "Gönderdim, kutu da ezilmişti.", "Değişim için yeni ürününüzü bugün kargoya veriyoruz."},
	{"İndirim kodu {code} geçersiz diyor.", "Kodun süresi dolmuş, size yeni bir kod tanımladım: {code}.", "Teşekkürler, şimdi oldu.", "Rica ederiz, iyi alışverişler."},
	{"Adresimi değiştirmem gerekiyor, yeni adresim {city}.", "Siparişiniz henüz kargoya verilmediği için adresinizi güncelledim.", "Çok teşekkür ederim.", "Rica ederiz {name} Bey."},
	{"Faturamı e-posta ile gönderebilir misiniz?", "Faturanız kayıtlı e-posta adresinize gönderildi.", "Kurumsal fatura da kesebiliyor musunuz?", "Evet, vergi numaranızı yazmanız yeterli."},
	{"Kargom yanlış adrese gitmiş görünüyor.", "{cargo} ile iletişime geçtim, kargo takip kaydını düzelttiler.", "Ne zaman gelir?", "Yarın öğlene kadar teslim edilecek."},
	{"{product} için garanti süresi ne kadar?", "Ürünlerimiz iki yıl garantilidir.", "Garanti belgesi kutuda mı?", "Evet, fatura ve garanti belgesi kutunun içinde."},
}

var rareTopic = []string{"Kaşmir atkı modeliniz tekrar gelecek mi?", "Kaşmir atkılarımız gelecek hafta stoklarımıza girecek.", "Haber verebilir misiniz?", "Tabii, geldiğinde size mesaj atacağız."}

var customerFiller = []string{
	"Tamam, teşekkürler.", "Anladım.", "Peki kargo ücreti ne kadar?", "Bir sorum daha var.",
	"Siparişimi iptal edebilir miyim?", "Ne zaman elimde olur?", "Başka renk seçeneği var mı?",
	"Kargo takip sayfası açılmıyor.", "İyi günler.", "Teşekkür ederim, çok yardımcı oldunuz.",
	"Ödeme yaptım ama onay gelmedi.", "Hediye paketi yapabiliyor musunuz?",
}

var agentFiller = []string{
	"Rica ederiz, iyi günler dileriz.", "Başka bir konuda yardımcı olabilir miyim?",
	"Kargo ücreti 250 TL üzeri siparişlerde ücretsizdir.", "Siparişiniz iptal edildi, ücret iadeniz başlatıldı.",
	"Ödemeniz onaylandı, siparişiniz hazırlanıyor.", "Diğer renkler sitemizde ürün sayfasında görünüyor.",
	"Hediye paketi notunu siparişe ekledim.", "Kargo takip bağlantısını tekrar gönderiyorum.",
	"Bilgi için teşekkür ederiz.", "Ekibimize iletiyorum, en kısa sürede dönüş yapacağız.",
}

var products = []string{"Kazak", "Mont", "Spor ayakkabı", "Kot pantolon", "Elbise", "Gömlek", "Çanta", "Nevresim takımı", "Kahve makinesi", "Blender", "Tişört", "Eşofman takımı"}

var cities = []string{"İstanbul", "Ankara", "İzmir", "Bursa", "Antalya", "Konya", "Adana", "Gaziantep", "Kayseri", "Eskişehir", "Trabzon", "Samsun"}

var cargos = []string{"Yurtiçi Kargo", "Aras Kargo", "MNG Kargo", "PTT Kargo", "Sürat Kargo"}

var firstNames = []string{"Ayşe", "Fatma", "Emine", "Zeynep", "Elif", "Merve", "Özlem", "Şule", "Gül", "Hatice",
	"Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Hasan", "İbrahim", "Emre", "Burak", "Çağlar", "Oğuz", "Serkan"}

var lastNames = []string{"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir",
	"Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt", "Özkan", "Şimşek"}

var agentNames = []string{"Selin Aksoy", "Ayşe Demir", "Mehmet Kaya", "Zeynep Arslan", "Emre Çelik"}
