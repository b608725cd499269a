package tests

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestWaitForFailsWithTheServersNearMissExplanation(t *testing.T) {
	tenant := mbtest.Tenant(t)
	tenant.Numbers.Add(number)
	tenant.Clock.Freeze()
	message, err := tenant.TwilioClient().Api.CreateMessage(new(openapi.CreateMessageParams).SetTo(user).SetFrom(number).SetBody("hello"))
	if err != nil {
		t.Fatal(err)
	}

	// The message exists, but its body is not the one asked for.
	_, err = tenant.TryWaitFor(mbtest.Kind("message_created"), mbtest.SID(*message.Sid), mbtest.BodyContains("goodbye"), mbtest.Timeout(200*time.Millisecond))

	var notFound *mbtest.EventNotFoundError
	if !errors.As(err, &notFound) {
		t.Fatalf("want an *mbtest.EventNotFoundError, got %T: %v", err, err)
	}
	// The server names the near miss and what it got wrong: the body.
	if !strings.Contains(notFound.Error(), *message.Sid) || !strings.Contains(strings.ToLower(notFound.Error()), "body") {
		t.Fatalf("the explanation names neither the message nor its body:\n%s", notFound.Error())
	}
	t.Logf("the server's explanation:\n%s", notFound.Error())
}

func TestSubscribeStreamsTheTenantsEvents(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t)
	tenant.Numbers.Add(number, mbtest.SMSURL(app.URL("/sms")))
	events := tenant.Subscribe(mbtest.Kind("message_created", "inbound_delivered"))

	tenant.InboundSMS(user, number, "first")
	tenant.InboundSMS(user, number, "second")

	var bodies []string
	for len(bodies) < 2 {
		event := events.Next()
		if created := event.GetMessageCreated(); created != nil {
			bodies = append(bodies, created.Message.Body)
		}
	}
	if strings.Join(bodies, ",") != "first,second" {
		t.Fatalf("bodies %v", bodies)
	}
	if delivered := events.Next(); delivered.GetInboundDelivered() == nil && delivered.GetMessageCreated() == nil {
		t.Fatalf("unexpected event %v", delivered)
	}
}
