package classify

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestScrubEdges pins what Scrub does at edges no other test reached (its
// mutation run, 2026-12-02): an escape cut at the end of a value, digits
// in a credential's name, and an empty value that starts where the value
// around its name ends.
func TestScrubEdges(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// A value ending in "%2" or "%" (not "%26") runs to the end; the
		// look for "%26" never reads past the text.
		{"a value ending in %2", "Signature=abc%2", "Signature=[redacted]"},
		{"a value ending in %", "Signature=abc%", "Signature=[redacted]"},
		{"a value ending in %26", "Signature=abc%26", "Signature=[redacted]%26"},
		// Digits are part of a name, at its end or inside it.
		{"a name ending in 0", "token0=abc", "token0=[redacted]"},
		{"a name ending in 9", "token9=abc", "token9=[redacted]"},
		{"a name ending in digits", "AccessKeySecret2024=abc", "AccessKeySecret2024=[redacted]"},
		{"a name with a digit inside", "sts2token=abc", "sts2token=[redacted]"},
		// A credential's name at the end of the value just redacted, with
		// an empty value of its own right after it: that value gets its
		// own mark (one per value, empty or not).
		{"an empty nested value at the outer value's end", "Authorization=Signature=,x", "Authorization=[redacted][redacted],x"},
		{"an empty nested header value at the line's end", "Authorization: Token:\nx", "Authorization: [redacted][redacted]\nx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Scrub(tt.in))
		})
	}
}
