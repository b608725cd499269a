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
	"net/http"
	"net/url"
	"strings"
	"sync"
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

// SentRequest is one request the SDK made: the URL it asked for and where it actually went.
type SentRequest struct {
	Method  string
	SDKURL  string // as the SDK built it (https://api.twilio.com/...)
	URL     *url.URL
	Headers http.Header
}

// toMockingbird sends every request to mockingbird, keeping method, path, query and headers
// (the redirect from docs/sdks.md §Go), and remembers each one so that tests can see how the
// SDK paged.
type toMockingbird struct {
	base      *url.URL
	transport *http.Transport

	mu       sync.Mutex
	requests []SentRequest
}

func (t *toMockingbird) RoundTrip(r *http.Request) (*http.Response, error) {
	original := r.URL.String()
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, t.base.Host
	t.mu.Lock()
	t.requests = append(t.requests, SentRequest{Method: r.Method, SDKURL: original, URL: r.URL, Headers: r.Header.Clone()})
	t.mu.Unlock()
	return t.transport.RoundTrip(r)
}

// SDK is a twilio-go RestClient talking to this test's server.
type SDK struct {
	*twilio.RestClient
	redirect *toMockingbird
	account  *mbtest.TenantHandle // the account whose events say when a status is reached
}

// Requests made through this client so far.
func (s *SDK) Requests() []SentRequest {
	s.redirect.mu.Lock()
	defer s.redirect.mu.Unlock()
	return append([]SentRequest(nil), s.redirect.requests...)
}

// ForgetRequests clears the record of requests made.
func (s *SDK) ForgetRequests() {
	s.redirect.mu.Lock()
	defer s.redirect.mu.Unlock()
	s.redirect.requests = nil
}

// newSDK builds a client with these credentials, acting on account `actingAs` (normally the
// username), exactly as docs/sdks.md tells an app to.
func newSDK(t testing.TB, server *Mockingbird, username, password, actingAs string) *SDK {
	t.Helper()
	base, err := url.Parse(server.BaseURL)
	if err != nil {
		t.Fatalf("server URL %q: %v", server.BaseURL, err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // loopback only: ignore proxy settings
	t.Cleanup(transport.CloseIdleConnections)
	redirect := &toMockingbird{base: base, transport: transport}
	c := &client.Client{
		Credentials: client.NewCredentials(username, password),
		HTTPClient: &http.Client{
			Transport: redirect,
			Timeout:   10 * time.Second,
			// As the SDK's own default client: never follow redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(actingAs)
	return &SDK{RestClient: twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}), redirect: redirect}
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
