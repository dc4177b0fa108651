// Package digest owns the one way the project names content by its hash
// when it is made of several parts (set-up's step inputs, the cargo
// reference's cached runs): SHA-256 over each part's length and bytes, so
// no two different sequences of parts share a digest by concatenation.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Parts is the hex SHA-256 of parts, each prefixed by its length.
func Parts(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
