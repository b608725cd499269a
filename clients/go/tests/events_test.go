package tests

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
	for event := range events.All() {
		if created := event.GetMessageCreated(); created != nil {
			bodies = append(bodies, created.Message.Body)
		}
		if len(bodies) == 2 {
			break
		}
	}
	if strings.Join(bodies, ",") != "first,second" {
		t.Fatalf("bodies %v", bodies)
	}
	// The stream is a channel too, for a select with the test's own timeout.
	select {
	case event := <-events.C():
		if event.GetInboundDelivered() == nil {
			t.Fatalf("unexpected event %v", event)
		}
	case <-time.After(mbtest.DefaultWait):
		t.Fatal("no inbound_delivered event on the channel")
	}
}

// failureRecorder is a testing.TB whose Fatalf records the message and ends the goroutine (as
// the real one does), so that a test can look at how mbtest fails one.
type failureRecorder struct {
	testing.TB
	message string
}

func (f *failureRecorder) Fatalf(format string, args ...any) {
	f.message = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestAFailedWaitForFailsTheTestWithTheServersExplanation(t *testing.T) {
	recorder := &failureRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tenant := mbtest.Shared(t).Tenant(recorder)
		tenant.Numbers.Add(number)
		tenant.InboundSMS(user, number, "hello")
		tenant.WaitFor(mbtest.Kind("message_created"), mbtest.BodyContains("goodbye"), mbtest.Timeout(100*time.Millisecond))
		t.Error("WaitFor returned without a matching event")
	}()
	<-done

	if !strings.HasPrefix(recorder.message, "mbtest.WaitFor: no event matched within 100ms") ||
		!strings.Contains(recorder.message, `body "hello" does not contain "goodbye"`) {
		t.Fatalf("the failure does not carry the server's explanation:\n%s", recorder.message)
	}
}

func TestAServerWithAControlTokenRefusesAClientWithout(t *testing.T) {
	server := mbtest.Start(t, mbtest.ControlToken("s3cret-control-token"))
	if tenant := server.Tenant(t); !strings.HasPrefix(tenant.AccountSid, "AC") {
		t.Fatalf("a tenant with the token: %v", tenant.AccountSid)
	}

	stranger, err := mbtest.ConnectServer(server.GRPCAddress, "another-token")
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	ctx, cancel := context.WithTimeout(context.Background(), mbtest.RPCTimeout)
	defer cancel()
	_, err = stranger.Stubs.Tenants.CreateTenant(ctx, &mbv1.CreateTenantRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("without the token: %v, want Unauthenticated", err)
	}
}
