// The harness for running the official twilio-go SDK against a local mockingbird.
//
// Every test gets a server of its own (mbtest.Start, with the config below: its account and seed
// number lists), so no test sees another's messages, subaccounts or callbacks, and tests can run
// in parallel; webhooks go to an mbtest.Receiver.
//
// MOCKINGBIRD_BIN names the server binary (scripts/go-tests.sh makes it absolute and builds it
// when it is missing). The same binary is the CLI the voice tests act through as the person on
// the phone. The person on the phone is mbtest's Call, on the config's account.
package sdktests

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mockingbird/mockingbird/clients/go/mbtest"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

const (
	accountSid       = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // "AC" + 32 hex digits
	authToken        = "mockingbirdtesttoken0123456789ab"   // alphanumeric: twilio-go refuses anything else
	fromNumber       = "+15550000001"
	registeredNumber = "+15551234567"
	failureNumber    = "+15559999999"
)

const configTemplate = `twilio:
  account_sid: "%s"
  auth_token: "%s"
  validation:
    require_auth: true
    validate_phone_format: true
    check_from_numbers: true
    require_parameters: true
  default_behavior: success
  registered_numbers: ["%s"]
  allowed_from_numbers: ["%s"]
  failure_numbers: ["%s"]
  callbacks:
    enabled: true
    delay_seconds: 0.1
    retry_attempts: 3
    retry_delay_seconds: 0.2
    timeout_seconds: 2
`

// --------------------------------------------------------------------------------------------
// Polling
// --------------------------------------------------------------------------------------------

// waitUntil calls probe until it reports done and returns its value; the test fails after
// timeout, showing the last value. probe may fail the test itself (t.Fatalf) to stop early.
func waitUntil[T any](t testing.TB, timeout time.Duration, what string, probe func() (T, bool)) T {
	t.Helper()
	const interval = 50 * time.Millisecond
	deadline := time.Now().Add(timeout)
	for {
		value, done := probe()
		if done {
			return value
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last value: %+v)", timeout, what, value)
		}
		time.Sleep(min(interval, time.Until(deadline)))
	}
}

// --------------------------------------------------------------------------------------------
// The server
// --------------------------------------------------------------------------------------------

// Mockingbird is a server of this test's own (mbtest.Start, with the config above), and the
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
	opts := []mbtest.Option{mbtest.Config(fmt.Sprintf(configTemplate, accountSid, authToken, registeredNumber, fromNumber, failureNumber))}
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
