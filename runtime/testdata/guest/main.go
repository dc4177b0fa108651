// Command guest is a wasip1 test program for package runtime. Its first
// argument picks the behaviour under test.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

// runs counts the runs this instance has made (mode count).
var runs int

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: guest MODE [ARG]")
		os.Exit(64)
	}
	arg := ""
	if len(os.Args) > 2 {
		arg = os.Args[2]
	}
	switch os.Args[1] {
	case "count":
		// A run that found the state of an earlier one would print more
		// than 1: each run must be a fresh instance.
		runs++
		fmt.Println("runs", runs)
	case "hello":
		fmt.Println("hello, world")
		fmt.Fprintln(os.Stderr, "to stderr")
	case "args":
		fmt.Println(strings.Join(os.Args, "|"))
	case "exit":
		code, _ := strconv.Atoi(arg)
		fmt.Println("exiting")
		os.Exit(code)
	case "stdin":
		in, err := io.ReadAll(os.Stdin)
		if err != nil {
			panic(err)
		}
		fmt.Printf("stdin=%q\n", in)
	case "loop":
		fmt.Println("looping")
		for i := 0; ; i++ {
			_ = i
		}
	case "alloc":
		mib, _ := strconv.Atoi(arg)
		var keep [][]byte
		for i := 0; i < mib; i++ {
			b := make([]byte, 1<<20)
			// Touch every page: the host maps guest memory without
			// reserving it, so only written pages cost the host memory
			// (and count against a worker's cgroup).
			for k := 0; k < len(b); k += 4096 {
				b[k] = 1
			}
			b[len(b)-1] = 1
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep), "MiB")
	case "spam":
		line := []byte(strings.Repeat("x", 99) + "\n")
		for {
			os.Stdout.Write(line)
		}
	case "spamerr":
		for {
			fmt.Fprintln(os.Stderr, "error line")
		}
	case "walltime":
		fmt.Println(time.Now().UTC().Format(time.RFC3339Nano))
		fmt.Println(time.Now().Unix())
	case "sleep":
		start := time.Now()
		time.Sleep(time.Hour)
		timer := time.After(90 * time.Minute)
		<-timer
		fmt.Println(time.Since(start).Nanoseconds())
	case "rand":
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		fmt.Println(hex.EncodeToString(b))
		fmt.Println(mrand.Uint64())
	case "world":
		fmt.Println("env", len(os.Environ()), os.Environ())
		_, err := os.ReadDir("/")
		fmt.Println("readdir", err != nil)
		_, err = os.Open("/etc/passwd")
		fmt.Println("open", err != nil)
		_, err = os.Open(".")
		fmt.Println("opencwd", err != nil)
		err = os.WriteFile("/tmp/x", []byte("x"), 0o600)
		fmt.Println("write", err != nil)
	case "busy":
		// A bit of everything that could leak nondeterminism: map order,
		// goroutines and channels, timers, randomness, clocks.
		m := map[int]int{}
		for i := 0; i < 100; i++ {
			m[i] = i * i
		}
		for k := range m {
			fmt.Print(k, " ")
		}
		fmt.Println()
		ch := make(chan int)
		for i := 0; i < 4; i++ {
			go func(i int) {
				time.Sleep(time.Duration(4-i) * time.Millisecond)
				ch <- i
			}(i)
		}
		for i := 0; i < 4; i++ {
			fmt.Print(<-ch, " ")
		}
		fmt.Println()
		start := time.Now()
		fmt.Println(mrand.Int(), time.Since(start))
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(64)
	}
}
