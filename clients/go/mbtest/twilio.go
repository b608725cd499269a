package mbtest

import (
	"net/http"
	"net/url"
	"sync"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

// SentRequest is one request a Twilio client made: method and the URL the SDK built
// (https://api.twilio.com/...), before it was sent to mockingbird.
type SentRequest struct {
	Method string
	URL    string
}

// TwilioRequests records the requests of a client from TwilioClient(RecordTo(...)).
type TwilioRequests struct {
	mu   sync.Mutex
	sent []SentRequest
}

// All is the requests made so far.
func (r *TwilioRequests) All() []SentRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SentRequest(nil), r.sent...)
}

// redirect sends every request to mockingbird, keeping method, path, query and headers: the
// redirect twilio-go's docs offer (a custom HTTP client), so paging links follow it too.
type redirect struct {
	base      *url.URL
	transport http.RoundTripper
	record    *TwilioRequests
}

func (rd *redirect) RoundTrip(r *http.Request) (*http.Response, error) {
	if rd.record != nil {
		rd.record.mu.Lock()
		rd.record.sent = append(rd.record.sent, SentRequest{Method: r.Method, URL: r.URL.String()})
		rd.record.mu.Unlock()
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rd.base.Scheme, rd.base.Host, rd.base.Host
	return rd.transport.RoundTrip(r)
}

type twilioOptions struct {
	apiKey bool
	record *TwilioRequests
}

// TwilioOption changes the client TwilioClient builds.
type TwilioOption func(*twilioOptions)

// WithAPIKey authenticates with the tenant's API key and secret instead of its auth token.
func WithAPIKey() TwilioOption { return func(o *twilioOptions) { o.apiKey = true } }

// RecordTo records every request the client makes in requests.
func RecordTo(requests *TwilioRequests) TwilioOption {
	return func(o *twilioOptions) { o.record = requests }
}

// TwilioClient is the official twilio-go client, authenticated as this tenant, sending every
// request to mockingbird.
func (tn *TenantHandle) TwilioClient(opts ...TwilioOption) *twilio.RestClient {
	tn.t.Helper()
	var o twilioOptions
	for _, opt := range opts {
		opt(&o)
	}
	base, err := url.Parse(tn.HTTPURL())
	if err != nil {
		tn.t.Fatalf("mbtest: the server's HTTP URL %q: %v", tn.HTTPURL(), err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // loopback: never through a proxy the environment names
	tn.t.Cleanup(transport.CloseIdleConnections)
	username, password := tn.AccountSid, tn.AuthToken
	if o.apiKey {
		username, password = tn.ApiKeySid, tn.ApiKeySecret
	}
	c := &client.Client{
		Credentials: client.NewCredentials(username, password),
		HTTPClient: &http.Client{
			Transport: &redirect{base: base, transport: transport, record: o.record},
			Timeout:   RPCTimeout,
			// As the SDK's own default client: never follow redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(tn.AccountSid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}
