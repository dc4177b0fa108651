package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/rocket-sandbox/rocket-sandbox/client"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// echoService stands in for the compile-and-run pipeline (which needs
// the jail and the prepared toolchain) behind the real HTTP server: it
// "runs" a stub by printing it. The e2e tests use the client against the
// real service.
type echoService struct{}

func (echoService) Execute(_ context.Context, req sandbox.Request) (sandbox.Response, error) {
	if err := req.Validate(sandbox.DefaultMaxStubBytes); err != nil {
		return sandbox.Response{}, err
	}
	exit := int32(0)
	return sandbox.Response{Status: outcome.StatusOK, Harness: req.Harness, Seed: "1",
		Compile: &sandbox.CompileReport{Success: true, Diagnostics: []outcome.Diagnostic{}},
		Run:     &sandbox.RunReport{ExitCode: &exit, Stdout: "ran: " + req.Stub}}, nil
}

func (e echoService) ExecuteEncodedObserved(ctx context.Context, req sandbox.Request, _ sandbox.Observer) (sandbox.Encoded, error) {
	return e.ExecuteEncoded(ctx, req)
}

func (echoService) Share(sandbox.Request) (string, error) { return "", errors.New("no shares here") }

func (echoService) Shared(string) (json.RawMessage, error) { return nil, errors.New("no shares here") }

func (echoService) Format(context.Context, sandbox.FormatRequest) (sandbox.FormatResponse, error) {
	return sandbox.FormatResponse{}, errors.New("no rustfmt here")
}

func (echoService) Clippy(context.Context, sandbox.Request) (sandbox.ClippyResponse, error) {
	return sandbox.ClippyResponse{}, errors.New("no clippy here")
}

func (e echoService) ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error) {
	resp, err := e.Execute(ctx, req)
	if err != nil {
		return sandbox.Encoded{}, err
	}
	return sandbox.EncodeAnswer(resp)
}

func (echoService) Recall(string) (sandbox.Encoded, bool) { return sandbox.Encoded{}, false }

func (echoService) Health() sandbox.Health { return sandbox.Health{Status: "ok"} }

func (echoService) Harnesses() []sandbox.HarnessInfo {
	return sandbox.HarnessInfos(harnesses.Default())
}

func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := server.New(server.Config{}, echoService{}, nil)
	go srv.Listener(ln)
	defer srv.Shutdown()
	port := ln.Addr().(*net.TCPAddr).Port

	ctx := context.Background()
	c := client.New("http://localhost:" + strconv.Itoa(port))
	resp, err := c.Execute(ctx, client.ExecuteRequest{Harness: "program", Stub: "fn main() {}"})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, resp.Run.Stdout)

	// A refusal is an *client.Error carrying the contract's Problem.
	_, err = c.Execute(ctx, client.ExecuteRequest{Harness: "program"})
	var refused *client.Error
	if errors.As(err, &refused) {
		fmt.Println(refused.HTTPStatus, refused.Problem.Status, refused.Problem.Field)
	}
	// Output:
	// ok ran: fn main() {}
	// 400 invalid_request stub
}
