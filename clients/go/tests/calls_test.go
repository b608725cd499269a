package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	"github.com/mockingbird/mockingbird/clients/go/mbtest/rules"
	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"github.com/twilio/twilio-go/twiml"
)

const caller = "+15557654321"

// menu and chosen are the app's IVR, written with twilio-go's own TwiML builder.
func menu(mbtest.Request) string {
	xml, _ := twiml.Voice([]twiml.Element{&twiml.VoiceGather{
		Input: "dtmf speech", NumDigits: "1", Action: "/menu", Timeout: "5",
		InnerElements: []twiml.Element{&twiml.VoiceSay{Message: "Press 1 for sales, 2 for support."}},
	}})
	return xml
}

func chosen(request mbtest.Request) string {
	line := map[string]string{"1": "sales", "2": "support"}[request.Form.Get("Digits")]
	spoken := strings.ToLower(request.Form.Get("SpeechResult"))
	for _, word := range []string{"sales", "support"} {
		if line == "" && strings.Contains(spoken, word) {
			line = word
		}
	}
	xml, _ := twiml.Voice([]twiml.Element{
		&twiml.VoiceSay{Message: "Connecting you to " + line + "."},
		&twiml.VoicePause{Length: "30"}, // on hold until the caller hangs up
	})
	return xml
}

func ivr(t *testing.T) (*mbtest.TenantHandle, *mbtest.Receiver) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t).Route("/voice", menu).Route("/menu", chosen)
	tenant.Numbers.Add(number, mbtest.VoiceURL(app.URL("/voice")))
	return tenant, app
}

func last(said []string) string {
	if len(said) == 0 {
		return ""
	}
	return said[len(said)-1]
}

func TestACallerPicksSalesFromTheMenuAndHangsUp(t *testing.T) {
	tenant, app := ivr(t)

	call := tenant.PlaceCall(caller, number)
	if call.WaitingFor() != "gather" || last(call.Said()) != "Press 1 for sales, 2 for support." {
		t.Fatalf("waiting for %q, said %q", call.WaitingFor(), call.Said())
	}

	call.Press("1")
	if got := last(call.Said()); got != "Connecting you to sales." {
		t.Fatalf("said %q", got)
	}
	choice := app.WaitForRequest("/menu")
	if choice.Form.Get("Digits") != "1" || !choice.TwilioSignatureValid(tenant.AuthToken) {
		t.Fatalf("the menu's webhook %v", choice)
	}

	call.HangUp()
	if call.Status() != "completed" {
		t.Fatalf("status %q", call.Status())
	}
	ended := tenant.WaitFor(mbtest.Kind("call_status_changed"), mbtest.SID(call.SID()), mbtest.CallStatus("completed"))
	if got := ended.GetCallStatusChanged().Previous; got != mbv1.CallStatus_CALL_STATUS_IN_PROGRESS {
		t.Fatalf("previous %v", got)
	}
}

func TestACallerAsksForSupportInWords(t *testing.T) {
	tenant, app := ivr(t)

	call := tenant.PlaceCall(caller, number).Say("support please")

	if got := last(call.Said()); got != "Connecting you to support." {
		t.Fatalf("said %q", got)
	}
	if got := app.WaitForRequest("/menu").Form.Get("SpeechResult"); got != "support please" {
		t.Fatalf("SpeechResult %q", got)
	}
	heard := tenant.WaitFor(mbtest.Kind("call_verb"), mbtest.SID(call.SID()), mbtest.BodyContains("Connecting you to support"))
	if heard.GetCallVerb().Entry.Type != "said" {
		t.Fatalf("call_verb %v", heard)
	}
	call.HangUp()
}

func TestACallTheAppPlacesRingsUntilTheTestAnswers(t *testing.T) {
	tenant := mbtest.Tenant(t)
	greeting, _ := twiml.Voice([]twiml.Element{&twiml.VoiceSay{Message: "Your table is ready."}})
	app := mbtest.NewReceiver(t).RouteText("/outbound", greeting)
	tenant.Numbers.Add(number)
	tenant.Rules.Add(rules.Calls().To(caller).Rings())
	tenant.Clock.Freeze()
	twilio := tenant.TwilioClient()

	placed, err := twilio.Api.CreateCall(new(openapi.CreateCallParams).SetTo(caller).SetFrom(number).SetUrl(app.URL("/outbound")))
	if err != nil {
		t.Fatal(err)
	}
	tenant.Clock.Advance(5 * time.Second)
	tenant.WaitFor(mbtest.Kind("call_status_changed"), mbtest.SID(*placed.Sid), mbtest.CallStatus("ringing"))

	call := tenant.Call(*placed.Sid).Answer()
	if said := call.Said(); len(said) != 1 || said[0] != "Your table is ready." || call.Status() != "completed" {
		t.Fatalf("said %q, status %q", said, call.Status())
	}
	fetched, err := twilio.Api.FetchCall(*placed.Sid, nil)
	if err != nil || *fetched.Status != "completed" {
		t.Fatalf("fetched %v, %v", fetched, err)
	}
}

func TestACallTheTestRejectsEndsBusy(t *testing.T) {
	tenant := mbtest.Tenant(t)
	tenant.Numbers.Add(number)
	tenant.Rules.Add(rules.Calls().To(caller).Rings())
	tenant.Clock.Freeze()
	app := mbtest.NewReceiver(t)

	placed, err := tenant.TwilioClient().Api.CreateCall(new(openapi.CreateCallParams).SetTo(caller).SetFrom(number).SetUrl(app.URL("/outbound")))
	if err != nil {
		t.Fatal(err)
	}
	tenant.Clock.Advance(5 * time.Second)
	tenant.WaitFor(mbtest.Kind("call_status_changed"), mbtest.SID(*placed.Sid), mbtest.CallStatus("ringing"))

	if call := tenant.Call(*placed.Sid).Reject("busy"); call.Status() != "busy" {
		t.Fatalf("status %q, want busy", call.Status())
	}
}
