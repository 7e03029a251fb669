package yunrt

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestJSONFrameStringsAndScalars pins two rules of jsonFrame that the
// documents of TestJSONFrameEveryCut leave open: a bracket inside a string
// never counts, even one that would close the top-level object (a prefix
// that ends in such a string is cut; a frame that took the quote for
// nothing would see the object closed); and a text that does not start
// with an object or array stays opaque, whatever brackets follow (a frame
// that let a later '{' start the text would call it cut).
func TestJSONFrameStringsAndScalars(t *testing.T) {
	tests := []struct {
		name string
		text string
		cut  bool
	}{
		{"a closing brace inside a string", `{"m":"}`, true},
		{"closing brackets inside a string", `["]]]]`, true},
		{"the object closed after its string", `{"m":"}"}`, false},
		{"a string, then a brace", `"a {`, false},
		{"a number, then a bracket", `12 [`, false},
		{"XML with a brace", `<Error>{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, step := range []int{len(tt.text), 1} {
				var j jsonFrame
				for i := 0; i < len(tt.text); i += step {
					j.feed([]byte(tt.text[i:min(len(tt.text), i+step)]))
				}
				assert.Equal(t, tt.cut, j.cut(), "%q (step %d)", tt.text, step)
			}
		})
	}
}

// TestJSONFrameEnd pins end, the error a read of a close-delimited JSON
// body returns: it feeds the read's bytes first (the last piece can
// close the object), and turns only io.EOF into ErrUnframedCut, only for
// a cut text; any other error, and no error, pass as they are.
func TestJSONFrameEnd(t *testing.T) {
	other := errors.New("connection reset")
	tests := []struct {
		name   string
		before string // fed by earlier reads
		p      string // this read's bytes
		err    error
		want   error
	}{
		{"EOF inside the object", `{"a":`, `1`, io.EOF, ErrUnframedCut},
		{"EOF after the last piece closed it", `{"a":`, `1}`, io.EOF, io.EOF},
		{"EOF with a read that opens it", ``, `{"a":1`, io.EOF, ErrUnframedCut},
		{"EOF of a scalar", ``, `42`, io.EOF, io.EOF},
		{"EOF of nothing", ``, ``, io.EOF, io.EOF},
		{"another error inside the object", `{"a":`, `1`, other, other},
		{"no error inside the object", `{"a":`, `1`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var j jsonFrame
			j.feed([]byte(tt.before))
			assert.Equal(t, tt.want, j.end([]byte(tt.p), tt.err))
		})
	}
}
