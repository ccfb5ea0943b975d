package app_test

// Helpers for the tests that run the real `cognate serve` binary as separate
// processes: several replicas on one PostgreSQL schema, SIGKILL in the middle
// of a load, SIGTERM with requests in flight. What these tests check (two
// processes racing, a process dying between a commit and its answer, the
// signal handling in cmd/cognate) cannot be seen with app.Open in the test's
// own process.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// cognateBin is the binary built once per test run (see cognateBinary).
var cognateBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cognateBin.dir != "" {
		_ = os.RemoveAll(cognateBin.dir)
	}
	os.Exit(code)
}

// cognateBinary builds ./cmd/cognate (without -race: the processes under
// test are the real thing, and the race detector would slow them several
// times over) once per test run and returns its path. Tests that need it are
// skipped with -short.
func cognateBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building and running the cognate binary")
	}
	cognateBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "cognate-bin-")
		if err != nil {
			cognateBin.err = err
			return
		}
		cognateBin.dir = dir
		out := filepath.Join(dir, "cognate")
		cmd := exec.Command("go", "build", "-o", out, "github.com/cognate-dev/cognate/cmd/cognate")
		if b, err := cmd.CombinedOutput(); err != nil {
			cognateBin.err = fmt.Errorf("go build ./cmd/cognate: %v\n%s", err, b)
			return
		}
		cognateBin.path = out
	})
	if cognateBin.err != nil {
		t.Fatal(cognateBin.err)
	}
	return cognateBin.path
}

// procConfig is how to run one `cognate serve`.
type procConfig struct {
	// addr is the listen address; "" picks a free loopback port.
	addr string
	// publicURL is --public-url; "" means http://<addr>.
	publicURL string
	// data is --data (the SQLite file's directory); "" means a temp dir.
	data string
	// env is added to the base environment (master key, admin credentials).
	env []string
}

// proc is one `cognate serve` process. restart runs the same configuration
// again (same address, data directory and environment).
type proc struct {
	t   *testing.T
	bin string
	cfg procConfig
	url string // http://<addr>

	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done closes
	http *http.Client  // fresh per process run: no keep-alive to a dead one
}

// freeAddr returns a loopback address with a port that was free a moment
// ago (the process under test binds it itself).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// procEnv is the environment of every process: the caller's without any
// COGNATE_* variable, then a fixed master key and the admin credentials of
// the in-process tests, then extra.
func procEnv(extra []string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COGNATE_") {
			out = append(out, kv)
		}
	}
	out = append(out,
		"COGNATE_MASTER_KEY="+hex.EncodeToString(masterKey()),
		"COGNATE_ADMIN_ACCESS_KEY_ID="+adminID,
		"COGNATE_ADMIN_SECRET_ACCESS_KEY="+adminSecret,
	)
	return append(out, extra...)
}

// launchProc starts a process without waiting for it to serve. The process
// is killed when the test ends, if it still runs.
func launchProc(t *testing.T, cfg procConfig) *proc {
	t.Helper()
	if cfg.addr == "" {
		cfg.addr = freeAddr(t)
	}
	if cfg.publicURL == "" {
		cfg.publicURL = "http://" + cfg.addr
	}
	if cfg.data == "" {
		cfg.data = t.TempDir()
	}
	p := &proc{t: t, bin: cognateBinary(t), cfg: cfg, url: "http://" + cfg.addr}
	p.run()
	t.Cleanup(func() {
		if p.running() {
			p.kill()
		}
	})
	return p
}

// startProc is launchProc, then waits until the process serves /healthz.
func startProc(t *testing.T, cfg procConfig) *proc {
	t.Helper()
	p := launchProc(t, cfg)
	p.waitHealthy(30 * time.Second)
	return p
}

func (p *proc) run() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "serve", "--addr", p.cfg.addr, "--public-url", p.cfg.publicURL, "--data", p.cfg.data)
	p.cmd.Env = procEnv(p.cfg.env)
	p.logs = &lockedBuffer{}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start cognate: %v", err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		p.err = cmd.Wait()
		close(done)
	}(p.cmd, p.done)
	p.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// waitHealthy waits until GET /healthz answers 200, failing the test if the
// process exits or timeout passes first.
func (p *proc) waitHealthy(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := p.http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("cognate on %s exited before serving (%v):\n%s", p.cfg.addr, p.err, p.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("cognate on %s not healthy after %v:\n%s", p.cfg.addr, timeout, p.logs)
		}
	}
}

// signal sends sig to the process.
func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("cognate on %s still running after %v:\n%s", p.cfg.addr, timeout, p.logs)
	}
	p.http.CloseIdleConnections()
	return p.cmd.ProcessState.ExitCode()
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
	p.wait(10 * time.Second)
}

// restart runs the process again with the same configuration and waits for
// it to serve; the previous run must have exited.
func (p *proc) restart() {
	p.t.Helper()
	if p.running() {
		p.t.Fatal("restart: the process still runs")
	}
	p.run()
	p.waitHealthy(30 * time.Second)
}

// awsConfig is the SDK configuration for admin calls to this process.
func (p *proc) awsConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(adminID, adminSecret, ""),
		HTTPClient:       p.http,
		RetryMaxAttempts: 1,
	}
}

func (p *proc) ci() *ci.Client {
	return ci.NewFromConfig(p.awsConfig(), func(o *ci.Options) { o.BaseEndpoint = aws.String(p.url) })
}

func (p *proc) idp() *idp.Client {
	return idp.NewFromConfig(p.awsConfig(), func(o *idp.Options) { o.BaseEndpoint = aws.String(p.url) })
}

func (p *proc) iam() *iam.Client {
	return iam.NewFromConfig(p.awsConfig(), func(o *iam.Options) { o.BaseEndpoint = aws.String(p.url) })
}

// env is an *env (the in-process tests' helper) whose SDK clients talk to
// this process, so setup, signIn and getID work unchanged. Its url is the
// public URL, the base of the Logins key setup derives. Only the
// client-side helpers work: it has no app and no httptest server.
func (p *proc) env(t *testing.T) *env {
	return &env{t: t, url: p.cfg.publicURL, idp: p.idp(), ci: p.ci(), iam: p.iam()}
}

// native sends a native API call (/v1/...) signed with the admin
// credentials (SigV4 service "cognate") and returns the status and body.
func (p *proc) native(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: adminID, SecretAccessKey: adminSecret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cognate", "us-east-1", time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// get is an unsigned GET of path.
func (p *proc) get(path string) (int, []byte, error) {
	resp, err := p.http.Get(p.url + path)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}
