package main

import (
	"fmt"
	"os"
)

//go:wasmimport sandbox_harness key
func hKey(ptr uint32, n uint32) int32

//go:wasmimport sandbox_harness record
func hRecord(key uint32, ptr uint32, n uint32) int32

var keyBuf, otherKey [16]byte

func record(key *[16]byte, s string) int32 {
	copy(outBuf[:], s)
	return hRecord(addr(&key[0]), addr(&outBuf[0]), uint32(len(s)))
}

// recordsMode uses the record channel as the harness's code does
// ("honest"), or also as a stub's code might ("forge"): asking for the
// key again, writing with a guessed key, and passing hostile pointers.
func recordsMode() {
	fmt.Println("key", hKey(addr(&keyBuf[0]), 16))
	fmt.Println("record", record(&keyBuf, "first"), record(&keyBuf, "second"))
	if os.Args[2] != "forge" {
		return
	}
	fmt.Println("bad pointers", hKey(0xfffffff0, 16), hKey(addr(&otherKey[0]), 15), hRecord(addr(&keyBuf[0]), 0xfffffff0, 100), hRecord(0xffffffff, addr(&outBuf[0]), 1))
	fmt.Println("guessed key", record(&otherKey, "forged"))
	fmt.Println("key again", hKey(addr(&otherKey[0]), 16), otherKey == keyBuf)
	fmt.Println("still", record(&keyBuf, "third"))
}
