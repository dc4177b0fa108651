// Command vsockguest exercises the sandbox_vsock host module the way a guest
// web server would. Its first argument picks the behaviour under test.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

//go:wasmimport sandbox_vsock accept
func vsAccept() int32

//go:wasmimport sandbox_vsock recv
func vsRecv(conn int32, ptr uint32, n uint32) int32

//go:wasmimport sandbox_vsock send
func vsSend(conn int32, ptr uint32, n uint32) int32

//go:wasmimport sandbox_vsock close
func vsClose(conn int32) int32

// Buffers are globals so that their addresses never move.
var (
	inBuf  [7]byte // small, so requests arrive in several pieces
	outBuf [4096]byte
)

func addr(p *byte) uint32 { return uint32(uintptr(unsafe.Pointer(p))) }

func recvAll(conn int32) ([]byte, int32) {
	var got []byte
	for {
		n := vsRecv(conn, addr(&inBuf[0]), uint32(len(inBuf)))
		if n <= 0 {
			return got, n
		}
		got = append(got, inBuf[:n]...)
	}
}

func send(conn int32, b []byte) int32 {
	copy(outBuf[:], b)
	return vsSend(conn, addr(&outBuf[0]), uint32(len(b)))
}

func main() {
	switch os.Args[1] {
	case "echo":
		// Uppercases each request back, then reports the accept result that
		// ended the loop.
		n := 0
		for {
			c := vsAccept()
			if c < 0 {
				fmt.Println("accept", c, "after", n)
				return
			}
			req, end := recvAll(c)
			fmt.Printf("conn %d got %q end %d\n", c, req, end)
			if r := send(c, bytes.ToUpper(req)); r != int32(len(req)) {
				fmt.Println("send returned", r)
			}
			fmt.Println("close", vsClose(c), "recv after close", vsRecv(c, addr(&inBuf[0]), 1))
			n++
		}
	case "hook":
		// With a completion hook: recv says "would block" until the response
		// is complete, then EOF.
		c := vsAccept()
		req, end := recvAll(c)
		fmt.Printf("got %q end %d\n", req, end)
		send(c, []byte("partial "))
		_, end = recvAll(c)
		fmt.Println("after partial", end)
		send(c, []byte("DONE"))
		_, end = recvAll(c)
		fmt.Println("after done", end)
		vsClose(c)
	case "hostile":
		c := vsAccept()
		p := addr(&inBuf[0])
		fmt.Println("recv unknown", vsRecv(c+1, p, 1), vsRecv(-5, p, 1))
		fmt.Println("recv oob", vsRecv(c, 0xfffffff0, 100), vsRecv(c, 0, 0xffffffff), vsRecv(c, 0x7fffffff, 0x7fffffff))
		fmt.Println("recv zero", vsRecv(c, p, 0), vsRecv(c, 0xffffffff, 0))
		fmt.Println("send oob", vsSend(c, 0xffffffff, 2), vsSend(c, 16, 0x80000000))
		fmt.Println("send unknown", vsSend(99, p, 1))
		fmt.Println("close unknown", vsClose(99), vsClose(-1))
		fmt.Println("send ok", send(c, []byte("ok")))
		fmt.Println("close", vsClose(c), vsClose(c), "send closed", send(c, []byte("late")))
		fmt.Println("accept again", vsAccept())
	case "dribble":
		// Sends its response a byte at a time, polling recv after each
		// byte, as a server streaming a response while watching its
		// connection does.
		n, _ := strconv.Atoi(os.Args[2])
		c := vsAccept()
		recvAll(c)
		all := true
		for range n {
			send(c, []byte("z"))
			if vsRecv(c, addr(&inBuf[0]), uint32(len(inBuf))) != -1 {
				all = false
			}
		}
		fmt.Println("polls", n, map[bool]string{true: "all -1", false: "not all -1"}[all])
		vsClose(c)
	case "records":
		recordsMode()
	case "flood":
		c := vsAccept()
		chunk := bytes.Repeat([]byte("y"), 1000)
		for {
			send(c, chunk)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(64)
	}
}
