package demo

// The demo's welcome menu: the first thing a new customer on the demo's channels sees, in
// Turkish, before a person answers — what to ask about (an order's status, a return or an
// exchange, or straight to an agent); an order number is collected by its pattern. Every path
// ends in the queue, tagged with what the customer chose, so the agent who takes it sees why.

import (
	"context"

	"santral/backend/routing"
	"santral/backend/wire"
)

// WelcomeFlowName is the demo's welcome flow.
const WelcomeFlowName = "Karşılama menüsü"

// The steps the simulated customers answer.
const (
	stepMenu  = "menu"
	stepOrder = "order"
)

func intp0(n int) *int { return &n }

// Welcome is the welcome menu's definition (published by Seed, set as the channels' default).
func Welcome() wire.FlowDefinition {
	return wire.FlowDefinition{Start: stepMenu, Steps: []wire.FlowStep{
		{ID: stepMenu, Type: wire.StepAsk, Title: "Karşılama", Attribute: "konu",
			Text: "Merhaba {{customer.first_name}}, Santral Mağaza'ya hoş geldiniz! Size nasıl yardımcı olabiliriz?",
			Choices: []wire.FlowChoice{
				{ID: "siparis", Title: "Sipariş durumu", Next: stepOrder},
				{ID: "iade", Title: "İade / değişim", Next: "return"},
				{ID: "temsilci", Title: "Temsilciye bağlan", Next: "agent"},
			},
			Retries: intp0(1), InvalidText: "Lütfen seçeneklerden birini seçin.", OnInvalid: "agent",
			TimeoutSeconds: 600, OnTimeout: "agent"},
		{ID: stepOrder, Type: wire.StepCollect, Title: "Sipariş numarası", Attribute: "siparis_no",
			Text: "Sipariş numaranızı yazar mısınız? (6 haneli, ör. 100482)", Validate: wire.ValidatePattern, Pattern: `[0-9]{6}`,
			Retries: intp0(2), InvalidText: "Sipariş numarası 6 haneli bir sayıdır.", OnInvalid: "agent",
			TimeoutSeconds: 600, OnTimeout: "agent", Next: "order_thanks"},
		{ID: "order_thanks", Type: wire.StepMessage, Text: "Teşekkürler! {{siparis_no}} numaralı siparişiniz için sizi bir temsilcimize aktarıyorum.", Next: "order_queue"},
		{ID: "order_queue", Type: wire.StepHandover, Tag: "siparis"},
		{ID: "return", Type: wire.StepMessage, Text: "Ürünü teslim aldıktan sonra 14 gün içinde iade veya değişim yapabilirsiniz. Sizi bir temsilcimize aktarıyorum.", Next: "return_queue"},
		{ID: "return_queue", Type: wire.StepHandover, Tag: "iade"},
		{ID: "agent", Type: wire.StepMessage, Text: "Sizi hemen bir temsilcimize aktarıyorum.", Next: "agent_queue"},
		{ID: "agent_queue", Type: wire.StepHandover, Tag: "temsilci"},
	}}
}

// seedWelcome creates and publishes the welcome menu through the rules (publishing validates
// it as any admin's flow) and makes it the default flow of the demo's channels.
func seedWelcome(ctx context.Context, r *routing.Service, channelIDs []int64) error {
	def := Welcome()
	f, err := r.CreateFlow(ctx, 0, WelcomeFlowName, &def)
	if err != nil {
		return err
	}
	if _, err := r.PublishFlow(ctx, f.ID, 0); err != nil {
		return err
	}
	for _, id := range channelIDs {
		if id == 0 {
			continue
		}
		if _, err := r.SetDefaultFlow(ctx, id, &f.ID); err != nil {
			return err
		}
	}
	return nil
}
