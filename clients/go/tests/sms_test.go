package tests

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	"github.com/mockingbird/mockingbird/clients/go/mbtest/rules"
	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestADeliveredSMSReachesTheAppAsASignedStatusCallback(t *testing.T) {
	// This test's own tenant: fresh credentials, a number, a clock that moves when told to.
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t)
	tenant.Numbers.Add(number)
	tenant.Clock.Freeze()

	// The app sends with the official Twilio SDK, as the tenant, asking for status callbacks.
	twilio := tenant.TwilioClient()
	message, err := twilio.Api.CreateMessage(new(openapi.CreateMessageParams).
		SetTo(user).SetFrom(number).SetBody("Your code is 1234").SetStatusCallback(app.URL("/status")))
	if err != nil {
		t.Fatal(err)
	}
	if *message.Status != "queued" {
		t.Fatalf("status %q, want queued", *message.Status)
	}

	// Five seconds pass at once, and the whole lifecycle with them: queued → sent → delivered.
	tenant.Clock.Advance(5 * time.Second)
	changed := tenant.WaitFor(mbtest.Kind("message_status_changed"), mbtest.SID(*message.Sid), mbtest.Status("delivered"))
	if got := changed.GetMessageStatusChanged().Previous; got != mbv1.MessageStatus_MESSAGE_STATUS_SENT {
		t.Fatalf("previous status %v, want sent", got)
	}

	// mockingbird called the app back, signed with the tenant's auth token (checked by
	// twilio-go's own RequestValidator).
	callback := app.WaitForRequest("/status", "MessageStatus", "delivered")
	if callback.Form.Get("MessageSid") != *message.Sid {
		t.Fatalf("callback about %s, want %s", callback.Form.Get("MessageSid"), *message.Sid)
	}
	if !callback.TwilioSignatureValid(tenant.AuthToken) || callback.TwilioSignatureValid("another-token") {
		t.Fatal("the callback's X-Twilio-Signature does not check out with the tenant's auth token alone")
	}
	attempted := tenant.WaitFor(mbtest.Kind("callback_attempted"), mbtest.SID(*message.Sid), mbtest.Status("delivered"))
	if got := attempted.GetCallbackAttempted().Attempt.ResponseStatus; got != 200 {
		t.Fatalf("the app answered %d", got)
	}
	fetched, err := twilio.Api.FetchMessage(*message.Sid, nil)
	if err != nil || *fetched.Status != "delivered" {
		t.Fatalf("fetched %v, %v; want delivered", fetched, err)
	}
}

func TestTheSDKListsMessagesAcrossPages(t *testing.T) {
	tenant := mbtest.Tenant(t)
	tenant.Numbers.Add(number)
	var requests mbtest.TwilioRequests
	twilio := tenant.TwilioClient(mbtest.RecordTo(&requests))
	sent := map[string]bool{}
	for n := range 5 {
		message, err := twilio.Api.CreateMessage(new(openapi.CreateMessageParams).SetTo(user).SetFrom(number).SetBody(fmt.Sprint("message ", n)))
		if err != nil {
			t.Fatal(err)
		}
		sent[*message.Sid] = true
	}

	listed, err := twilio.Api.ListMessage(new(openapi.ListMessageParams).SetPageSize(2))
	if err != nil {
		t.Fatal(err)
	}

	if len(listed) != len(sent) {
		t.Fatalf("listed %d messages, sent %d", len(listed), len(sent))
	}
	for _, message := range listed {
		if !sent[*message.Sid] {
			t.Fatalf("listed %s, which was not sent", *message.Sid)
		}
	}
	gets := 0
	for _, request := range requests.All() {
		if request.Method == "GET" {
			gets++
		}
	}
	if gets != 3 { // 2 + 2 + 1, following next_page_uri through the redirect
		t.Fatalf("%d page requests, want 3: %v", gets, requests.All())
	}
}

func TestARuleThatRejectsANumberMakesTheSDKReturnTwiliosCode(t *testing.T) {
	tenant := mbtest.Tenant(t)
	tenant.Numbers.Add(number)
	tenant.Rules.Add(rules.To(user).Reject(21610))
	twilio := tenant.TwilioClient()

	_, err := twilio.Api.CreateMessage(new(openapi.CreateMessageParams).SetTo(user).SetFrom(number).SetBody("hello"))

	var restErr *client.TwilioRestError
	if !errors.As(err, &restErr) {
		t.Fatalf("want a *client.TwilioRestError, got %T: %v", err, err)
	}
	if restErr.Status != 400 || restErr.Code != 21610 {
		t.Fatalf("got HTTP %d code %d, want 400 21610", restErr.Status, restErr.Code)
	}
	matched := tenant.WaitFor(mbtest.Kind("rule_matched"), mbtest.To(user))
	if got := matched.GetRuleMatched().RejectedWith; got != 21610 {
		t.Fatalf("rule_matched rejected with %d", got)
	}
}

func TestAScriptedRulePlaysSentThenUndeliveredOnTheTenantsClock(t *testing.T) {
	tenant := mbtest.Tenant(t)
	tenant.Numbers.Add(number)
	tenant.Clock.Freeze()
	tenant.Rules.Add(rules.To(user).Sent(time.Second).Undelivered(30007, 2*time.Second))
	twilio := tenant.TwilioClient(mbtest.WithAPIKey()) // the tenant's API key authenticates too

	message, err := twilio.Api.CreateMessage(new(openapi.CreateMessageParams).SetTo(user).SetFrom(number).SetBody("hello"))
	if err != nil {
		t.Fatal(err)
	}
	tenant.Clock.Advance(time.Second)
	if fetched, _ := twilio.Api.FetchMessage(*message.Sid, nil); fetched == nil || *fetched.Status != "sent" {
		t.Fatalf("after 1 s: %v, want sent", fetched)
	}

	tenant.Clock.Advance(2 * time.Second)
	failed := tenant.WaitFor(mbtest.Kind("message_status_changed"), mbtest.SID(*message.Sid), mbtest.Status("undelivered"))
	if got := failed.GetMessageStatusChanged().ErrorCode; got != 30007 {
		t.Fatalf("error code %d, want 30007", got)
	}
	fetched, err := twilio.Api.FetchMessage(*message.Sid, nil)
	if err != nil || *fetched.Status != "undelivered" || *fetched.ErrorCode != 30007 {
		t.Fatalf("fetched %+v, %v; want undelivered 30007", fetched, err)
	}
}

func TestAnInboundSMSIsAnsweredWithTheAppsTwiMLReply(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t).RouteText("/sms", "<Response><Message>Thanks, we got it.</Message></Response>")
	tenant.Numbers.Add(number, mbtest.SMSURL(app.URL("/sms")))

	sent := tenant.InboundSMS(user, number, "Is my order ready?")

	if len(sent.Replies) != 1 || sent.Replies[0].Body != "Thanks, we got it." {
		t.Fatalf("replies %v", sent.Replies)
	}
	webhook := app.WaitForRequest("/sms")
	if webhook.Form.Get("Body") != "Is my order ready?" || !webhook.TwilioSignatureValid(tenant.AuthToken) {
		t.Fatalf("webhook %v (signature valid: %v)", webhook, webhook.TwilioSignatureValid(tenant.AuthToken))
	}
	reply := tenant.WaitFor(mbtest.Kind("message_created"), mbtest.To(user), mbtest.BodyContains("Thanks"))
	if reply.GetMessageCreated().Message.Sid != sent.Replies[0].Sid {
		t.Fatalf("message_created %v, want the reply %s", reply, sent.Replies[0].Sid)
	}
}

func TestAGETWebhooksSignatureCoversItsQuery(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t)
	tenant.Numbers.Add(number, mbtest.SMSURL(app.URL("/sms?shop=42")), func(r *mbv1.AddNumberRequest) {
		r.SmsMethod = mbv1.HttpMethod_HTTP_METHOD_GET
	})

	tenant.InboundSMS(user, number, "Is my order ready?")

	webhook := app.WaitForRequest("/sms", "Body", "Is my order ready?")
	if webhook.Method != "GET" || webhook.Form.Get("shop") != "42" {
		t.Fatalf("webhook %v, want a GET with the URL's own query kept", webhook)
	}
	if !webhook.TwilioSignatureValid(tenant.AuthToken) || webhook.TwilioSignatureValid("another-token") {
		t.Fatal("a GET webhook's X-Twilio-Signature does not check out with the tenant's auth token alone")
	}
}

func TestAnInboundWhatsAppMessageThroughTwiliosChannel(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t).RouteText("/whatsapp", "<Response><Message>Hi from the app</Message></Response>")
	tenant.Numbers.Add(number, mbtest.SMSURL(app.URL("/whatsapp")))

	sent := tenant.InboundSMS("whatsapp:"+user, "whatsapp:"+number, "hello")

	webhook := app.WaitForRequest("/whatsapp")
	if webhook.Form.Get("From") != "whatsapp:"+user || !webhook.TwilioSignatureValid(tenant.AuthToken) {
		t.Fatalf("webhook %v", webhook)
	}
	if len(sent.Replies) != 1 || sent.Replies[0].To != "whatsapp:"+user {
		t.Fatalf("replies %v, want one to whatsapp:%s", sent.Replies, user)
	}
}
