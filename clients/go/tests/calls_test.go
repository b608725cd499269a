package tests

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	"github.com/mockingbird/mockingbird/clients/go/mbtest/rules"
	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"github.com/twilio/twilio-go/twiml"
)

const caller = user // the person on the phone

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

// phonesRing readies the tenant for calls its app places: its number, callees whose phones ring
// until the test answers or rejects, and a frozen clock.
func phonesRing(t *testing.T) *mbtest.TenantHandle {
	tenant := mbtest.Tenant(t)
	tenant.Numbers.Add(number)
	tenant.Rules.Add(rules.Calls().Rings())
	tenant.Clock.Freeze()
	return tenant
}

// dial is the app calling to with the SDK (its TwiML at url; more set by params); it returns
// the call's SID once the callee's phone rings.
func dial(t *testing.T, tenant *mbtest.TenantHandle, to, url string, params ...func(*openapi.CreateCallParams)) string {
	t.Helper()
	create := new(openapi.CreateCallParams).SetTo(to).SetFrom(number).SetUrl(url)
	for _, set := range params {
		set(create)
	}
	placed, err := tenant.TwilioClient().Api.CreateCall(create)
	if err != nil {
		t.Fatal(err)
	}
	tenant.Clock.Advance(5 * time.Second)
	tenant.WaitFor(mbtest.Kind("call_status_changed"), mbtest.SID(*placed.Sid), mbtest.CallStatus("ringing"))
	return *placed.Sid
}

func TestACallTheAppPlacesRingsUntilTheTestAnswers(t *testing.T) {
	tenant := phonesRing(t)
	greeting, _ := twiml.Voice([]twiml.Element{&twiml.VoiceSay{Message: "Your table is ready."}})
	app := mbtest.NewReceiver(t).RouteText("/outbound", greeting)

	sid := dial(t, tenant, caller, app.URL("/outbound"))

	call := tenant.Call(sid).Answer()
	if said := call.Said(); len(said) != 1 || said[0] != "Your table is ready." || call.Status() != "completed" {
		t.Fatalf("said %q, status %q", said, call.Status())
	}
	fetched, err := tenant.TwilioClient().Api.FetchCall(sid, nil)
	if err != nil || *fetched.Status != "completed" {
		t.Fatalf("fetched %v, %v", fetched, err)
	}
}

func TestACallTheTestRejectsEndsBusy(t *testing.T) {
	tenant := phonesRing(t)
	app := mbtest.NewReceiver(t)

	sid := dial(t, tenant, caller, app.URL("/outbound"))

	if call := tenant.Call(sid).Reject("busy"); call.Status() != "busy" {
		t.Fatalf("status %q, want busy", call.Status())
	}
}

func TestAnAnsweringMachinePicksUpACallTheAppPlaces(t *testing.T) {
	tenant := phonesRing(t)
	app := mbtest.NewReceiver(t)
	sid := dial(t, tenant, caller, app.URL("/outbound"), func(p *openapi.CreateCallParams) { p.SetMachineDetection("Enable") })

	call := tenant.Call(sid).AnswerAsMachine()

	if got := call.Detail.Call.AnsweredBy; got == "" || got == "human" {
		t.Fatalf("answered by %q, want a machine", got)
	}
}

func TestCallsTheAppPlacesAreListedByCriteria(t *testing.T) {
	tenant := phonesRing(t)
	app := mbtest.NewReceiver(t)
	toCaller, toOther := dial(t, tenant, caller, app.URL("/outbound")), dial(t, tenant, otherUser, app.URL("/outbound"))
	tenant.Call(toOther).Reject("busy")

	sids := func(edit func(*mbv1.ListCallsRequest)) []string {
		var sids []string
		for _, call := range tenant.Calls(edit) {
			sids = append(sids, call.Sid)
		}
		return sids
	}
	if got := sids(func(r *mbv1.ListCallsRequest) { r.To = caller }); !slices.Equal(got, []string{toCaller}) {
		t.Errorf("calls to the caller: %v, want %s", got, toCaller)
	}
	if got := sids(func(r *mbv1.ListCallsRequest) { r.Status = mbv1.CallStatus_CALL_STATUS_BUSY }); !slices.Equal(got, []string{toOther}) {
		t.Errorf("busy calls: %v, want %s", got, toOther)
	}
	if got := sids(func(r *mbv1.ListCallsRequest) { r.From = number; r.Limit = 1 }); !slices.Equal(got, []string{toOther}) {
		t.Errorf("the newest call: %v, want %s", got, toOther)
	}
	if status := tenant.Call(toCaller).Refresh().Status(); status != "ringing" {
		t.Fatalf("the other call is %q, want still ringing", status)
	}
}

func TestACallForwardedToTheAppSaysFromWhere(t *testing.T) {
	tenant := mbtest.Tenant(t)
	app := mbtest.NewReceiver(t).RouteText("/voice", "<Response><Say>Hello</Say></Response>")
	tenant.Numbers.Add(number, mbtest.VoiceURL(app.URL("/voice")))

	tenant.PlaceCall(caller, number, func(r *mbv1.PlaceInboundCallRequest) { r.ForwardedFrom = otherUser })

	if webhook := app.WaitForRequest("/voice").Form; webhook.Get("ForwardedFrom") != otherUser {
		t.Fatalf("the call's webhook %v, want ForwardedFrom %s", webhook, otherUser)
	}
}
