// The official twilio-go SDK against mockingbird: every call below is one a real app makes.
//
// Each test states the real-Twilio behaviour it checks. Servers are per test (mbtest.Start, with
// tests/seed-config.yaml as their config), so tests run in parallel.
//
// twilio-go decodes responses into typed structs: a field of the wrong JSON type (a number where
// the API has a string, as in num_segments, or a string where it has an integer, as in
// error_code) fails the whole call. So every successful call here also checks the types.
package sdktests

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

const (
	magicTestSender = "+15005550006" // Twilio's always-valid test sender
	otherNumber     = "+15557654321"
)

// The values the tests use from the suite's config file, tests/seed-config.yaml (read by TestMain).
const (
	accountSid       = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // "AC" + 32 hex digits
	authToken        = "mockingbirdtesttoken0123456789ab"   // alphanumeric: twilio-go refuses anything else
	fromNumber       = "+15550000001"
	registeredNumber = "+15551234567"
	failureNumber    = "+15559999999"
)

// seedConfig is the text of tests/seed-config.yaml, every test server's config file.
var seedConfig string

// TestMain reads the config file once, before any test, and stops the run if it no longer names
// the constants above.
func TestMain(m *testing.M) {
	text, err := readSeedConfig("../seed-config.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	seedConfig = text
	os.Exit(m.Run())
}

// readSeedConfig returns the config file's text, once it is checked to name the constants (the
// suite has no YAML parser, so it looks for each line `key: "value"` or `key: ["value"]`), so
// that the two cannot drift.
func readSeedConfig(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	named := []struct{ key, value string }{
		{"account_sid", accountSid},
		{"auth_token", authToken},
		{"allowed_from_numbers", fromNumber},
		{"registered_numbers", registeredNumber},
		{"failure_numbers", failureNumber},
	}
	lines := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		lines[strings.TrimSpace(line)] = true
	}
	for _, n := range named {
		if !lines[fmt.Sprintf("%s: %q", n.key, n.value)] && !lines[fmt.Sprintf("%s: [%q]", n.key, n.value)] {
			return "", fmt.Errorf("%s does not say %s: %q, as sdk_test.go does: change both together", path, n.key, n.value)
		}
	}
	return string(data), nil
}

// --------------------------------------------------------------------------------------------
// The server
// --------------------------------------------------------------------------------------------

// Mockingbird is a server of this test's own (mbtest.Start, with seedConfig), and the
// default account's credentials.
type Mockingbird struct {
	*mbtest.Server
	Account    *mbtest.TenantHandle // the config's account: the person on the phone acts on its calls
	BaseURL    string
	AccountSid string
	AuthToken  string
}

// startMockingbird starts a fresh server for this test and stops it when the test ends.
func startMockingbird(t testing.TB) *Mockingbird {
	t.Helper()
	return startMockingbirdWith(t)
}

// startMockingbirdWith starts a server as startMockingbird does, with these `key=value` settings
// over the config (`serve --set`).
func startMockingbirdWith(t testing.TB, settings ...string) *Mockingbird {
	t.Helper()
	opts := []mbtest.Option{mbtest.Config(seedConfig)}
	for _, setting := range settings {
		key, value, _ := strings.Cut(setting, "=")
		opts = append(opts, mbtest.Set(key, value))
	}
	server := mbtest.Start(t, opts...)
	return &Mockingbird{Server: server, Account: server.Account(t, accountSid), BaseURL: server.HTTPURL, AccountSid: accountSid, AuthToken: authToken}
}

// --------------------------------------------------------------------------------------------
// The SDK client
// --------------------------------------------------------------------------------------------

// SDK is a twilio-go RestClient talking to this test's server (mbtest's TwilioClient), with
// these credentials, remembering the requests it made so that tests can see how it paged.
type SDK struct {
	*twilio.RestClient
	requests  *mbtest.TwilioRequests
	forgotten int
	account   *mbtest.TenantHandle // the account whose events say when a status is reached
}

// Requests made through this client so far (since ForgetRequests).
func (s *SDK) Requests() []mbtest.SentRequest {
	return s.requests.All()[s.forgotten:]
}

// ForgetRequests clears the record of requests made.
func (s *SDK) ForgetRequests() {
	s.forgotten = len(s.requests.All())
}

// newSDK builds a client with these credentials, acting on account `actingAs` (normally the
// username), exactly as docs/sdks.md tells an app to.
func newSDK(t testing.TB, server *Mockingbird, username, password, actingAs string) *SDK {
	t.Helper()
	requests := &mbtest.TwilioRequests{}
	rest := server.Account.TwilioClient(mbtest.RecordTo(requests))
	c, ok := rest.Client.(*client.Client)
	if !ok {
		t.Fatalf("mbtest's TwilioClient has a %T, not a *client.Client", rest.Client)
	}
	c.Credentials = client.NewCredentials(username, password)
	c.SetAccountSid(actingAs)
	return &SDK{RestClient: rest, requests: requests}
}

// newDefaultSDK is a client with the default account's credentials.
func newDefaultSDK(t testing.TB, server *Mockingbird) *SDK {
	t.Helper()
	sdk := newSDK(t, server, server.AccountSid, server.AuthToken, server.AccountSid)
	sdk.account = server.Account
	return sdk
}

// restError is err as the SDK's *client.TwilioRestError; the test fails if it is anything else.
func restError(t testing.TB, err error, what string) *client.TwilioRestError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: expected a TwilioRestError, got success", what)
	}
	var restErr *client.TwilioRestError
	if !errors.As(err, &restErr) {
		t.Fatalf("%s: expected a *client.TwilioRestError, got %T: %v", what, err, err)
	}
	return restErr
}

// --------------------------------------------------------------------------------------------
// Helpers
// --------------------------------------------------------------------------------------------

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func intStr(p *int) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

func sendMessage(t *testing.T, c *SDK, to, from, body string) *api.ApiV2010Message {
	t.Helper()
	params := &api.CreateMessageParams{}
	params.SetTo(to)
	params.SetFrom(from)
	params.SetBody(body)
	message, err := c.Api.CreateMessage(params)
	if err != nil {
		t.Fatalf("CreateMessage(To=%s, From=%s): %v", to, from, err)
	}
	return message
}

func fetchMessage(t *testing.T, c *SDK, sid string) *api.ApiV2010Message {
	t.Helper()
	message, err := c.Api.FetchMessage(sid, nil)
	if err != nil {
		t.Fatalf("FetchMessage(%s): %v", sid, err)
	}
	return message
}

func listSids(t *testing.T, c *SDK, params *api.ListMessageParams) []string {
	t.Helper()
	messages, err := c.Api.ListMessage(params)
	if err != nil {
		t.Fatalf("ListMessage: %v", err)
	}
	sids := make([]string, len(messages))
	for i, m := range messages {
		sids[i] = str(m.Sid)
	}
	return sids
}

func reversed(sids []string) []string {
	out := make([]string, len(sids))
	for i, sid := range sids {
		out[len(sids)-1-i] = sid
	}
	return out
}

func assertSids(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// waitForStatus waits (mbtest.DefaultWait) for the message's status_changed event to status, then
// fetches it.
func waitForStatus(t *testing.T, c *SDK, sid, status string) *api.ApiV2010Message {
	t.Helper()
	c.account.WaitFor(mbtest.Kind("message_status_changed"), mbtest.SID(sid), mbtest.Status(status))
	return fetchMessage(t, c, sid)
}

func parseRFC2822(t *testing.T, field, value string) time.Time {
	t.Helper()
	parsed, err := time.Parse(time.RFC1123Z, value)
	if err != nil {
		t.Errorf("%s %q is not an RFC 2822 date: %v", field, value, err)
	}
	return parsed
}

func statuses(requests []mbtest.Request) []string {
	out := make([]string, len(requests))
	for i, r := range requests {
		out[i] = r.Form.Get("MessageStatus")
	}
	return out
}

func hasStatus(status string) func([]mbtest.Request) bool {
	return func(requests []mbtest.Request) bool {
		for _, s := range statuses(requests) {
			if s == status {
				return true
			}
		}
		return false
	}
}

// assertSigned checks X-Twilio-Signature with the SDK's own validator, both ways an app may call
// it: Validate(url, params) and ValidateBody(url, raw body).
func assertSigned(t *testing.T, request mbtest.Request, token string) {
	t.Helper()
	signature := request.Header.Get("X-Twilio-Signature")
	if signature == "" {
		t.Errorf("no X-Twilio-Signature on %s", request)
		return
	}
	if !request.TwilioSignatureValid(token) { // Validate(url, params)
		t.Errorf("signature %q does not validate (Validate) for %s", signature, request)
	}
	validator := client.NewRequestValidator(token)
	if !validator.ValidateBody(request.URL, request.Body, signature) {
		t.Errorf("signature %q does not validate (ValidateBody) for %s body %q", signature, request.URL, request.Body)
	}
}

// --------------------------------------------------------------------------------------------
// Create, fetch, lifecycle
// --------------------------------------------------------------------------------------------

// POST Messages.json answers 201 with a queued Message resource: an SM… SID of 34 characters,
// num_segments and num_media as JSON strings ("1", "0"), error_code null, price_unit "USD",
// RFC 2822 dates. Fetching it returns the same resource, and an SMS to a reachable number moves
// on to `delivered` with error_code still null and date_sent set.
func TestCreateFetchAndDeliver(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)

	params := &api.CreateMessageParams{}
	params.SetTo(registeredNumber)
	params.SetFrom(fromNumber)
	params.SetBody("Hello from the SDK")
	created, err := c.Api.CreateMessageWithMetadata(params)
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	if created.GetStatusCode() != 201 {
		t.Errorf("create answered %d, want 201", created.GetStatusCode())
	}
	message := created.GetResource()
	sid := str(message.Sid)

	if !strings.HasPrefix(sid, "SM") || len(sid) != 34 {
		t.Errorf("sid %q: want SM followed by 32 characters", sid)
	}
	checks := []struct{ field, got, want string }{
		{"status", str(message.Status), "queued"},
		{"num_segments", str(message.NumSegments), "1"},
		{"num_media", str(message.NumMedia), "0"},
		{"price_unit", str(message.PriceUnit), "USD"},
		{"direction", str(message.Direction), "outbound-api"},
		{"api_version", str(message.ApiVersion), "2010-04-01"},
		{"account_sid", str(message.AccountSid), server.AccountSid},
		{"to", str(message.To), registeredNumber},
		{"from", str(message.From), fromNumber},
		{"body", str(message.Body), "Hello from the SDK"},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("created message %s = %q, want %q", check.field, check.got, check.want)
		}
	}
	if message.ErrorCode != nil {
		t.Errorf("created message error_code = %d, want null", *message.ErrorCode)
	}
	if message.DateCreated == nil {
		t.Fatalf("created message has no date_created")
	}
	parseRFC2822(t, "date_created", *message.DateCreated)

	fetched := fetchMessage(t, c, sid)
	if str(fetched.Sid) != sid || str(fetched.Body) != "Hello from the SDK" || str(fetched.To) != registeredNumber {
		t.Errorf("fetched sid=%s body=%q to=%s, want the created message", str(fetched.Sid), str(fetched.Body), str(fetched.To))
	}
	if str(fetched.DateCreated) != *message.DateCreated {
		t.Errorf("fetched date_created %q, created %q", str(fetched.DateCreated), *message.DateCreated)
	}

	delivered := waitForStatus(t, c, sid, "delivered")
	if delivered.ErrorCode != nil {
		t.Errorf("delivered message error_code = %d, want null", *delivered.ErrorCode)
	}
	if delivered.DateSent == nil {
		t.Errorf("delivered message has no date_sent")
	} else {
		parseRFC2822(t, "date_sent", *delivered.DateSent)
	}
	if str(delivered.NumSegments) != "1" {
		t.Errorf("delivered message num_segments = %q, want \"1\"", str(delivered.NumSegments))
	}
}

// --------------------------------------------------------------------------------------------
// Lists and paging
// --------------------------------------------------------------------------------------------

// seedMessages sends 7 messages to the registered number from the account's own number, then 2
// to another number from the magic test sender. It returns the SIDs of each group, oldest first.
func seedMessages(t *testing.T, c *SDK) (mine, others []string) {
	t.Helper()
	for i := 0; i < 7; i++ {
		mine = append(mine, str(sendMessage(t, c, registeredNumber, fromNumber, fmt.Sprintf("message %d", i)).Sid))
	}
	for i := 0; i < 2; i++ {
		others = append(others, str(sendMessage(t, c, otherNumber, magicTestSender, fmt.Sprintf("other %d", i)).Sid))
	}
	return mine, others
}

func listGets(c *SDK) []mbtest.SentRequest {
	var gets []mbtest.SentRequest
	for _, r := range c.Requests() {
		if r.Method == "GET" {
			gets = append(gets, r)
		}
	}
	return gets
}

// sentQuery is the query of a request the SDK made.
func sentQuery(t *testing.T, request mbtest.SentRequest) url.Values {
	t.Helper()
	parsed, err := url.Parse(request.URL)
	if err != nil {
		t.Fatalf("the SDK's URL %q: %v", request.URL, err)
	}
	return parsed.Query()
}

// GET Messages.json lists newest first and pages with PageSize, following next_page_uri until it
// is null; with no limit, ListMessage returns every message. The To filter holds on every page.
func TestListMessagePagesNewestFirst(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	mine, others := seedMessages(t, c)
	c.ForgetRequests()

	params := &api.ListMessageParams{}
	params.SetTo(registeredNumber)
	params.SetPageSize(3)
	messages, err := c.Api.ListMessage(params)
	if err != nil {
		t.Fatalf("ListMessage: %v", err)
	}
	sids := make([]string, len(messages))
	for i, m := range messages {
		sids[i] = str(m.Sid)
		if str(m.To) != registeredNumber {
			t.Errorf("listed %s has to=%s, filter was To=%s", sids[i], str(m.To), registeredNumber)
		}
	}
	assertSids(t, "ListMessage(To, PageSize 3): all 7, newest first", sids, reversed(mine))

	// 7 messages in pages of 3: three GETs, every one still filtered by To and sized 3.
	gets := listGets(c)
	if len(gets) != 3 {
		t.Fatalf("ListMessage made %d GETs, want 3: %v", len(gets), gets)
	}
	for _, get := range gets {
		query := sentQuery(t, get)
		if query.Get("To") != registeredNumber || query.Get("PageSize") != "3" {
			t.Errorf("page request %s lost the filter or page size (To=%q PageSize=%q)", get.URL, query.Get("To"), query.Get("PageSize"))
		}
		if !strings.HasPrefix(get.URL, "https://api.twilio.com/2010-04-01/Accounts/"+server.AccountSid+"/Messages.json") {
			t.Errorf("page request went to %s: next_page_uri should be relative to https://api.twilio.com", get.URL)
		}
	}

	// A limit stops early: the account's 4 newest messages, in 2 GETs (3 + 1 of the second page).
	c.ForgetRequests()
	limited := &api.ListMessageParams{}
	limited.SetLimit(4)
	limited.SetPageSize(3)
	everything := reversed(append(append([]string{}, mine...), others...))
	assertSids(t, "ListMessage(Limit 4, PageSize 3)", listSids(t, c, limited), everything[:4])
	if gets := listGets(c); len(gets) != 2 {
		t.Errorf("ListMessage(Limit 4, PageSize 3) made %d GETs, want 2: %v", len(gets), gets)
	}
}

// StreamMessage yields every message of the account, newest first, fetching pages lazily as the
// channel is read: 9 messages at 2 a page take 5 GETs; the error channel closes without an error.
func TestStreamMessage(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	mine, others := seedMessages(t, c)
	c.ForgetRequests()

	params := &api.ListMessageParams{}
	params.SetPageSize(2)
	records, errs := c.Api.StreamMessage(params)
	var streamed []string
	for record := range records {
		streamed = append(streamed, str(record.Sid))
	}
	if err := <-errs; err != nil {
		t.Fatalf("StreamMessage: %v", err)
	}
	assertSids(t, "StreamMessage(PageSize 2)", streamed, reversed(append(append([]string{}, mine...), others...)))
	if gets := listGets(c); len(gets) != 5 {
		t.Errorf("StreamMessage made %d GETs for 9 messages at 2 a page, want 5: %v", len(gets), gets)
	}
}

// The From filter returns only that sender's messages (on every page); From and To together
// must both match, and a filter that matches nothing gives an empty list, not an error.
func TestListFilterByFrom(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	mine, others := seedMessages(t, c)

	fromMagic := &api.ListMessageParams{}
	fromMagic.SetFrom(magicTestSender)
	assertSids(t, "ListMessage(From magic sender)", listSids(t, c, fromMagic), reversed(others))

	fromOwn := &api.ListMessageParams{}
	fromOwn.SetFrom(fromNumber)
	fromOwn.SetPageSize(4)
	c.ForgetRequests()
	assertSids(t, "ListMessage(From own number, PageSize 4)", listSids(t, c, fromOwn), reversed(mine))
	for _, get := range listGets(c) {
		if sentQuery(t, get).Get("From") != fromNumber {
			t.Errorf("page request %s lost the From filter", get.URL)
		}
	}

	neither := &api.ListMessageParams{}
	neither.SetTo(registeredNumber)
	neither.SetFrom(magicTestSender)
	assertSids(t, "ListMessage(To registered, From magic sender)", listSids(t, c, neither), []string{})
}

// --------------------------------------------------------------------------------------------
// Redact and delete
// --------------------------------------------------------------------------------------------

// POST Messages/{Sid}.json with Body="" redacts the message: the body becomes empty and stays
// empty when fetched again; the rest of the resource is unchanged.
func TestRedactBody(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	message := sendMessage(t, c, registeredNumber, fromNumber, "secret code 123456")
	sid := str(message.Sid)
	waitForStatus(t, c, sid, "delivered")

	update := &api.UpdateMessageParams{}
	update.SetBody("")
	redacted, err := c.Api.UpdateMessage(sid, update)
	if err != nil {
		t.Fatalf("UpdateMessage(Body \"\"): %v", err)
	}
	if str(redacted.Sid) != sid {
		t.Errorf("redact answered sid %s, want %s", str(redacted.Sid), sid)
	}
	if redacted.Body == nil || *redacted.Body != "" {
		t.Errorf("redacted body = %q, want \"\"", str(redacted.Body))
	}
	if str(redacted.Status) != "delivered" {
		t.Errorf("redacted status = %q, want it unchanged (delivered)", str(redacted.Status))
	}
	fetched := fetchMessage(t, c, sid)
	if fetched.Body == nil || *fetched.Body != "" {
		t.Errorf("fetched body after redaction = %q, want \"\"", str(fetched.Body))
	}
}

// DELETE Messages/{Sid}.json on a delivered message answers 204; afterwards the message is gone:
// fetch answers 404 with code 20404, and it leaves lists.
func TestDeleteAfterDelivery(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	sid := str(sendMessage(t, c, registeredNumber, fromNumber, "to be deleted").Sid)
	waitForStatus(t, c, sid, "delivered")

	deleted, err := c.Api.DeleteMessageWithMetadata(sid, nil)
	if err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if deleted.GetStatusCode() != 204 {
		t.Errorf("delete answered %d, want 204", deleted.GetStatusCode())
	}

	_, err = c.Api.FetchMessage(sid, nil)
	restErr := restError(t, err, "FetchMessage after delete")
	if restErr.Status != 404 || restErr.Code != 20404 {
		t.Errorf("fetch after delete: status %d code %d, want 404 / 20404 (%v)", restErr.Status, restErr.Code, restErr)
	}
	assertSids(t, "ListMessage after delete", listSids(t, c, nil), []string{})
}

// Fetching a well-formed SID that does not exist answers 404 with code 20404.
func TestUnknownMessageIs404(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	_, err := c.Api.FetchMessage("SM"+strings.Repeat("0", 32), nil)
	restErr := restError(t, err, "FetchMessage of an unknown SID")
	if restErr.Status != 404 || restErr.Code != 20404 {
		t.Errorf("status %d code %d, want 404 / 20404 (%v)", restErr.Status, restErr.Code, restErr)
	}
}

// --------------------------------------------------------------------------------------------
// Errors
// --------------------------------------------------------------------------------------------

// A wrong auth token is refused with 401 and code 20003, on writes, reads and lists alike.
// (The token is alphanumeric: twilio-go refuses other tokens itself, before sending.)
func TestBadCredentials(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newSDK(t, server, server.AccountSid, "notthetoken", server.AccountSid)

	params := &api.CreateMessageParams{}
	params.SetTo(registeredNumber)
	params.SetFrom(fromNumber)
	params.SetBody("hi")
	_, createErr := c.Api.CreateMessage(params)
	_, fetchErr := c.Api.FetchMessage("SM"+strings.Repeat("0", 32), nil)
	_, listErr := c.Api.ListMessage(nil)
	for _, call := range []struct {
		what string
		err  error
	}{{"CreateMessage", createErr}, {"FetchMessage", fetchErr}, {"ListMessage", listErr}} {
		restErr := restError(t, call.err, call.what+" with a wrong token")
		if restErr.Status != 401 || restErr.Code != 20003 {
			t.Errorf("%s with a wrong token: status %d code %d, want 401 / 20003 (%v)", call.what, restErr.Status, restErr.Code, restErr)
		}
	}
	if len(c.Requests()) != 3 {
		t.Errorf("made %d requests, want 3 (one per call)", len(c.Requests()))
	}
}

// Twilio refuses a bad create with 400 and its documented code: 21211 for an invalid To
// (including the magic +15005550001), 21606 for a From the account does not own, 21617 for a
// body over 1,600 characters. Nothing is created.
func TestValidationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, to, from, body string
		code                 int
	}{
		{"invalid-to-21211", "+1abc", fromNumber, "hi", 21211},
		{"from-not-owned-21606", registeredNumber, "+15550009999", "hi", 21606},
		{"body-over-1600-21617", registeredNumber, fromNumber, strings.Repeat("x", 1601), 21617},
		{"magic-invalid-to-21211", "+15005550001", magicTestSender, "hi", 21211},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			server := startMockingbird(t)
			c := newDefaultSDK(t, server)
			params := &api.CreateMessageParams{}
			params.SetTo(tc.to)
			params.SetFrom(tc.from)
			params.SetBody(tc.body)
			message, err := c.Api.CreateMessage(params)
			if err == nil {
				t.Fatalf("CreateMessage(To=%s, From=%s, %d-char body) succeeded (sid %s), want 400 / %d",
					tc.to, tc.from, len(tc.body), str(message.Sid), tc.code)
			}
			restErr := restError(t, err, "CreateMessage")
			if restErr.Status != 400 || restErr.Code != tc.code {
				t.Errorf("status %d code %d, want 400 / %d (%v)", restErr.Status, restErr.Code, tc.code, restErr)
			}
			if restErr.MoreInfo != fmt.Sprintf("https://www.twilio.com/docs/errors/%d", tc.code) {
				t.Errorf("more_info = %q, want Twilio's page for %d", restErr.MoreInfo, tc.code)
			}
			assertSids(t, "ListMessage after a refused create", listSids(t, c, nil), []string{})
		})
	}
}

// 1,600 characters is Twilio's limit itself, not over it: the message is accepted (in 11
// segments of 153 GSM-7 characters).
func TestBodyOfExactly1600CharsIsAccepted(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	message := sendMessage(t, c, registeredNumber, fromNumber, strings.Repeat("x", 1600))
	if str(message.Status) != "queued" {
		t.Errorf("status = %q, want queued", str(message.Status))
	}
	if len(str(message.Body)) != 1600 {
		t.Errorf("body has %d characters, want 1600", len(str(message.Body)))
	}
}

// --------------------------------------------------------------------------------------------
// Status callbacks
// --------------------------------------------------------------------------------------------

// Twilio POSTs a form-encoded callback to StatusCallback for each status after `queued`: `sent`,
// then `delivered`. Each is signed (X-Twilio-Signature over the full URL, query included, and
// the sorted parameters, with the account's auth token) so that the SDK's RequestValidator
// accepts it, and carries MessageSid/SmsSid, MessageStatus/SmsStatus, AccountSid, From, To,
// ApiVersion; `delivered` also carries RawDlrDoneDate (YYMMDDhhmm).
func TestStatusCallbacksAreSignedAndOrdered(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	receiver := mbtest.NewReceiver(t)

	callbackURL := receiver.URL("/twilio/status?tenant=t1&attempt=a")
	params := &api.CreateMessageParams{}
	params.SetTo(registeredNumber)
	params.SetFrom(fromNumber)
	params.SetBody("callback me")
	params.SetStatusCallback(callbackURL)
	message, err := c.Api.CreateMessage(params)
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	sid := str(message.Sid)

	received := receiver.WaitFor(hasStatus("delivered"))
	if got := statuses(received); !reflect.DeepEqual(got, []string{"sent", "delivered"}) {
		t.Fatalf("callback statuses %v, want [sent delivered]", got)
	}

	for _, request := range received {
		status := request.Form.Get("MessageStatus")
		if request.Method != "POST" {
			t.Errorf("%s callback method %s, want POST", status, request.Method)
		}
		if request.URL != callbackURL {
			t.Errorf("%s callback went to %s, want %s", status, request.URL, callbackURL)
		}
		if ct := request.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			t.Errorf("%s callback Content-Type %q, want application/x-www-form-urlencoded", status, ct)
		}
		assertSigned(t, request, server.AuthToken)
		assertParams(t, request, map[string]string{
			"MessageSid": sid,
			"SmsSid":     sid,
			"SmsStatus":  status,
			"AccountSid": server.AccountSid,
			"From":       fromNumber,
			"To":         registeredNumber,
			"ApiVersion": "2010-04-01",
		})
		if code, ok := request.Form.Get("ErrorCode"), request.Form.Has("ErrorCode"); ok {
			t.Errorf("%s callback carries ErrorCode=%q; a successful message has none", status, code)
		}
	}

	sent, delivered := received[0], received[1]
	if raw, ok := sent.Form.Get("RawDlrDoneDate"), sent.Form.Has("RawDlrDoneDate"); ok {
		t.Errorf("sent callback carries RawDlrDoneDate=%q; only the delivery receipt has one", raw)
	}
	raw := delivered.Form.Get("RawDlrDoneDate")
	if len(raw) != 10 || strings.Trim(raw, "0123456789") != "" {
		t.Errorf("delivered callback RawDlrDoneDate = %q, want 10 digits (YYMMDDhhmm)", raw)
	}

	// A tampered parameter no longer validates: the signature covers the parameters.
	tampered := map[string]string{}
	for name, values := range delivered.Form {
		tampered[name] = values[0]
	}
	tampered["MessageStatus"] = "failed"
	validator := client.NewRequestValidator(server.AuthToken)
	if validator.Validate(delivered.URL, tampered, delivered.Header.Get("X-Twilio-Signature")) {
		t.Errorf("a tampered callback still validates")
	}
	// And another account's token does not validate it either.
	if delivered.TwilioSignatureValid("someoneelsestoken0123456789abcdef") {
		t.Errorf("the callback validates with a different auth token")
	}

	if status := str(fetchMessage(t, c, sid).Status); status != "delivered" {
		t.Errorf("after the delivered callback, fetch says %q", status)
	}
}

// A message that fails ends `failed` with error_code 30008 (Twilio's "unknown error", an integer
// in the resource), and the `failed` callback carries ErrorCode=30008, signed like every other
// callback; there is no `delivered` callback and no RawDlrDoneDate.
func TestFailureNumberFailsWith30008(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)
	receiver := mbtest.NewReceiver(t)

	params := &api.CreateMessageParams{}
	params.SetTo(failureNumber)
	params.SetFrom(fromNumber)
	params.SetBody("will fail")
	params.SetStatusCallback(receiver.URL("/failed"))
	message, err := c.Api.CreateMessage(params)
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	sid := str(message.Sid)
	if str(message.Status) != "queued" {
		t.Errorf("created status %q, want queued", str(message.Status))
	}

	failed := waitForStatus(t, c, sid, "failed")
	if failed.ErrorCode == nil || *failed.ErrorCode != 30008 {
		t.Errorf("failed message error_code = %s, want 30008", intStr(failed.ErrorCode))
	}

	received := receiver.WaitFor(hasStatus("failed"))
	got := statuses(received)
	if got[len(got)-1] != "failed" {
		t.Errorf("callback statuses %v: want failed last", got)
	}
	for _, status := range got {
		if status == "delivered" {
			t.Errorf("callback statuses %v include delivered", got)
		}
	}
	last := received[len(received)-1]
	assertSigned(t, last, server.AuthToken)
	if last.Form.Get("MessageSid") != sid {
		t.Errorf("failed callback MessageSid = %q, want %s", last.Form.Get("MessageSid"), sid)
	}
	if last.Form.Get("ErrorCode") != "30008" {
		t.Errorf("failed callback ErrorCode = %q, want 30008", last.Form.Get("ErrorCode"))
	}
	if raw, ok := last.Form.Get("RawDlrDoneDate"), last.Form.Has("RawDlrDoneDate"); ok {
		t.Errorf("failed callback carries RawDlrDoneDate=%q", raw)
	}
}

// --------------------------------------------------------------------------------------------
// Subaccounts
// --------------------------------------------------------------------------------------------

// POST Accounts.json creates a subaccount with its own SID and auth token (32 alphanumeric
// characters, so twilio-go accepts it), owned by the parent. Its messages belong to it: they
// show in its own list (and in the parent's view of the subaccount), never in the parent's own
// Messages list; and the subaccount cannot read its parent's messages.
func TestSubaccountIsIsolated(t *testing.T) {
	t.Parallel()
	server := startMockingbird(t)
	c := newDefaultSDK(t, server)

	create := &api.CreateAccountParams{}
	create.SetFriendlyName("x")
	sub, err := c.Api.CreateAccount(create)
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	subSid, subToken := str(sub.Sid), str(sub.AuthToken)
	if !strings.HasPrefix(subSid, "AC") || len(subSid) != 34 || subSid == server.AccountSid {
		t.Errorf("subaccount sid %q: want a new AC… SID of 34 characters", subSid)
	}
	if sub.AuthToken == nil || subToken == "" || subToken == server.AuthToken {
		t.Errorf("subaccount auth_token %q: want a token of its own", subToken)
	}
	if strings.Trim(subToken, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		t.Errorf("subaccount auth_token %q is not alphanumeric: twilio-go cannot use it", subToken)
	}
	for _, check := range []struct{ field, got, want string }{
		{"friendly_name", str(sub.FriendlyName), "x"},
		{"owner_account_sid", str(sub.OwnerAccountSid), server.AccountSid},
		{"status", str(sub.Status), "active"},
	} {
		if check.got != check.want {
			t.Errorf("subaccount %s = %q, want %q", check.field, check.got, check.want)
		}
	}

	parentMessage := str(sendMessage(t, c, registeredNumber, fromNumber, "parent").Sid)

	subClient := newSDK(t, server, subSid, subToken, subSid)
	subMessage := sendMessage(t, subClient, registeredNumber, magicTestSender, "from the subaccount")
	if str(subMessage.AccountSid) != subSid {
		t.Errorf("subaccount's message account_sid = %s, want %s", str(subMessage.AccountSid), subSid)
	}
	if str(subMessage.Status) != "queued" {
		t.Errorf("subaccount's message status = %q, want queued", str(subMessage.Status))
	}
	subMessageSid := str(subMessage.Sid)

	assertSids(t, "parent's ListMessage", listSids(t, c, nil), []string{parentMessage})
	assertSids(t, "subaccount's ListMessage", listSids(t, subClient, nil), []string{subMessageSid})

	// The parent's credentials may act on its subaccount's resources.
	asParent := &api.ListMessageParams{}
	asParent.SetPathAccountSid(subSid)
	assertSids(t, "parent's ListMessage of the subaccount", listSids(t, c, asParent), []string{subMessageSid})

	// But the subaccount cannot see its parent's messages.
	fetchParent := &api.FetchMessageParams{}
	fetchParent.SetPathAccountSid(server.AccountSid)
	_, err = subClient.Api.FetchMessage(parentMessage, fetchParent)
	restErr := restError(t, err, "the subaccount fetching its parent's message")
	if restErr.Status != 401 && restErr.Status != 404 {
		t.Errorf("the subaccount fetching its parent's message: status %d code %d, want 401 or 404 (%v)",
			restErr.Status, restErr.Code, restErr)
	}
}
