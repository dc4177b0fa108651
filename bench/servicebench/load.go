package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// load is a minimal HTTP/1.1 load generator in the manner of wrk (the
// issue's first measure was `wrk -t2 -c16`): each of clients keep-alive
// connections sends one prebuilt request, reads the status line, the
// headers and the Content-Length body, and sends it again, for d. It
// costs the shared 2 cores far less per request than net/http's client,
// so a throughput ratio says more about the service than about the
// client. It returns the responses per second and their number; any
// answer but 200 is an error.
func load(addr string, request []byte, clients int, d time.Duration) (float64, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var n atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loadConn(ctx, addr, request, &n); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, 0, err
	}
	return float64(n.Load()) / elapsed.Seconds(), int(n.Load()), nil
}

func loadConn(ctx context.Context, addr string, request []byte, n *atomic.Int64) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 64<<10)
	for ctx.Err() == nil {
		if _, err := conn.Write(request); err != nil {
			return err
		}
		if err := readResponse(r); err != nil {
			return err
		}
		n.Add(1)
	}
	return nil
}

// readResponse reads one response of a fixed length and discards it;
// anything but 200 is an error.
func readResponse(r *bufio.Reader) error {
	status, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("answer %q", bytes.TrimSpace(status))
	}
	length := -1
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return fmt.Errorf("Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return fmt.Errorf("an answer without Content-Length")
	}
	_, err = r.Discard(length)
	return err
}

// rawPost and rawGet are the prebuilt requests load sends.
func rawPost(host, path string, body []byte) []byte {
	return append([]byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, host, len(body))), body...)
}

func rawGet(host, path string) []byte {
	return []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host))
}

// pairedRates measures two requests' throughput in alternating rounds
// (a, b, b, a, a, b, ...) of round each for total, so that both see the
// same machine: the shared cores' load drifts over seconds, and a ratio
// of two runs minutes apart measures the drift too.
func pairedRates(addr string, a, b []byte, clients int, total, round time.Duration) (rateA, rateB float64, err error) {
	var nA, nB int
	var tA, tB time.Duration
	for i := 0; time.Duration(i)*round < total; i++ {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		for _, req := range [][]byte{first, second} {
			start := time.Now()
			_, n, err := load(addr, req, clients, round/2)
			if err != nil {
				return 0, 0, err
			}
			if bytes.Equal(req, a) {
				nA, tA = nA+n, tA+time.Since(start)
			} else {
				nB, tB = nB+n, tB+time.Since(start)
			}
		}
	}
	return float64(nA) / tA.Seconds(), float64(nB) / tB.Seconds(), nil
}
