package store

import (
	"context"
	"reflect"
	"testing"

	"santral/backend/wire"
)

// A synced template keeps its parameter format and each parameter's name and example; one
// stored before they were kept reads its parameter names from its body.
func TestTemplateParametersStored(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		var ch int64
		inTx(t, s, func(tx *Tx) (err error) { ch, err = tx.EnsureChannel("whatsapp", "WhatsApp"); return err })
		named := wire.Template{Name: "kargo_bilgisi", Language: "tr", Category: "UTILITY", Params: 2, ParameterFormat: wire.TemplateNamed,
			Body:       "Merhaba {{musteri_adi}}, {{siparis_no}} kargoda.",
			Parameters: []wire.TemplateParameter{{Name: "musteri_adi", Example: "Ayşe"}, {Name: "siparis_no", Example: "#1043"}}}
		old := wire.Template{Name: "siparis_durumu", Language: "tr", Category: "UTILITY", Params: 2, Body: "Merhaba {{1}}, {{2}} numaralı sipariş."}
		inTx(t, s, func(tx *Tx) error { return tx.ReplaceTemplates(ch, []wire.Template{named, old}) })
		got, err := s.Templates(context.Background(), ch)
		if err != nil || len(got) != 2 {
			t.Fatalf("templates: %+v %v", got, err)
		}
		if got[0].Name != "kargo_bilgisi" || got[0].ParameterFormat != wire.TemplateNamed || !reflect.DeepEqual(got[0].Parameters, named.Parameters) {
			t.Errorf("named template read back as %+v", got[0])
		}
		if want := []wire.TemplateParameter{{Name: "1"}, {Name: "2"}}; got[1].ParameterFormat != wire.TemplatePositional || !reflect.DeepEqual(got[1].Parameters, want) {
			t.Errorf("a template without stored parameters: %+v", got[1])
		}
		inTx(t, s, func(tx *Tx) error {
			one, err := tx.Template(got[0].ID)
			if err != nil || !reflect.DeepEqual(one, got[0]) {
				t.Errorf("Template(%d) = %+v, %v", got[0].ID, one, err)
			}
			return nil
		})
	})
}
