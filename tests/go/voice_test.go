// Voice through the official twilio-go SDK: calls created, fetched, listed, updated and deleted
// with the REST client, and apps whose TwiML is built only with the SDK's own builder
// (github.com/twilio/twilio-go/twiml), run unchanged by mockingbird's interpreter.
//
// The test is the person on the phone through mbtest's Call on the config's account (see
// sdk_test.go): it places inbound calls, presses keys, speaks and hangs up, and reads the
// transcript of what the caller heard. Calls run on the server's clock, with the config's short
// step delay; nothing sleeps for a fixed time.
package sdktests

import (
	"encoding/binary"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	api "github.com/twilio/twilio-go/rest/api/v2010"
	"github.com/twilio/twilio-go/twiml"
)

const (
	ivrNumber   = "+15550002222" // the app's number, bought in the test with its VoiceUrl
	caller      = otherNumber    // the person on the phone
	callTimeout = 10 * time.Second
	holdMusic   = "https://demo.twilio.com/docs/classic.mp3"
)

// --------------------------------------------------------------------------------------------
// The TwiML app
// --------------------------------------------------------------------------------------------

// voiceResponse is the document the SDK's VoiceResponse builder writes for these verbs.
func voiceResponse(t testing.TB, verbs ...twiml.Element) string {
	t.Helper()
	document, err := twiml.Voice(verbs)
	if err != nil {
		t.Fatalf("twiml.Voice: %v", err)
	}
	return document
}

// startTwimlApp starts the app under test's voice side: every request is recorded, its
// signature checked, and answered (text/xml) with the document the SDK's builder writes for the
// verbs that route returns. An unknown route fails the test.
func startTwimlApp(t *testing.T, token string, route func(mbtest.Request) []twiml.Element) *mbtest.Receiver {
	t.Helper()
	return mbtest.NewReceiver(t).Fallback(func(request mbtest.Request) string {
		if !request.TwilioSignatureValid(token) {
			t.Errorf("the app got a request whose X-Twilio-Signature does not validate: %s", request)
		}
		verbs := route(request)
		if verbs == nil {
			t.Errorf("the app got a request for a route it does not serve: %s", request)
		}
		return voiceResponse(t, verbs...)
	})
}

// routes lists the route of each request, in order.
func routes(requests []mbtest.Request) []string {
	out := make([]string, len(requests))
	for i, r := range requests {
		out[i] = r.Path
	}
	return out
}

// assertParams checks a webhook's parameters.
func assertParams(t *testing.T, request mbtest.Request, want map[string]string) {
	t.Helper()
	for name, value := range want {
		if got, ok := request.Form.Get(name), request.Form.Has(name); !ok || got != value {
			t.Errorf("%s %s: %s = %q (present: %t), want %q", request.Method, request.Path, name, got, ok, value)
		}
	}
}

// --------------------------------------------------------------------------------------------
// Calls through the SDK
// --------------------------------------------------------------------------------------------

func newCall(to, from string) *api.CreateCallParams {
	params := &api.CreateCallParams{}
	params.SetTo(to)
	params.SetFrom(from)
	return params
}

func createCall(t *testing.T, c *SDK, params *api.CreateCallParams) *api.ApiV2010Call {
	t.Helper()
	call, err := c.Api.CreateCall(params)
	if err != nil {
		t.Fatalf("CreateCall(To=%s, From=%s): %v", str(params.To), str(params.From), err)
	}
	return call
}

func fetchCall(t *testing.T, c *SDK, sid string) *api.ApiV2010Call {
	t.Helper()
	call, err := c.Api.FetchCall(sid, nil)
	if err != nil {
		t.Fatalf("FetchCall(%s): %v", sid, err)
	}
	return call
}

func updateCall(t *testing.T, c *SDK, sid string, params *api.UpdateCallParams) *api.ApiV2010Call {
	t.Helper()
	call, err := c.Api.UpdateCall(sid, params)
	if err != nil {
		t.Fatalf("UpdateCall(%s): %v", sid, err)
	}
	return call
}

func callSids(t *testing.T, c *SDK, params *api.ListCallParams) []string {
	t.Helper()
	calls, err := c.Api.ListCall(params)
	if err != nil {
		t.Fatalf("ListCall: %v", err)
	}
	sids := make([]string, len(calls))
	for i, call := range calls {
		sids[i] = str(call.Sid)
	}
	return sids
}

var finalCallStatuses = map[string]bool{
	"completed": true, "busy": true, "no-answer": true, "failed": true, "canceled": true,
}

// waitForCallStatus waits for the call's status_changed event to status, then fetches it.
func waitForCallStatus(t *testing.T, c *SDK, sid, status string) *api.ApiV2010Call {
	t.Helper()
	c.account.WaitFor(mbtest.Kind("call_status_changed"), mbtest.SID(sid), mbtest.CallStatus(status), mbtest.Timeout(callTimeout))
	return fetchCall(t, c, sid)
}

// waitForVerb follows the call's transcript (its call_verb events after the one numbered
// after) to the first line of this type (`paused`, `recording_started`, `said`, …), and returns
// that event's sequence number and the call as it is then.
func waitForVerb(t *testing.T, server *Mockingbird, sid, entryType string, after int64) (int64, *mbtest.Call) {
	t.Helper()
	transcript := server.Account.Subscribe(mbtest.Kind("call_verb"), mbtest.SID(sid), mbtest.After(after), mbtest.Timeout(callTimeout))
	defer transcript.Close()
	for event := range transcript.All() {
		if event.GetCallVerb().GetEntry().GetType() == entryType {
			return event.GetSequence(), server.Account.Call(sid)
		}
	}
	panic("unreachable: All fails the test when no event comes")
}

// transcript is the call's transcript, a line a person can read per entry.
func transcript(call *mbtest.Call) []string {
	var lines []string
	for _, entry := range call.Detail.GetTranscript() {
		lines = append(lines, entry.GetDescription())
	}
	return lines
}

// assertTranscript checks that the transcript has lines starting with each of want, in that
// order (other lines may come between).
func assertTranscript(t *testing.T, view *mbtest.Call, want []string) {
	t.Helper()
	next := 0
	lines := transcript(view)
	for _, line := range lines {
		if next < len(want) && strings.HasPrefix(line, want[next]) {
			next++
		}
	}
	if next < len(want) {
		t.Errorf("transcript of %s lacks %q (after %q):\n  %s", view.SID(), want[next], want[:next], strings.Join(lines, "\n  "))
	}
}

// buyNumber gives the account a number whose calls ask voiceURL for TwiML and report their end
// to statusCallback, as an app sets up its Twilio number.
func buyNumber(t *testing.T, c *SDK, number, voiceURL, statusCallback string) {
	t.Helper()
	params := &api.CreateIncomingPhoneNumberParams{}
	params.SetPhoneNumber(number)
	params.SetVoiceUrl(voiceURL)
	params.SetStatusCallback(statusCallback)
	if _, err := c.Api.CreateIncomingPhoneNumber(params); err != nil {
		t.Fatalf("CreateIncomingPhoneNumber(%s): %v", number, err)
	}
}

func callStatuses(requests []mbtest.Request) []string {
	out := make([]string, len(requests))
	for i, r := range requests {
		out[i] = r.Form.Get("CallStatus")
	}
	return out
}

// endedCallbacks waits until every one of sids has had its final status callback.
func endedCallbacks(receiver *mbtest.Receiver, sids ...string) []mbtest.Request {
	return receiver.WaitFor(func(requests []mbtest.Request) bool {
		ended := map[string]bool{}
		for _, r := range requests {
			if finalCallStatuses[r.Form.Get("CallStatus")] {
				ended[r.Form.Get("CallSid")] = true
			}
		}
		for _, sid := range sids {
			if !ended[sid] {
				return false
			}
		}
		return true
	})
}

// forCall keeps the requests (webhooks, callbacks) about one call.
func forCall(requests []mbtest.Request, sid string) []mbtest.Request {
	var out []mbtest.Request
	for _, r := range requests {
		if r.Form.Get("CallSid") == sid {
			out = append(out, r)
		}
	}
	return out
}

func assertRestError(t *testing.T, err error, what string, status, code int) {
	t.Helper()
	restErr := restError(t, err, what)
	if restErr.Status != status || restErr.Code != code {
		t.Errorf("%s: status %d code %d, want %d / %d (%v)", what, restErr.Status, restErr.Code, status, code, restErr)
	}
}

// assertWav downloads a recording's audio as an app does (Twilio serves it without
// credentials by default): a WAV of 8 kHz mono 16-bit PCM, as long as the recording.
func assertWav(t *testing.T, url string, seconds int) {
	t.Helper()
	response, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer response.Body.Close()
	wav, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	if response.StatusCode != 200 || response.Header.Get("Content-Type") != "audio/x-wav" {
		t.Fatalf("GET %s: %d %q, want 200 audio/x-wav", url, response.StatusCode, response.Header.Get("Content-Type"))
	}
	if len(wav) < 44 || string(wav[0:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		t.Fatalf("GET %s: not a WAV file (%d bytes)", url, len(wav))
	}
	channels := binary.LittleEndian.Uint16(wav[22:24])
	rate := binary.LittleEndian.Uint32(wav[24:28])
	bits := binary.LittleEndian.Uint16(wav[34:36])
	if channels != 1 || rate != 8000 || bits != 16 {
		t.Errorf("GET %s: %d channel(s) at %d Hz, %d bits; want 1 at 8000 Hz, 16 bits", url, channels, rate, bits)
	}
	if want := 44 + seconds*8000*2; len(wav) != want {
		t.Errorf("GET %s: %d bytes, want %d (%d s)", url, len(wav), want, seconds)
	}
}

func atoi(t *testing.T, what, value string) int {
	t.Helper()
	n, err := strconv.Atoi(value)
	if err != nil {
		t.Fatalf("%s %q is not a whole number", what, value)
	}
	return n
}

// --------------------------------------------------------------------------------------------
// Create, fetch, list
// --------------------------------------------------------------------------------------------

// POST Calls.json answers 201 with a queued outbound-api call (CA… SID, duration null until it
// ends). A call with a Url asks the app for its TwiML once answered (CallStatus in-progress,
// signed); a call with Twiml (the builder's document, passed as is) asks no one. Each runs its
// document: the caller hears the app. Lists are newest first and filter by To, From and Status.
func TestCallsCreatedWithUrlOrTwimlRunTheBuildersTwiml(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	app := startTwimlApp(t, server.AuthToken, func(r mbtest.Request) []twiml.Element {
		if r.Path != "/outbound" {
			return nil
		}
		return []twiml.Element{twiml.VoiceSay{Message: "Hello from the app."}, twiml.VoiceHangup{}}
	})

	withURL := newCall(registeredNumber, fromNumber)
	withURL.SetUrl(app.URL("/outbound?campaign=7"))
	created, err := c.Api.CreateCallWithMetadata(withURL)
	if err != nil {
		t.Fatalf("CreateCall(Url): %v", err)
	}
	if created.GetStatusCode() != 201 {
		t.Errorf("create answered %d, want 201", created.GetStatusCode())
	}
	call := created.GetResource()
	urlSid := str(call.Sid)
	if !strings.HasPrefix(urlSid, "CA") || len(urlSid) != 34 {
		t.Errorf("sid %q: want CA followed by 32 characters", urlSid)
	}
	for _, check := range []struct{ field, got, want string }{
		{"status", str(call.Status), "queued"},
		{"direction", str(call.Direction), "outbound-api"},
		{"to", str(call.To), registeredNumber},
		{"from", str(call.From), fromNumber},
		{"account_sid", str(call.AccountSid), server.AccountSid},
		{"api_version", str(call.ApiVersion), "2010-04-01"},
	} {
		if check.got != check.want {
			t.Errorf("created call %s = %q, want %q", check.field, check.got, check.want)
		}
	}
	if call.Duration != nil || call.EndTime != nil {
		t.Errorf("created call has duration %q and end_time %q, want both null", str(call.Duration), str(call.EndTime))
	}

	withTwiml := newCall(otherNumber, magicTestSender)
	withTwiml.SetTwiml(voiceResponse(t, twiml.VoiceSay{Message: "Hello from inline TwiML."}))
	twimlSid := str(createCall(t, c, withTwiml).Sid)

	failing := newCall(failureNumber, fromNumber)
	failing.SetTwiml(voiceResponse(t, twiml.VoiceSay{Message: "Nobody hears this."}))
	failedSid := str(createCall(t, c, failing).Sid)

	ended := waitForCallStatus(t, c, urlSid, "completed")
	waitForCallStatus(t, c, twimlSid, "completed")
	waitForCallStatus(t, c, failedSid, "failed")
	if ended.Duration == nil || ended.StartTime == nil || ended.EndTime == nil {
		t.Errorf("completed call: duration %q, start_time %q, end_time %q; want all set", str(ended.Duration), str(ended.StartTime), str(ended.EndTime))
	} else {
		atoi(t, "duration", *ended.Duration)
		parseRFC2822(t, "start_time", *ended.StartTime)
		parseRFC2822(t, "end_time", *ended.EndTime)
	}

	requests := app.Requests()
	if len(requests) != 1 {
		t.Fatalf("the app got %d requests, want 1 (the Url call's; the Twiml call asks no one): %v", len(requests), requests)
	}
	request := requests[0]
	if request.Method != "POST" || request.URL != app.URL("/outbound?campaign=7") {
		t.Errorf("the app was asked %s %s, want POST /outbound?campaign=7", request.Method, request.URL)
	}
	assertParams(t, request, map[string]string{
		"CallSid": urlSid, "AccountSid": server.AccountSid, "From": fromNumber, "To": registeredNumber,
		"CallStatus": "in-progress", "Direction": "outbound-api", "ApiVersion": "2010-04-01",
	})

	if said := server.Account.Call(urlSid).Said(); !reflect.DeepEqual(said, []string{"Hello from the app."}) {
		t.Errorf("the Url call's callee heard %q", said)
	}
	if said := server.Account.Call(twimlSid).Said(); !reflect.DeepEqual(said, []string{"Hello from inline TwiML."}) {
		t.Errorf("the Twiml call's callee heard %q", said)
	}
	if said := server.Account.Call(failedSid).Said(); len(said) != 0 {
		t.Errorf("the failed call's callee heard %q, want nothing", said)
	}

	all := []string{failedSid, twimlSid, urlSid}
	assertSids(t, "ListCall", callSids(t, c, nil), all)
	filters := []struct {
		name string
		set  func(*api.ListCallParams)
		want []string
	}{
		{"To", func(p *api.ListCallParams) { p.SetTo(registeredNumber) }, []string{urlSid}},
		{"From", func(p *api.ListCallParams) { p.SetFrom(fromNumber) }, []string{failedSid, urlSid}},
		{"Status completed", func(p *api.ListCallParams) { p.SetStatus("completed") }, []string{twimlSid, urlSid}},
		{"Status failed", func(p *api.ListCallParams) { p.SetStatus("failed") }, []string{failedSid}},
		{"Status queued", func(p *api.ListCallParams) { p.SetStatus("queued") }, []string{}},
		{"PageSize 2", func(p *api.ListCallParams) { p.SetPageSize(2) }, all},
	}
	for _, filter := range filters {
		params := &api.ListCallParams{}
		filter.set(params)
		assertSids(t, "ListCall("+filter.name+")", callSids(t, c, params), filter.want)
	}
}

// --------------------------------------------------------------------------------------------
// Status callbacks
// --------------------------------------------------------------------------------------------

// StatusCallback hears only the StatusCallbackEvent events asked for (`answered` reports
// CallStatus in-progress), and `completed` alone when none are: a failed call's `completed`
// event says `failed`. Each is signed, carries CallbackSource=call-progress-events, a
// SequenceNumber counting from 0 and a Timestamp; an answered call's last one its CallDuration.
func TestCallStatusCallbacksComeOnlyForTheEventsAskedFor(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	receiver := mbtest.NewReceiver(t)
	document := voiceResponse(t, twiml.VoiceSay{Message: "Your code is 1 2 3 4."})

	chosen := newCall(registeredNumber, fromNumber)
	chosen.SetTwiml(document)
	chosen.SetStatusCallback(receiver.URL("/status?call=chosen"))
	chosen.SetStatusCallbackEvent([]string{"initiated", "answered", "completed"})
	chosenSid := str(createCall(t, c, chosen).Sid)

	byDefault := newCall(registeredNumber, fromNumber)
	byDefault.SetTwiml(document)
	byDefault.SetStatusCallback(receiver.URL("/status?call=default"))
	defaultSid := str(createCall(t, c, byDefault).Sid)

	failing := newCall(failureNumber, fromNumber)
	failing.SetTwiml(document)
	failing.SetStatusCallback(receiver.URL("/status?call=failing"))
	failingSid := str(createCall(t, c, failing).Sid)

	received := endedCallbacks(receiver, chosenSid, defaultSid, failingSid)
	for _, want := range []struct {
		sid      string
		statuses []string
	}{
		{chosenSid, []string{"initiated", "in-progress", "completed"}},
		{defaultSid, []string{"completed"}},
		{failingSid, []string{"failed"}},
	} {
		callbacks := forCall(received, want.sid)
		if got := callStatuses(callbacks); !reflect.DeepEqual(got, want.statuses) {
			t.Errorf("call %s: callback statuses %v, want %v", want.sid, got, want.statuses)
			continue
		}
		previous := -1
		for _, callback := range callbacks {
			assertSigned(t, callback, server.AuthToken)
			assertParams(t, callback, map[string]string{
				"AccountSid": server.AccountSid, "Direction": "outbound-api",
				"CallbackSource": "call-progress-events", "ApiVersion": "2010-04-01",
			})
			sequence := atoi(t, "SequenceNumber", callback.Form.Get("SequenceNumber"))
			if sequence <= previous || (previous < 0 && sequence != 0) {
				t.Errorf("call %s: SequenceNumber %d after %d; want 0 first, then increasing", want.sid, sequence, previous)
			}
			previous = sequence
			parseRFC2822(t, "Timestamp", callback.Form.Get("Timestamp"))
		}
	}
	// An answered call's end says how long it lasted.
	for _, sid := range []string{chosenSid, defaultSid} {
		callbacks := forCall(received, sid)
		final := callbacks[len(callbacks)-1]
		if duration := str(fetchCall(t, c, sid).Duration); final.Form.Get("CallDuration") != duration {
			t.Errorf("call %s: completed callback CallDuration = %q, the call's duration %q", sid, final.Form.Get("CallDuration"), duration)
		}
	}
}

// --------------------------------------------------------------------------------------------
// Update and delete
// --------------------------------------------------------------------------------------------

// A call in progress is redirected by an update: new Twiml (from the builder) runs at once, and
// so does a new Url (the app is asked, signed). Status=completed hangs a live call up. An ended
// call cannot be redirected (21220) but can be deleted (204), after which it is not found.
func TestALiveCallIsRedirectedOrHungUp(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	app := startTwimlApp(t, server.AuthToken, func(r mbtest.Request) []twiml.Element {
		switch r.Path {
		case "/hold":
			return []twiml.Element{twiml.VoiceSay{Message: "Please hold."}, twiml.VoicePause{Length: "60"}}
		case "/transfer":
			return []twiml.Element{twiml.VoiceSay{Message: "Transferring you now."}, twiml.VoicePause{Length: "60"}}
		}
		return nil
	})
	onHold := func() string {
		params := newCall(registeredNumber, fromNumber)
		params.SetUrl(app.URL("/hold"))
		sid := str(createCall(t, c, params).Sid)
		waitForVerb(t, server, sid, "paused", 0)
		return sid
	}

	// New TwiML for a live call.
	redirected := onHold()
	update := &api.UpdateCallParams{}
	update.SetTwiml(voiceResponse(t, twiml.VoiceSay{Message: "Your agent is ready."}, twiml.VoiceHangup{}))
	updateCall(t, c, redirected, update)
	waitForCallStatus(t, c, redirected, "completed")
	if said := server.Account.Call(redirected).Said(); !reflect.DeepEqual(said, []string{"Please hold.", "Your agent is ready."}) {
		t.Errorf("the redirected call heard %q", said)
	}

	// A new Url for a live call, then a hangup.
	transferred := onHold()
	update = &api.UpdateCallParams{}
	update.SetUrl(app.URL("/transfer"))
	updateCall(t, c, transferred, update)
	// Its second pause: the one after the transfer's words.
	first, _ := waitForVerb(t, server, transferred, "paused", 0)
	_, view := waitForVerb(t, server, transferred, "paused", first)
	if said := view.Said(); len(said) != 2 || said[1] != "Transferring you now." {
		t.Errorf("the transferred call heard %q", said)
	}
	if got := routes(forCall(app.Requests(), transferred)); !reflect.DeepEqual(got, []string{"/hold", "/transfer"}) {
		t.Errorf("the app was asked %v about the transferred call, want [/hold /transfer]", got)
	}
	hangup := &api.UpdateCallParams{}
	hangup.SetStatus("completed")
	if status := str(updateCall(t, c, transferred, hangup).Status); status != "completed" {
		t.Errorf("Status=completed answered status %q, want completed", status)
	}
	ended := fetchCall(t, c, transferred)
	if str(ended.Status) != "completed" || ended.Duration == nil || ended.EndTime == nil {
		t.Errorf("after the hangup: status %q duration %q end_time %q, want completed with both set", str(ended.Status), str(ended.Duration), str(ended.EndTime))
	}

	// An ended call: no redirect, but it can be deleted.
	late := &api.UpdateCallParams{}
	late.SetUrl(app.URL("/hold"))
	_, err := c.Api.UpdateCall(transferred, late)
	assertRestError(t, err, "redirecting an ended call", 400, 21220)
	deleted, err := c.Api.DeleteCallWithMetadata(transferred, nil)
	if err != nil {
		t.Fatalf("DeleteCall of an ended call: %v", err)
	}
	if deleted.GetStatusCode() != 204 {
		t.Errorf("delete answered %d, want 204", deleted.GetStatusCode())
	}
	_, err = c.Api.FetchCall(transferred, nil)
	assertRestError(t, err, "FetchCall after delete", 404, 20404)
	assertSids(t, "ListCall after delete", callSids(t, c, nil), []string{redirected})
}

// A call not yet answered cannot be deleted (20009) or redirected (21220); Status=canceled
// cancels it (never answered: duration null) and its `completed` event reports `canceled`;
// then it can be deleted. (A slow step delay keeps it queued for the whole test.)
func TestACallNotYetAnsweredIsCanceled(t *testing.T) {
	t.Parallel()
	server := startMockingbirdWith(t, "twilio.callbacks.delay_seconds=60")
	c := newDefaultSDK(t, server)
	receiver := mbtest.NewReceiver(t)

	params := newCall(registeredNumber, fromNumber)
	params.SetTwiml(voiceResponse(t, twiml.VoiceSay{Message: "Nobody hears this."}))
	params.SetStatusCallback(receiver.URL("/status"))
	sid := str(createCall(t, c, params).Sid)

	err := c.Api.DeleteCall(sid, nil)
	assertRestError(t, err, "deleting a queued call", 400, 20009)
	redirect := &api.UpdateCallParams{}
	redirect.SetTwiml(voiceResponse(t, twiml.VoiceHangup{}))
	_, err = c.Api.UpdateCall(sid, redirect)
	assertRestError(t, err, "redirecting a queued call", 400, 21220)

	cancel := &api.UpdateCallParams{}
	cancel.SetStatus("canceled")
	canceled := updateCall(t, c, sid, cancel)
	if str(canceled.Status) != "canceled" || canceled.Duration != nil {
		t.Errorf("Status=canceled answered status %q duration %q, want canceled with no duration", str(canceled.Status), str(canceled.Duration))
	}
	callbacks := endedCallbacks(receiver, sid)
	if got := callStatuses(callbacks); !reflect.DeepEqual(got, []string{"canceled"}) {
		t.Errorf("callback statuses %v, want [canceled]", got)
	}
	assertSigned(t, callbacks[0], server.AuthToken)
	byStatus := &api.ListCallParams{}
	byStatus.SetStatus("canceled")
	assertSids(t, "ListCall(Status canceled)", callSids(t, c, byStatus), []string{sid})

	if err := c.Api.DeleteCall(sid, nil); err != nil {
		t.Fatalf("DeleteCall of a canceled call: %v", err)
	}
	_, err = c.Api.FetchCall(sid, nil)
	assertRestError(t, err, "FetchCall after delete", 404, 20404)
}

// --------------------------------------------------------------------------------------------
// Errors
// --------------------------------------------------------------------------------------------

// Twilio refuses a bad call with 400 and its code, as the SDK's TwilioRestError: 21201 without
// To, 21213 without From, 21205 without Url or Twiml (or with a Url that is not http(s)), 21210
// for a From that is not the account's. An unknown call is 404 / 20404 for fetch, update and
// delete. Nothing is created.
func TestBadCallsAreRefusedWithTwiliosCodes(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	const appURL = "https://app.example.com/voice"

	cases := []struct {
		name   string
		params func() *api.CreateCallParams
		code   int
	}{
		{"no To", func() *api.CreateCallParams {
			p := &api.CreateCallParams{}
			return p.SetFrom(fromNumber).SetUrl(appURL)
		}, 21201},
		{"no From", func() *api.CreateCallParams {
			p := &api.CreateCallParams{}
			return p.SetTo(registeredNumber).SetUrl(appURL)
		}, 21213},
		{"no Url or Twiml", func() *api.CreateCallParams { return newCall(registeredNumber, fromNumber) }, 21205},
		{"a Url that is not http(s)", func() *api.CreateCallParams {
			return newCall(registeredNumber, fromNumber).SetUrl("ftp://app.example.com/voice")
		}, 21205},
		{"a From not the account's", func() *api.CreateCallParams {
			return newCall(registeredNumber, "+15550009999").SetUrl(appURL)
		}, 21210},
	}
	for _, tc := range cases {
		call, err := c.Api.CreateCall(tc.params())
		if err == nil {
			t.Errorf("CreateCall with %s succeeded (sid %s), want 400 / %d", tc.name, str(call.Sid), tc.code)
			continue
		}
		restErr := restError(t, err, "CreateCall with "+tc.name)
		if restErr.Status != 400 || restErr.Code != tc.code {
			t.Errorf("CreateCall with %s: status %d code %d, want 400 / %d (%v)", tc.name, restErr.Status, restErr.Code, tc.code, restErr)
		}
		if want := "https://www.twilio.com/docs/errors/" + strconv.Itoa(tc.code); restErr.MoreInfo != want {
			t.Errorf("CreateCall with %s: more_info %q, want %q", tc.name, restErr.MoreInfo, want)
		}
	}
	assertSids(t, "ListCall after refused creates", callSids(t, c, nil), []string{})

	unknown := "CA" + strings.Repeat("0", 32)
	_, err := c.Api.FetchCall(unknown, nil)
	assertRestError(t, err, "FetchCall of an unknown call", 404, 20404)
	hangup := &api.UpdateCallParams{}
	hangup.SetStatus("completed")
	_, err = c.Api.UpdateCall(unknown, hangup)
	assertRestError(t, err, "UpdateCall of an unknown call", 404, 20404)
	err = c.Api.DeleteCall(unknown, nil)
	assertRestError(t, err, "DeleteCall of an unknown call", 404, 20404)
}

// --------------------------------------------------------------------------------------------
// IVRs
// --------------------------------------------------------------------------------------------

// A caller dials the app's number. The app (every document from the SDK's builder) says a menu
// in a <Gather numDigits=1> with a nested <Say voice language>; the caller presses 1; the
// action gets Digits=1 and answers <Say loop>, <Play> (audio and tones), <Pause>, and <Dial> to
// an agent whose phone fails; the Dial's action gets DialCallStatus=failed and a <Redirect
// method=GET> to voicemail, where <Record> takes the caller's message until they press #. The
// Record's action gets the recording (fetched with the SDK, its RecordingUrl a WAV) and
// answers <Sms> (a message to the caller, direction outbound-call), <Say> and <Hangup>. The
// number's StatusCallback hears the end once, signed.
func TestAnInboundIvrTakesTheCallerToVoicemail(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	status := mbtest.NewReceiver(t)
	app := startTwimlApp(t, server.AuthToken, func(r mbtest.Request) []twiml.Element {
		switch r.Path {
		case "/voice":
			return []twiml.Element{
				twiml.VoiceGather{NumDigits: "1", Action: "/menu", Timeout: "10", InnerElements: []twiml.Element{
					twiml.VoiceSay{Message: "Welcome to Acme. Press 1 for sales, 2 for support.", Voice: "Polly.Joanna", Language: "en-US"},
				}},
				twiml.VoiceSay{Message: "We did not get your choice. Goodbye."},
			}
		case "/menu":
			if r.Form.Get("Digits") != "1" {
				return []twiml.Element{twiml.VoiceSay{Message: "Support is closed."}, twiml.VoiceHangup{}}
			}
			return []twiml.Element{
				twiml.VoiceSay{Message: "Connecting you to sales.", Loop: "2"},
				twiml.VoicePlay{Url: holdMusic},
				twiml.VoicePlay{Digits: "ww1"},
				twiml.VoicePause{Length: "1"},
				twiml.VoiceDial{Action: "/dialed", Timeout: "10", InnerElements: []twiml.Element{
					twiml.VoiceNumber{PhoneNumber: failureNumber},
				}},
			}
		case "/dialed":
			return []twiml.Element{twiml.VoiceRedirect{Url: "/voicemail", Method: "GET"}}
		case "/voicemail":
			return []twiml.Element{
				twiml.VoiceSay{Message: "Nobody is free to take your call. Leave a message after the beep."},
				twiml.VoiceRecord{Action: "/recorded", MaxLength: "30", FinishOnKey: "#", PlayBeep: "true",
					RecordingStatusCallback: status.URL("/recording")},
			}
		case "/recorded":
			return []twiml.Element{
				twiml.VoiceSms{Message: "We got your message and will call you back."},
				twiml.VoiceSay{Message: "Thank you. Goodbye."},
				twiml.VoiceHangup{},
			}
		}
		return nil
	})
	buyNumber(t, c, ivrNumber, app.URL("/voice"), status.URL("/number-status"))

	// The caller dials in: the menu is said and the gather listens.
	view := server.Account.PlaceCall(caller, ivrNumber)
	sid := view.SID()
	if view.WaitingFor() != "gather" || view.Detail.GetCall().GetDirection() != "inbound" {
		t.Fatalf("after dialing in: %s call waiting for %q, want an inbound call waiting for gather\n%s", view.Detail.GetCall().GetDirection(), view.WaitingFor(), view.Detail)
	}
	assertParams(t, app.Requests()[0], map[string]string{
		"CallSid": sid, "AccountSid": server.AccountSid, "From": caller, "To": ivrNumber,
		"Caller": caller, "Called": ivrNumber, "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01",
	})

	// 1 for sales: the agent's phone fails, and the caller ends up in voicemail.
	server.Account.Call(sid).Press("1")
	waitForVerb(t, server, sid, "recording_started", 0)
	server.Account.Call(sid).Say("Please call me back.")
	view = server.Account.Call(sid).Press("#")

	if view.Status() != "completed" {
		t.Errorf("after the message: status %q, want completed\n%s", view.Status(), view.Detail)
	}
	assertTranscript(t, view, []string{
		`said "Welcome to Acme. Press 1 for sales, 2 for support."`,
		"gathering dtmf",
		"caller pressed 1",
		"gathered digits 1",
		`said "Connecting you to sales."`,
		"played " + holdMusic,
		"played tones ww1",
		"paused 1 s",
		"dialed " + failureNumber,
		"dial ended: failed",
		"redirected to " + app.URL("/voicemail"),
		`said "Nobody is free to take your call. Leave a message after the beep."`,
		"recording after a beep",
		`caller said "Please call me back."`,
		"caller pressed #",
		"recorded RE",
		"sent message SM",
		`said "Thank you. Goodbye."`,
		"hung up by app",
	})

	requests := app.Requests()
	if got := routes(requests); !reflect.DeepEqual(got, []string{"/voice", "/menu", "/dialed", "/voicemail", "/recorded"}) {
		t.Fatalf("the app was asked %v", got)
	}
	menu, dialed, voicemail, recorded := requests[1], requests[2], requests[3], requests[4]
	assertParams(t, menu, map[string]string{"CallSid": sid, "Digits": "1", "CallStatus": "in-progress"})
	assertParams(t, dialed, map[string]string{"CallSid": sid, "DialCallStatus": "failed"})
	legs := &api.ListCallParams{}
	legs.SetParentCallSid(sid)
	if got := callSids(t, c, legs); len(got) != 1 || dialed.Form.Get("DialCallSid") != got[0] {
		t.Errorf("DialCallSid %q; the call's legs are %v", dialed.Form.Get("DialCallSid"), got)
	} else if leg := fetchCall(t, c, got[0]); str(leg.To) != failureNumber || str(leg.Status) != "failed" || str(leg.Direction) != "outbound-dial" || str(leg.ParentCallSid) != sid {
		t.Errorf("the Dial's leg: to %s, status %s, direction %s, parent %s", str(leg.To), str(leg.Status), str(leg.Direction), str(leg.ParentCallSid))
	}
	if voicemail.Method != "GET" {
		t.Errorf("the Redirect asked with %s, want GET", voicemail.Method)
	}
	assertParams(t, voicemail, map[string]string{"CallSid": sid, "From": caller})
	assertParams(t, recorded, map[string]string{"CallSid": sid, "Digits": "#"})

	// The recording, as the app reaches it: the SDK's resources and the RecordingUrl's audio.
	recordingSid := recorded.Form.Get("RecordingSid")
	if !strings.HasPrefix(recordingSid, "RE") || !strings.HasSuffix(recorded.Form.Get("RecordingUrl"), "/Recordings/"+recordingSid) {
		t.Fatalf("the Record's action got RecordingSid %q, RecordingUrl %q", recordingSid, recorded.Form.Get("RecordingUrl"))
	}
	recording, err := c.Api.FetchRecording(recordingSid, nil)
	if err != nil {
		t.Fatalf("FetchRecording(%s): %v", recordingSid, err)
	}
	if str(recording.CallSid) != sid || str(recording.Source) != "RecordVerb" || str(recording.Duration) != recorded.Form.Get("RecordingDuration") {
		t.Errorf("recording: call_sid %s, source %s, duration %s; want %s, RecordVerb, %s", str(recording.CallSid), str(recording.Source), str(recording.Duration), sid, recorded.Form.Get("RecordingDuration"))
	}
	byCall, err := c.Api.ListCallRecording(sid, nil)
	if err != nil {
		t.Fatalf("ListCallRecording(%s): %v", sid, err)
	}
	if len(byCall) != 1 || str(byCall[0].Sid) != recordingSid {
		t.Errorf("the call's recordings: %d, want just %s", len(byCall), recordingSid)
	}
	assertWav(t, recorded.Form.Get("RecordingUrl"), atoi(t, "RecordingDuration", recorded.Form.Get("RecordingDuration")))

	// The <Sms> went to the caller from the app's number.
	toCaller := &api.ListMessageParams{}
	toCaller.SetTo(caller)
	messages, err := c.Api.ListMessage(toCaller)
	if err != nil {
		t.Fatalf("ListMessage: %v", err)
	}
	if len(messages) != 1 || str(messages[0].From) != ivrNumber || str(messages[0].Body) != "We got your message and will call you back." {
		t.Errorf("messages to the caller: %d, want the <Sms> from %s", len(messages), ivrNumber)
	} else if direction := str(messages[0].Direction); direction != "outbound-call" {
		// Twilio's Message resource: "outbound-call for messages created during a call".
		t.Errorf("the <Sms> message's direction is %q, want outbound-call", direction)
	}

	// Callbacks: the recording's, and the number's StatusCallback once, at the end.
	received := status.WaitFor(func(requests []mbtest.Request) bool { return len(requests) >= 2 })
	if len(received) != 2 {
		t.Errorf("callbacks: %v, want the recording's and the number's", received)
	}
	for _, callback := range received {
		assertSigned(t, callback, server.AuthToken)
		switch callback.Path {
		case "/recording":
			assertParams(t, callback, map[string]string{"CallSid": sid, "RecordingSid": recordingSid, "RecordingStatus": "completed"})
		case "/number-status":
			assertParams(t, callback, map[string]string{"CallSid": sid, "CallStatus": "completed", "Direction": "inbound", "From": caller, "To": ivrNumber})
		default:
			t.Errorf("unexpected callback %s", callback)
		}
	}
}

// An app places a call whose TwiML asks a question in a speech <Gather> (input="speech dtmf",
// hints, language); the callee answers in words and the action gets SpeechResult and a
// Confidence. When the callee then hangs up during the next <Gather>, the call completes and
// the app is not asked again.
func TestAnOutboundCallGathersSpeechUntilTheCalleeHangsUp(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	app := startTwimlApp(t, server.AuthToken, func(r mbtest.Request) []twiml.Element {
		switch r.Path {
		case "/survey":
			return []twiml.Element{
				twiml.VoiceGather{Input: "speech dtmf", Action: "/answer", Timeout: "10", SpeechTimeout: "auto",
					Language: "en-US", Hints: "sales, support", InnerElements: []twiml.Element{
						twiml.VoiceSay{Message: "Do you need sales or support?"},
					}},
			}
		case "/answer":
			return []twiml.Element{
				twiml.VoiceSay{Message: "You said " + r.Form.Get("SpeechResult") + "."},
				twiml.VoiceGather{NumDigits: "1", Timeout: "10", InnerElements: []twiml.Element{
					twiml.VoiceSay{Message: "Press 1 to hear that again."},
				}},
			}
		}
		return nil
	})
	params := newCall(registeredNumber, fromNumber)
	params.SetUrl(app.URL("/survey"))
	sid := str(createCall(t, c, params).Sid)

	server.Account.WaitFor(mbtest.Kind("call_gathering"), mbtest.SID(sid), mbtest.Timeout(callTimeout))
	view := server.Account.Call(sid).Say("support please")
	if said := view.Said(); !reflect.DeepEqual(said, []string{"Do you need sales or support?", "You said support please.", "Press 1 to hear that again."}) {
		t.Errorf("the callee heard %q", said)
	}
	requests := app.Requests()
	if got := routes(requests); !reflect.DeepEqual(got, []string{"/survey", "/answer"}) {
		t.Fatalf("the app was asked %v, want [/survey /answer]", got)
	}
	answer := requests[1]
	assertParams(t, answer, map[string]string{"CallSid": sid, "SpeechResult": "support please", "CallStatus": "in-progress", "Direction": "outbound-api"})
	if confidence, err := strconv.ParseFloat(answer.Form.Get("Confidence"), 64); err != nil || confidence <= 0 || confidence > 1 {
		t.Errorf("Confidence %q, want a number in (0, 1]", answer.Form.Get("Confidence"))
	}

	view = server.Account.Call(sid).HangUp()
	if view.Status() != "completed" {
		t.Errorf("after the hangup: status %q, want completed", view.Status())
	}
	// On an outbound call the person on the phone is the callee.
	assertTranscript(t, view, []string{"gathering dtmf", "hung up by callee"})
	if ended := waitForCallStatus(t, c, sid, "completed"); ended.Duration == nil {
		t.Errorf("the completed call has no duration")
	}
	if got := routes(app.Requests()); len(got) != 2 {
		t.Errorf("after the hangup the app was asked %v; a hangup asks no gather action", got)
	}
}

// A <Reject> as the first verb of an inbound call leaves it unanswered: reason="busy" ends it
// `busy`, the default reason `no-answer`. Neither has a duration, and the number's
// StatusCallback hears each final status, signed.
func TestARejectedInboundCallIsNeverAnswered(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	status := mbtest.NewReceiver(t)
	app := startTwimlApp(t, server.AuthToken, func(r mbtest.Request) []twiml.Element {
		switch r.Path {
		case "/busy":
			return []twiml.Element{twiml.VoiceReject{Reason: "busy"}, twiml.VoiceSay{Message: "Unreachable."}}
		case "/closed":
			return []twiml.Element{twiml.VoiceReject{}}
		}
		return nil
	})
	const busyLine, closedLine = "+15550003333", "+15550004444"
	buyNumber(t, c, busyLine, app.URL("/busy"), status.URL("/status"))
	buyNumber(t, c, closedLine, app.URL("/closed"), status.URL("/status"))

	busy := server.Account.PlaceCall(caller, busyLine)
	closed := server.Account.PlaceCall(caller, closedLine)
	for _, want := range []struct {
		view   *mbtest.Call
		status string
	}{{busy, "busy"}, {closed, "no-answer"}} {
		call := fetchCall(t, c, want.view.SID())
		if str(call.Status) != want.status || str(call.Direction) != "inbound" || call.Duration != nil || call.StartTime != nil {
			t.Errorf("rejected call %s: status %s, direction %s, duration %s, start_time %s; want %s, inbound, never answered",
				want.view.SID(), str(call.Status), str(call.Direction), str(call.Duration), str(call.StartTime), want.status)
		}
		if said := want.view.Said(); len(said) != 0 {
			t.Errorf("the caller of a rejected call heard %q", said)
		}
	}
	for _, request := range app.Requests() {
		if request.Form.Get("CallStatus") != "ringing" {
			t.Errorf("the app was asked with CallStatus %q, want ringing: %s", request.Form.Get("CallStatus"), request)
		}
	}
	received := endedCallbacks(status, busy.SID(), closed.SID())
	for _, want := range []struct{ sid, status string }{{busy.SID(), "busy"}, {closed.SID(), "no-answer"}} {
		callbacks := forCall(received, want.sid)
		if got := callStatuses(callbacks); !reflect.DeepEqual(got, []string{want.status}) {
			t.Errorf("call %s: callback statuses %v, want [%s]", want.sid, got, want.status)
			continue
		}
		assertSigned(t, callbacks[0], server.AuthToken)
	}
}

// --------------------------------------------------------------------------------------------
// Recordings
// --------------------------------------------------------------------------------------------

// Record=true records the whole call: once it ends, the recording (RE…, source OutboundAPI, as
// long as the call) is in the account's Recordings (filtered by CallSid) and the call's own,
// fetched either way; its media_url serves the WAV, and so does media_url + ".wav". Deleting
// it leaves it not found.
func TestRecordTrueRecordsTheWholeCall(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)

	params := newCall(registeredNumber, fromNumber)
	params.SetRecord(true)
	params.SetTwiml(voiceResponse(t, twiml.VoiceSay{Message: "This call is recorded."}, twiml.VoicePause{Length: "1"}))
	sid := str(createCall(t, c, params).Sid)
	call := waitForCallStatus(t, c, sid, "completed")

	byCallSid := &api.ListRecordingParams{}
	byCallSid.SetCallSid(sid)
	recordings, err := c.Api.ListRecording(byCallSid)
	if err != nil {
		t.Fatalf("ListRecording(CallSid): %v", err)
	}
	if len(recordings) != 1 {
		t.Fatalf("ListRecording(CallSid=%s) listed %d recordings, want 1", sid, len(recordings))
	}
	recording := recordings[0]
	recordingSid := str(recording.Sid)
	if !strings.HasPrefix(recordingSid, "RE") || len(recordingSid) != 34 {
		t.Errorf("recording sid %q: want RE followed by 32 characters", recordingSid)
	}
	for _, check := range []struct{ field, got, want string }{
		{"call_sid", str(recording.CallSid), sid},
		{"source", str(recording.Source), "OutboundAPI"},
		{"status", str(recording.Status), "completed"},
		{"duration", str(recording.Duration), str(call.Duration)},
	} {
		if check.got != check.want {
			t.Errorf("recording %s = %q, want %q", check.field, check.got, check.want)
		}
	}
	fetched, err := c.Api.FetchRecording(recordingSid, nil)
	if err != nil {
		t.Fatalf("FetchRecording: %v", err)
	}
	if !reflect.DeepEqual(fetched, &recording) {
		t.Errorf("fetched recording differs from the listed one:\n got  %+v\n want %+v", fetched, recording)
	}
	ofCall, err := c.Api.ListCallRecording(sid, nil)
	if err != nil {
		t.Fatalf("ListCallRecording: %v", err)
	}
	if len(ofCall) != 1 || str(ofCall[0].Sid) != recordingSid {
		t.Errorf("the call's recordings: %d, want just %s", len(ofCall), recordingSid)
	}
	one, err := c.Api.FetchCallRecording(sid, recordingSid, nil)
	if err != nil {
		t.Fatalf("FetchCallRecording: %v", err)
	}
	if str(one.Duration) != str(recording.Duration) {
		t.Errorf("the call's recording lasts %s, the account's %s", str(one.Duration), str(recording.Duration))
	}

	seconds := atoi(t, "duration", str(recording.Duration))
	assertWav(t, str(recording.MediaUrl), seconds)
	assertWav(t, str(recording.MediaUrl)+".wav", seconds)

	if err := c.Api.DeleteRecording(recordingSid, nil); err != nil {
		t.Fatalf("DeleteRecording: %v", err)
	}
	_, err = c.Api.FetchRecording(recordingSid, nil)
	assertRestError(t, err, "FetchRecording after delete", 404, 20404)
}
