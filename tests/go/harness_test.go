// The harness for running the official twilio-go SDK against a local mockingbird.
//
// Every test gets a server of its own (started on port 0 with an in-memory database), so no test
// sees another's messages, subaccounts or callbacks, and tests can run in parallel. Starting one
// takes a few tens of milliseconds.
//
// MOCKINGBIRD_BIN names the server binary (default: <repo>/target/debug/mockingbird; a relative
// path is taken from the repository root). scripts/go-tests.sh builds it when it is missing. The
// same binary is the CLI the voice tests act through as the person on the phone.
package sdktests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

const (
	accountSid       = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // "AC" + 32 hex digits
	authToken        = "mockingbirdtesttoken0123456789ab"   // alphanumeric: twilio-go refuses anything else
	fromNumber       = "+15550000001"
	registeredNumber = "+15551234567"
	failureNumber    = "+15559999999"

	readyTimeout = 15 * time.Second
	stopTimeout  = 5 * time.Second
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

// Mockingbird is a running server: where it listens and the default account's credentials.
type Mockingbird struct {
	BaseURL    string
	AccountSid string
	AuthToken  string
	ReadyFile  string // where the server wrote its addresses; the CLI finds it there
	bin        string
	logPath    string
}

// Log is everything the server has written to stdout and stderr so far.
func (m *Mockingbird) Log() string {
	data, err := os.ReadFile(m.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", m.logPath, err)
	}
	return string(data)
}

func repoRoot(t testing.TB) string {
	t.Helper()
	// `go test` runs in the package directory, tests/go.
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

func serverBinary(t testing.TB) string {
	t.Helper()
	root := repoRoot(t)
	path := os.Getenv("MOCKINGBIRD_BIN")
	if path == "" {
		path = filepath.Join(root, "target", "debug", "mockingbird")
	} else if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	info, err := os.Stat(path)
	if err != nil || info.IsDir() {
		t.Fatalf("mockingbird binary not found at %s: run `cargo build` or set MOCKINGBIRD_BIN", path)
	}
	return path
}

// serverEnv is this process's environment, minus what must not reach the server.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "MOCKINGBIRD_"):
			// The server reads MOCKINGBIRD_* variables as config overrides (and MOCKINGBIRD_CONFIG
			// as its config file): the config written below must be the whole story.
		case name == "NO_PROXY" || name == "no_proxy" || name == "NO_COLOR":
		default:
			env = append(env, kv)
		}
	}
	// Callbacks go to 127.0.0.1: never through a proxy the environment may name.
	return append(env, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost", "NO_COLOR=1")
}

// readyAddress is the `http` address in the ready file, or "" while it is absent or half-written.
func readyAddress(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var doc struct {
		HTTP string `json:"http"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return ""
	}
	return doc.HTTP
}

// startMockingbird starts a fresh server for this test and stops it when the test ends. If the
// test fails, the server's output is added to the test's log.
func startMockingbird(t testing.TB) *Mockingbird {
	t.Helper()
	return startMockingbirdWith(t)
}

// startMockingbirdWith starts a server as startMockingbird does, with these `key=value` settings
// over the config (`serve --set`).
func startMockingbirdWith(t testing.TB, settings ...string) *Mockingbird {
	t.Helper()
	bin := serverBinary(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	readyFile := filepath.Join(dir, "ready.json")
	logPath := filepath.Join(dir, "server.log")
	text := fmt.Sprintf(configTemplate, accountSid, authToken, registeredNumber, fromNumber, failureNumber)
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatalf("writing %s: %v", config, err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("creating %s: %v", logPath, err)
	}
	defer logFile.Close() // the child has its own descriptor

	args := []string{
		"serve",
		"--config", config,
		"--host", "127.0.0.1",
		"--port", "0",
		"--grpc-port", "0",
		"--database", ":memory:",
		"--ready-file", readyFile,
	}
	for _, setting := range settings {
		args = append(args, "--set", setting)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = serverEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	commandLine := bin + " " + strings.Join(args, " ")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", commandLine, err)
	}

	server := &Mockingbird{AccountSid: accountSid, AuthToken: authToken, ReadyFile: readyFile, bin: bin, logPath: logPath}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	// Set once the server is ready: before that, a failure reports the output itself.
	ready := false
	// Cleanups run last-registered first: stop the server, then show its (complete) output.
	t.Cleanup(func() {
		if ready && t.Failed() {
			t.Logf("--- mockingbird output (%s) ---\n%s", logPath, server.Log())
		}
	})
	t.Cleanup(func() {
		select {
		case <-exited:
			if ready {
				// It was not asked to stop: a crash, a failure of the test it happened in.
				t.Errorf("mockingbird exited during the test: %v", waitErr)
			}
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			t.Errorf("mockingbird did not stop within %s of SIGTERM; killing it", stopTimeout)
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	deadline := time.Now().Add(readyTimeout)
	for {
		if address := readyAddress(readyFile); address != "" {
			server.BaseURL = "http://" + address
			ready = true
			return server
		}
		select {
		case <-exited:
			t.Fatalf("mockingbird exited (%v) before it was ready\ncommand: %s\n--- server output ---\n%s",
				waitErr, commandLine, server.Log())
		default:
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("mockingbird did not write %s within %s\ncommand: %s\n--- server output ---\n%s",
				readyFile, readyTimeout, commandLine, server.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	return newSDK(t, server, server.AccountSid, server.AuthToken, server.AccountSid)
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
// The webhook receiver
// --------------------------------------------------------------------------------------------

// ReceivedRequest is one request the webhook receiver got.
type ReceivedRequest struct {
	Method    string
	URL       string // the full URL as the sender called it (what Twilio signs)
	Path      string // path and query
	Headers   http.Header
	Body      []byte
	Form      map[string]string // first value of each parameter: the form body's, or a GET's query's
	FormPairs [][2]string       // every (name, value), in order
}

func (r ReceivedRequest) String() string {
	return fmt.Sprintf("%s %s %v", r.Method, r.URL, r.Form)
}

// Route is the request's path without its query.
func (r ReceivedRequest) Route() string {
	route, _, _ := strings.Cut(r.Path, "?")
	return route
}

// WebhookReceiver is an HTTP server on 127.0.0.1 that records each request and answers 200:
// with no body, or (a TwiML app) with the TwiML its answer function returns.
type WebhookReceiver struct {
	t      testing.TB
	server *httptest.Server

	mu       sync.Mutex
	requests []ReceivedRequest
	changed  chan struct{} // closed (and replaced) whenever a request arrives
}

// parseFormPairs decodes an application/x-www-form-urlencoded body, keeping order and blanks.
func parseFormPairs(body string) ([][2]string, error) {
	var pairs [][2]string
	for _, part := range strings.Split(body, "&") {
		if part == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, err
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, [2]string{name, value})
	}
	return pairs, nil
}

// startWebhookReceiver starts a receiver that answers every request with an empty 200, closed
// when the test ends.
func startWebhookReceiver(t testing.TB) *WebhookReceiver {
	t.Helper()
	return startReceiver(t, nil)
}

// startReceiver starts a receiver, closed when the test ends. With an answer function, each
// request is answered with the body it returns, as text/xml (TwiML's type).
func startReceiver(t testing.TB, answer func(ReceivedRequest) string) *WebhookReceiver {
	t.Helper()
	receiver := &WebhookReceiver{t: t, changed: make(chan struct{})}
	receiver.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("webhook receiver: reading the body of %s %s: %v", r.Method, r.RequestURI, err)
		}
		// Twilio sends a GET webhook's parameters in its query, a POST's in its body.
		params := string(body)
		if r.Method == http.MethodGet {
			params = r.URL.RawQuery
		}
		pairs, err := parseFormPairs(params)
		if err != nil {
			t.Errorf("webhook receiver: %s %s: parameters are not form-encoded (%v): %q", r.Method, r.RequestURI, err, params)
		}
		form := map[string]string{}
		for _, pair := range pairs {
			if _, seen := form[pair[0]]; !seen {
				form[pair[0]] = pair[1]
			}
		}
		request := ReceivedRequest{
			Method:    r.Method,
			URL:       receiver.server.URL + r.RequestURI,
			Path:      r.RequestURI,
			Headers:   r.Header.Clone(),
			Body:      body,
			Form:      form,
			FormPairs: pairs,
		}
		reply := ""
		if answer != nil {
			reply = answer(request)
		}
		// Recorded before the answer goes: whatever the answer sets off (the next verb, the
		// end of a call) happens after the request is on the record.
		receiver.mu.Lock()
		receiver.requests = append(receiver.requests, request)
		close(receiver.changed)
		receiver.changed = make(chan struct{})
		receiver.mu.Unlock()

		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Content-Length", fmt.Sprint(len(reply)))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(receiver.server.Close)
	return receiver
}

// URL is the receiver's address with this path (and query) appended.
func (w *WebhookReceiver) URL(pathAndQuery string) string {
	return w.server.URL + pathAndQuery
}

// Requests received so far.
func (w *WebhookReceiver) Requests() []ReceivedRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]ReceivedRequest(nil), w.requests...)
}

// WaitFor waits until done(requests so far) is true and returns those requests. It wakes on every
// new request; after timeout the test fails, listing the requests received.
func (w *WebhookReceiver) WaitFor(done func([]ReceivedRequest) bool, timeout time.Duration) []ReceivedRequest {
	w.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		w.mu.Lock()
		requests := append([]ReceivedRequest(nil), w.requests...)
		changed := w.changed
		w.mu.Unlock()
		if done(requests) {
			return requests
		}
		select {
		case <-changed:
		case <-timer.C:
			seen := "  (none)"
			if len(requests) > 0 {
				lines := make([]string, len(requests))
				for i, r := range requests {
					lines[i] = "  " + r.String()
				}
				seen = strings.Join(lines, "\n")
			}
			w.t.Fatalf("webhook receiver: condition not met within %s; received:\n%s", timeout, seen)
		}
	}
}

// --------------------------------------------------------------------------------------------
// The person on the phone
// --------------------------------------------------------------------------------------------

// phoneTimeout bounds one `mockingbird call …` command: it answers once the call's TwiML has
// run as far as it can, which takes milliseconds.
const phoneTimeout = 10 * time.Second

// CallView is what `mockingbird call …` prints about a call: its summary line, its transcript
// (each line's description, without its time) and what the call waits for.
type CallView struct {
	Sid        string
	Direction  string
	Status     string
	Transcript []string
	WaitingFor string // gather, record, pause, dial; "" when it waits for nothing
	Output     string // everything printed, for failure messages
}

// Said is what the caller heard the app say, in order.
func (v CallView) Said() []string {
	said := []string{}
	for _, line := range v.Transcript {
		if quoted, ok := strings.CutPrefix(line, "said "); ok {
			if text, err := strconv.Unquote(quoted); err == nil {
				said = append(said, text)
			}
		}
	}
	return said
}

// parseCallView reads the CLI's output: `call CA… inbound +1… → +1… [in-progress, 3 s]`, then
// `HH:MM:SS.mmm <what happened>` per transcript line, then `waiting for <verb>`.
func parseCallView(output string) (CallView, error) {
	view := CallView{Output: output}
	for _, line := range strings.Split(strings.TrimRight(output, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "call "):
			fields := strings.Fields(line)
			open, end := strings.Index(line, "["), strings.LastIndex(line, "]")
			if len(fields) < 7 || open < 0 || end < open {
				return view, fmt.Errorf("unexpected summary line %q", line)
			}
			view.Sid, view.Direction = fields[1], fields[2]
			view.Status, _, _ = strings.Cut(line[open+1:end], ",")
		case strings.HasPrefix(line, "waiting for "):
			view.WaitingFor = strings.TrimPrefix(line, "waiting for ")
		default:
			_, entry, ok := strings.Cut(line, " ")
			if !ok {
				return view, fmt.Errorf("unexpected transcript line %q", line)
			}
			view.Transcript = append(view.Transcript, entry)
		}
	}
	if view.Sid == "" {
		return view, fmt.Errorf("no summary line")
	}
	return view, nil
}

// Phone runs `mockingbird call <command> <args…>` against this server, on the default
// account, as the person on the phone does: place, answer, press, say, hangup, show. It
// returns the call as the command printed it.
func (m *Mockingbird) Phone(t testing.TB, command string, args ...string) CallView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), phoneTimeout)
	defer cancel()
	// The flags go before the arguments: `say` takes every word after them.
	full := append([]string{"call", command, "--ready-file", m.ReadyFile, "--tenant", m.AccountSid}, args...)
	cmd := exec.CommandContext(ctx, m.bin, full...)
	cmd.Env = serverEnv()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mockingbird %s: %v\n--- stdout ---\n%s--- stderr ---\n%s", strings.Join(full, " "), err, stdout.String(), stderr.String())
	}
	view, err := parseCallView(stdout.String())
	if err != nil {
		t.Fatalf("mockingbird %s: %v\n--- stdout ---\n%s", strings.Join(full, " "), err, stdout.String())
	}
	return view
}
