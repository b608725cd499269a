package tests

// The rest of the control plane through mbtest: tenants, numbers, rules, the clock, messages and
// their webhooks, WhatsApp settings and Meta's handshake (calls are in calls_test.go).

import (
	"slices"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	"github.com/mockingbird/mockingbird/clients/go/mbtest/rules"
	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

func accountSids(tenants []*mbtest.TenantHandle) []string {
	sids := make([]string, len(tenants))
	for i, tenant := range tenants {
		sids[i] = tenant.AccountSid
	}
	return sids
}

func TestATenantIsFoundBySidAndListedAndAResetKeepsItsNumbers(t *testing.T) {
	tenant := mbtest.Tenant(t)
	server := mbtest.Shared(t)

	found := server.Account(t, tenant.AccountSid)
	if found.AuthToken != tenant.AuthToken || found.Label != t.Name() {
		t.Fatalf("found %v, want %v", found.Tenant, tenant.Tenant)
	}
	listed := accountSids(server.Tenants(t))
	if !slices.Contains(listed, tenant.AccountSid) || !slices.Contains(listed, server.Account(t, "").AccountSid) {
		t.Fatalf("listed %v: neither this tenant nor the config file's account may be missing", listed)
	}

	tenant.Numbers.Add(number)
	tenant.Rules.Add(rules.To(user).Reject(21610))
	if _, err := tenant.TwilioClient().Api.CreateMessage(new(openapi.CreateMessageParams).SetTo(otherUser).SetFrom(number).SetBody("before the reset")); err != nil {
		t.Fatal(err)
	}
	after := tenant.Reset()

	if messages, rules := tenant.Messages.List("", ""), tenant.Rules.List(); len(messages) != 0 || len(rules) != 0 {
		t.Fatalf("after the reset: messages %v, rules %v", messages, rules)
	}
	if numbers := tenant.Numbers.List(); len(numbers) != 1 || numbers[0].PhoneNumber != number {
		t.Fatalf("numbers %v, want %s kept", numbers, number)
	}
	if cleared := tenant.WaitFor(mbtest.Kind("data_cleared"), mbtest.After(after-1)); cleared.Sequence != after {
		t.Fatalf("data_cleared at %d, reset said %d", cleared.Sequence, after)
	}
}

func TestNumbersAreAddedUpdatedListedAndRemoved(t *testing.T) {
	tenant := mbtest.Tenant(t)
	tenant.Numbers.Add(number, mbtest.SMSURL("http://127.0.0.1:9/sms"))

	voiceURL := "http://127.0.0.1:9/voice"
	updated := tenant.Numbers.Update(number, func(r *mbv1.UpdateNumberRequest) { r.VoiceUrl = &voiceURL })

	if updated.SmsUrl != "http://127.0.0.1:9/sms" || updated.VoiceUrl != voiceURL {
		t.Fatalf("updated %v: the SMS URL kept, the voice URL set", updated)
	}
	if numbers := tenant.Numbers.List(); len(numbers) != 1 || numbers[0].VoiceUrl != voiceURL {
		t.Fatalf("numbers %v", numbers)
	}
	tenant.Numbers.Remove(number)
	if numbers := tenant.Numbers.List(); len(numbers) != 0 {
		t.Fatalf("numbers %v after the removal", numbers)
	}
}

func TestRulesAreReplacedListedInMatchingOrderAndCleared(t *testing.T) {
	tenant := mbtest.Tenant(t)
	tenant.Rules.Add(rules.To(user).Reject(21610))

	replaced := tenant.Rules.Replace(rules.To(otherUser).Reject(21211), rules.To(user).Delivered(time.Second))

	for _, got := range [][]*mbv1.Rule{replaced, tenant.Rules.List()} {
		if len(got) != 2 || got[0].When.To.GetExact() != otherUser || got[1].When.To.GetExact() != user {
			t.Fatalf("rules %v, want %s then %s", got, otherUser, user)
		}
	}
	tenant.Rules.Clear()
	if left := tenant.Rules.List(); len(left) != 0 {
		t.Fatalf("rules %v after Clear", left)
	}
}

func TestTheClockFreezesAdvancesAndResumes(t *testing.T) {
	tenant := mbtest.Tenant(t)

	frozen := tenant.Clock.Freeze()
	if !frozen.Frozen || !tenant.Clock.State().Now.AsTime().Equal(frozen.Now.AsTime()) {
		t.Fatalf("frozen %v, state %v", frozen, tenant.Clock.State())
	}
	if moved := tenant.Clock.Advance(90 * time.Second).Now.AsTime().Sub(frozen.Now.AsTime()); moved != 90*time.Second {
		t.Fatalf("advanced by %v", moved)
	}
	if tenant.Clock.Resume().Frozen {
		t.Fatal("still frozen after Resume")
	}
}

func TestAStatusSetByTheTestIsCalledBackAndTheCallbackRedelivered(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t)
	tenant.Numbers.Add(number)
	tenant.Clock.Freeze() // only the test moves the message
	message, err := tenant.TwilioClient().Api.CreateMessage(new(openapi.CreateMessageParams).
		SetTo(user).SetFrom(number).SetBody("hi").SetStatusCallback(app.URL("/status")))
	if err != nil {
		t.Fatal(err)
	}

	failed := tenant.Messages.SetStatus(*message.Sid, mbv1.MessageStatus_MESSAGE_STATUS_UNDELIVERED, 30003)

	if got := tenant.Messages.Get(*message.Sid); got.Status != failed.Status || got.ErrorCode != 30003 {
		t.Fatalf("got %v, set %v", got, failed)
	}
	if toUser, toOther := tenant.Messages.List(user, ""), tenant.Messages.List(otherUser, ""); len(toUser) != 1 || len(toOther) != 0 {
		t.Fatalf("to %s: %v; to %s: %v", user, toUser, otherUser, toOther)
	}
	first := app.WaitForRequest("/status", "MessageStatus", "undelivered")
	attempts := tenant.Messages.CallbackAttempts(*message.Sid)
	if len(attempts) != 1 || attempts[0].Status != "undelivered" || attempts[0].ResponseStatus != 200 {
		t.Fatalf("attempts %v", attempts)
	}
	if sent := attempts[0].RequestHeaders["x-twilio-signature"]; sent != first.Header.Get("X-Twilio-Signature") {
		t.Fatalf("the attempt says it sent signature %q, the app got %q", sent, first.Header.Get("X-Twilio-Signature"))
	}

	again := tenant.Messages.Redeliver(attempts[0].Id)

	if again.Id == attempts[0].Id || again.ResponseStatus != 200 {
		t.Fatalf("redelivered %v", again)
	}
	callbacks := app.WaitFor(func(got []mbtest.Request) bool { return len(got) == 2 })
	if second := callbacks[1]; second.Form.Encode() != first.Form.Encode() || !second.TwilioSignatureValid(tenant.AuthToken) {
		t.Fatalf("redelivered %v, first %v", second, first)
	}
}

func TestWhatsAppSettingsAreChangedAndReadAndTheWebhookVerifiedByMetasHandshake(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t).Route("/whatsapp", func(r mbtest.Request) string {
		// An app passing Meta's handshake: the bare challenge, for the tenant's verify token.
		if r.Form.Get("hub.verify_token") != tenant.Whatsapp.VerifyToken {
			return "wrong token"
		}
		return r.Form.Get("hub.challenge")
	}).RouteText("/broken", "not the challenge")
	tenant.SetWhatsAppWebhook(app.URL("/whatsapp"))

	tenant.UpdateWhatsAppSettings(func(r *mbv1.UpdateWhatsAppSettingsRequest) { r.Window = mbv1.WindowPolicy_WINDOW_POLICY_OFF })

	settings := tenant.WhatsAppSettings()
	if settings.WebhookUrl != app.URL("/whatsapp") || settings.Window != mbv1.WindowPolicy_WINDOW_POLICY_OFF {
		t.Fatalf("settings %v: the webhook URL kept, the window off", settings)
	}
	if settings.Identity.PhoneNumberId != tenant.Whatsapp.PhoneNumberId {
		t.Fatalf("settings of %s, want %s", settings.Identity.PhoneNumberId, tenant.Whatsapp.PhoneNumberId)
	}

	passed := tenant.VerifyWhatsAppWebhook("")
	if !passed.Echoed || passed.Attempt.ResponseBody != passed.Challenge {
		t.Fatalf("handshake %v", passed)
	}
	if handshake := app.WaitForRequest("/whatsapp"); handshake.Method != "GET" || handshake.Form.Get("hub.mode") != "subscribe" {
		t.Fatalf("handshake request %v", handshake)
	}
	if tenant.VerifyWhatsAppWebhook(app.URL("/broken")).Echoed {
		t.Fatal("an app that does not echo the challenge passed")
	}
}

func TestAWhatsAppUsersButtonTapThroughTwilioCarriesTheFieldsTheTestSets(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t)
	tenant.Numbers.Add(number, mbtest.SMSURL(app.URL("/sms")))

	tenant.InboundSMS("whatsapp:"+user, number, "", func(r *mbv1.SendInboundRequest) {
		r.ProfileName, r.ButtonText, r.ButtonPayload = "Ada", "Yes", "confirm_42"
	})

	if tap := app.WaitForRequest("/sms").Form; tap.Get("ProfileName") != "Ada" || tap.Get("ButtonPayload") != "confirm_42" || tap.Get("Body") != "Yes" {
		t.Fatalf("the button tap's webhook %v", tap)
	}
}
