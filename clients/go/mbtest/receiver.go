package mbtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"
)

// Request is one request the webhook receiver got.
type Request struct {
	Method string
	URL    string // the full URL as the sender called it (what Twilio signs)
	Path   string // without the query
	Header http.Header
	Body   []byte
	Form   url.Values // a POST's form body, or a GET's query
}

func (r Request) String() string { return fmt.Sprintf("%s %s %v", r.Method, r.URL, r.Form) }

// TwilioSignatureValid checks X-Twilio-Signature with twilio-go's own RequestValidator.
func (r Request) TwilioSignatureValid(authToken string) bool {
	validator := client.NewRequestValidator(authToken)
	signature := r.Header.Get("X-Twilio-Signature")
	params := map[string]string{}
	if r.Method == http.MethodPost { // a GET's parameters are in the signed URL already
		for name, values := range r.Form {
			params[name] = values[0]
		}
	}
	return validator.Validate(r.URL, params, signature)
}

// MetaSignatureValid checks X-Hub-Signature-256 (the Cloud API's): HMAC-SHA256 of the body
// with the app secret.
func (r Request) MetaSignatureValid(appSecret string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
	if !ok {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(r.Body)
	want := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(got), []byte(want))
}

// JSON decodes the body (a Cloud API webhook's envelope) into a generic value.
func (r Request) JSON() (map[string]any, error) {
	var decoded map[string]any
	err := json.Unmarshal(r.Body, &decoded)
	return decoded, err
}

// Receiver is an HTTP server on 127.0.0.1 standing in for the app: it records each request and
// answers 200, empty or with what Route says (TwiML, typically).
type Receiver struct {
	t      testing.TB
	server *httptest.Server

	mu       sync.Mutex
	routes   map[string]func(Request) string
	fallback func(Request) string
	requests []Request
	changed  chan struct{} // closed (and replaced) whenever a request arrives
}

// NewReceiver starts a webhook receiver, closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{t: t, routes: map[string]func(Request) string{}, changed: make(chan struct{})}
	r.server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.server.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	params := string(body)
	if req.Method == http.MethodGet { // Twilio sends a GET webhook's parameters in its query
		params = req.URL.RawQuery
	}
	form, _ := url.ParseQuery(params) // a JSON body (the Cloud API's) leaves it empty
	request := Request{Method: req.Method, URL: r.server.URL + req.RequestURI, Path: req.URL.Path,
		Header: req.Header.Clone(), Body: body, Form: form}
	r.mu.Lock()
	answer := r.routes[request.Path]
	if answer == nil {
		answer = r.fallback
	}
	r.mu.Unlock()
	reply := ""
	if answer != nil {
		reply = answer(request)
	}
	// Recorded before the answer goes: whatever the answer sets off happens after the request
	// is on the record.
	r.mu.Lock()
	r.requests = append(r.requests, request)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, reply)
}

// URL is the receiver's address with this path (and query).
func (r *Receiver) URL(pathAndQuery string) string { return r.server.URL + pathAndQuery }

// Route answers requests to path with what answer returns (TwiML for a voice or SMS webhook).
func (r *Receiver) Route(path string, answer func(Request) string) *Receiver {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes[path] = answer
	return r
}

// Fallback answers requests to every path that has no Route with what answer returns (an app
// that routes by itself, or one that fails the test on a path it does not serve).
func (r *Receiver) Fallback(answer func(Request) string) *Receiver {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fallback = answer
	return r
}

// RouteText answers requests to path with this fixed body.
func (r *Receiver) RouteText(path, body string) *Receiver {
	return r.Route(path, func(Request) string { return body })
}

// Requests is what the receiver got so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// WaitFor waits until done(requests so far) is true and returns those requests, waking on each
// new request; after DefaultWait the test fails, listing what arrived.
func (r *Receiver) WaitFor(done func([]Request) bool) []Request {
	r.t.Helper()
	timeout := time.NewTimer(DefaultWait)
	defer timeout.Stop()
	for {
		r.mu.Lock()
		requests, changed := append([]Request(nil), r.requests...), r.changed
		r.mu.Unlock()
		if done(requests) {
			return requests
		}
		select {
		case <-changed:
		case <-timeout.C:
			lines := []string{"  (none)"}
			if len(requests) > 0 {
				lines = lines[:0]
				for _, request := range requests {
					lines = append(lines, "  "+request.String())
				}
			}
			r.t.Fatalf("webhook receiver: condition not met within %s; received:\n%s", DefaultWait, strings.Join(lines, "\n"))
		}
	}
}

// WaitForRequest is the first request to path whose form has every given name=value pair
// (WaitForRequest("/status", "MessageStatus", "delivered")).
func (r *Receiver) WaitForRequest(path string, nameValues ...string) Request {
	r.t.Helper()
	var found Request
	r.WaitFor(func(requests []Request) bool {
		for _, request := range requests {
			if request.Path == path && formHas(request.Form, nameValues) {
				found = request
				return true
			}
		}
		return false
	})
	return found
}

func formHas(form url.Values, nameValues []string) bool {
	for i := 0; i+1 < len(nameValues); i += 2 {
		if form.Get(nameValues[i]) != nameValues[i+1] {
			return false
		}
	}
	return true
}
