// Package mbtest is the Go test layer over mockingbird's control plane: a server (started on
// free ports, or a running one), a tenant per test cleaned up with t.Cleanup, rules, the clock,
// simulated users and callers, waiting for events, and a webhook receiver for the app's side.
//
//	func TestMain(m *testing.M) { mbtest.Main(m) } // one server for the test binary
//
//	func TestDelivered(t *testing.T) {
//		tenant := mbtest.Tenant(t)
//		...
//		tenant.WaitFor(mbtest.Kind("message_status_changed"), mbtest.SID(sid), mbtest.Status("delivered"))
//	}
package mbtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mbv1 "github.com/mockingbird/mockingbird/clients/go/mockingbirdv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

const (
	// RPCTimeout bounds every control-plane call that does not wait on purpose.
	RPCTimeout   = 10 * time.Second
	readyTimeout = 15 * time.Second
	stopTimeout  = 5 * time.Second
	// TokenVariable is the server's own variable for `control.token`, so a server and the tests
	// started with one environment agree.
	TokenVariable = "MOCKINGBIRD_CONTROL__TOKEN"
)

// Stubs are the generated clients of every control-plane service, on one connection.
type Stubs struct {
	Tenants  mbv1.TenantsClient
	Numbers  mbv1.NumbersClient
	Rules    mbv1.RulesClient
	Clock    mbv1.ClockClient
	Messages mbv1.MessagesClient
	Events   mbv1.EventsClient
	WhatsApp mbv1.WhatsAppClient
	Calls    mbv1.CallsClient
}

// Server is a mockingbird reachable over gRPC: one this package started, or one it connected to.
type Server struct {
	GRPCAddress string // host:port of the control plane
	HTTPURL     string // http://host:port of the Twilio and Cloud API facades ("" when unknown)
	Stubs       Stubs

	conn    *grpc.ClientConn
	cmd     *exec.Cmd
	exited  chan struct{}
	workdir string
	logPath string
}

type startOptions struct {
	binary   string
	config   string
	settings []string
	token    string
}

// Option changes how Start runs the server.
type Option func(*startOptions)

// Binary is the server binary to run (default: $MOCKINGBIRD_BIN, then `mockingbird` on PATH).
func Binary(path string) Option { return func(o *startOptions) { o.binary = path } }

// Config is YAML for the server's config file.
func Config(yaml string) Option { return func(o *startOptions) { o.config = yaml } }

// Set overrides one config key (`serve --set key=value`), e.g. Set("twilio.callbacks.retry_attempts", "1").
func Set(key, value string) Option {
	return func(o *startOptions) { o.settings = append(o.settings, key+"="+value) }
}

// ControlToken makes the server require this bearer token on the control plane, and the client send it.
func ControlToken(token string) Option { return func(o *startOptions) { o.token = token } }

// FindBinary is the path Start runs: the given one, else $MOCKINGBIRD_BIN, else `mockingbird` on PATH.
func FindBinary(given string) (string, error) {
	if given == "" {
		given = os.Getenv("MOCKINGBIRD_BIN")
	}
	if given == "" {
		path, err := exec.LookPath("mockingbird")
		if err != nil {
			return "", errors.New("no mockingbird binary: set MOCKINGBIRD_BIN, put `mockingbird` on PATH, or pass mbtest.Binary(path)")
		}
		return path, nil
	}
	info, err := os.Stat(given)
	if err != nil || info.IsDir() {
		return "", fmt.Errorf("the mockingbird binary %s does not exist (MOCKINGBIRD_BIN or mbtest.Binary)", given)
	}
	return filepath.Abs(given)
}

// StartServer runs `mockingbird serve` on free ports (HTTP and gRPC on port 0, an in-memory
// database) and waits for its ready file. The caller stops it with Close. The server sees none
// of this process's MOCKINGBIRD_* variables, so the test's own settings never configure it.
func StartServer(opts ...Option) (*Server, error) {
	var o startOptions
	for _, opt := range opts {
		opt(&o)
	}
	bin, err := FindBinary(o.binary)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mockingbird-")
	if err != nil {
		return nil, err
	}
	readyFile := filepath.Join(dir, "ready.json")
	logPath := filepath.Join(dir, "server.log")
	args := []string{"serve", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
		"--database", ":memory:", "--ready-file", readyFile}
	if o.config != "" {
		config := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(config, []byte(o.config), 0o644); err != nil {
			return nil, err
		}
		args = append(args, "--config", config)
	}
	settings := o.settings
	if o.token != "" {
		settings = append(settings, "control.token="+o.token)
	}
	for _, s := range settings {
		args = append(args, "--set", s)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor

	cmd := exec.Command(bin, args...)
	cmd.Dir = dir // no ./config.yaml of the caller's is read
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	server := &Server{cmd: cmd, exited: exited, workdir: dir, logPath: logPath}
	commandLine := bin + " " + strings.Join(args, " ")

	deadline := time.Now().Add(readyTimeout)
	for {
		if addresses, ok := readReadyFile(readyFile); ok {
			if err := server.dial(addresses.GRPC, "http://"+addresses.HTTP, o.token); err != nil {
				server.Close()
				return nil, err
			}
			return server, nil
		}
		select {
		case <-exited:
			defer os.RemoveAll(dir)
			return nil, fmt.Errorf("mockingbird exited (%v) before it was ready\ncommand: %s\n--- server output ---\n%s",
				cmd.ProcessState, commandLine, server.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log := server.Log()
			server.Close()
			return nil, fmt.Errorf("mockingbird did not write %s within %s\ncommand: %s\n--- server output ---\n%s",
				readyFile, readyTimeout, commandLine, log)
		}
	}
}

type readyAddresses struct {
	HTTP string `json:"http"`
	GRPC string `json:"grpc"`
}

// readReadyFile is the ready file's addresses, or false while it is absent or half-written.
func readReadyFile(path string) (readyAddresses, bool) {
	var addresses readyAddresses
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &addresses) != nil {
		return addresses, false
	}
	return addresses, addresses.HTTP != "" && addresses.GRPC != ""
}

// serverEnv is this process's environment without MOCKINGBIRD_* (the server reads those as
// config overrides), and with webhooks to 127.0.0.1 kept off any proxy.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "MOCKINGBIRD_") || strings.EqualFold(name, "NO_PROXY") || name == "NO_COLOR" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost", "NO_COLOR=1")
}

// ConnectServer reaches a running server. The control plane is at address, else $MOCKINGBIRD_GRPC,
// else the `grpc` of the ready file $MOCKINGBIRD_READY_FILE (which also gives the HTTP address);
// the token is token, else $MOCKINGBIRD_CONTROL__TOKEN.
func ConnectServer(address, token string) (*Server, error) {
	httpURL := ""
	if path := os.Getenv("MOCKINGBIRD_READY_FILE"); path != "" {
		if addresses, ok := readReadyFile(path); ok {
			httpURL = "http://" + addresses.HTTP
			if address == "" {
				address = addresses.GRPC
			}
		}
	}
	if address == "" {
		address = os.Getenv("MOCKINGBIRD_GRPC")
	}
	if address == "" {
		return nil, errors.New("no server to connect to: pass an address, or set MOCKINGBIRD_GRPC or MOCKINGBIRD_READY_FILE")
	}
	if token == "" {
		token = os.Getenv(TokenVariable)
	}
	server := &Server{}
	if err := server.dial(address, httpURL, token); err != nil {
		return nil, err
	}
	return server, nil
}

func (s *Server) dial(address, httpURL, token string) error {
	address = strings.TrimPrefix(strings.TrimPrefix(address, "http://"), "https://")
	options := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithNoProxy(), // loopback or a named host: never through a proxy the environment names
	}
	if token != "" {
		options = append(options,
			grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
				return invoker(bearer(ctx, token), method, req, reply, cc, opts...)
			}),
			grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
				return streamer(bearer(ctx, token), desc, cc, method, opts...)
			}))
	}
	conn, err := grpc.NewClient(address, options...)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", address, err)
	}
	s.GRPCAddress, s.HTTPURL, s.conn = address, strings.TrimRight(httpURL, "/"), conn
	s.Stubs = Stubs{
		Tenants:  mbv1.NewTenantsClient(conn),
		Numbers:  mbv1.NewNumbersClient(conn),
		Rules:    mbv1.NewRulesClient(conn),
		Clock:    mbv1.NewClockClient(conn),
		Messages: mbv1.NewMessagesClient(conn),
		Events:   mbv1.NewEventsClient(conn),
		WhatsApp: mbv1.NewWhatsAppClient(conn),
		Calls:    mbv1.NewCallsClient(conn),
	}
	return nil
}

// bearer adds the server's `control.token` to a call, as `authorization: Bearer <token>`.
func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// Log is what a server started here has printed so far ("" for a connected one).
func (s *Server) Log() string {
	if s.logPath == "" {
		return ""
	}
	data, _ := os.ReadFile(s.logPath)
	return string(data)
}

// Close closes the connection and stops a server started here (SIGTERM, then SIGKILL).
func (s *Server) Close() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		s.cmd = nil
		_ = os.RemoveAll(s.workdir)
	}
}

// Start starts a server for this test (or benchmark) and stops it when the test ends; on a
// failure the server's output joins the test's log.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	server, err := StartServer(opts...)
	if err != nil {
		t.Fatalf("mbtest.Start: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- mockingbird output ---\n%s", server.Log())
		}
		server.Close()
	})
	return server
}

// Connect reaches a running server (see ConnectServer) for this test, closed when the test ends.
func Connect(t testing.TB, address string) *Server {
	t.Helper()
	server, err := ConnectServer(address, "")
	if err != nil {
		t.Fatalf("mbtest.Connect: %v", err)
	}
	t.Cleanup(server.Close)
	return server
}

// The server a test binary shares: the first Shared (or Tenant) starts it, or connects when
// MOCKINGBIRD_GRPC or MOCKINGBIRD_READY_FILE names a running one; Main stops it.
var shared struct {
	once   sync.Once
	server *Server
	err    error
	opts   []Option
}

// Main runs the package's tests and then stops the shared server: `func TestMain(m *testing.M)
// { mbtest.Main(m) }`. The options are how the shared server is started.
func Main(m interface{ Run() int }, opts ...Option) {
	shared.opts = opts
	code := m.Run()
	if shared.server != nil {
		shared.server.Close()
	}
	os.Exit(code)
}

// Shared is the server this test binary shares (see Main).
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		if os.Getenv("MOCKINGBIRD_GRPC") != "" || os.Getenv("MOCKINGBIRD_READY_FILE") != "" {
			shared.server, shared.err = ConnectServer("", "")
		} else {
			shared.server, shared.err = StartServer(shared.opts...)
		}
	})
	if shared.err != nil {
		t.Fatalf("mbtest: the shared server: %v", shared.err)
	}
	return shared.server
}
