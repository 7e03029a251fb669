package yunrt

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// An HTTP/1 answer without Content-Length and not chunked is framed by the
// end of its connection: a FIN in the middle of its body reads as its end,
// over TCP and over TLS alike (crypto/tls reads a FIN at a record boundary
// without close_notify as io.EOF, as popular servers need), so net/http
// hands over the cut body as complete. When such an answer is JSON, its
// own structure tells: yunrt follows the brackets of the body the caller
// reads, and a body that ends inside the top-level object or array ends
// with ErrUnframedCut instead of io.EOF.

// unframedJSON reports whether resp's body is framed by the end of its
// connection and declared JSON: only such a body's end is checked.
// net/http marks it so (ContentLength −1, no Transfer-Encoding, Close);
// a body it decompressed is checked by gzip's own trailer.
func unframedJSON(resp *http.Response) bool {
	if resp.ProtoMajor != 1 || resp.ContentLength >= 0 || len(resp.TransferEncoding) > 0 || !resp.Close || resp.Uncompressed {
		return false
	}
	var ct string
	if v := resp.Header["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	mt, _, _ := strings.Cut(ct, ";")
	return containsFold(strings.TrimSpace(mt), "json")
}

// jsonFrame follows the top-level brackets of a JSON text fed to it in
// pieces. It tells a text that ended inside its top-level object or array
// (cut) from one that closed it; a text that is not an object or array
// (a scalar, not JSON at all) is never called cut: nothing can be told.
// Its state is a few words whatever the text's length or depth.
type jsonFrame struct {
	depth    int64 // open objects and arrays
	started  bool  // the first byte other than white space was seen
	inString bool
	escape   bool
	opaque   bool // not an object or array: nothing to tell
}

// feed follows p, the next bytes of the text.
func (j *jsonFrame) feed(p []byte) {
	for i := 0; i < len(p) && !j.opaque; i++ {
		if j.inString {
			i = j.skipString(p, i) // the last byte of the string in p, or of p
			continue
		}
		switch c := p[i]; {
		case !j.started:
			j.start(c)
		case c == '"':
			j.inString = true
		case c == '{' || c == '[':
			j.depth++
		case c == '}' || c == ']':
			j.depth--
		}
	}
}

// skipString follows a string from p[i] on, a quote at a time (most of
// an answer's bytes are in strings), and returns the index of the quote
// that ends it, or of the last byte of p.
func (j *jsonFrame) skipString(p []byte, i int) int {
	if j.escape { // p[i] was escaped by the last byte of the previous piece
		j.escape = false
		i++
	}
	for i < len(p) {
		q := bytes.IndexByte(p[i:], '"')
		if q < 0 {
			j.escape = oddBackslashes(p[i:])
			return len(p) - 1
		}
		q += i
		if !oddBackslashes(p[i:q]) {
			j.inString = false
			return q
		}
		i = q + 1 // an escaped quote
	}
	return len(p) - 1
}

// oddBackslashes reports whether b ends in an odd run of backslashes
// (which escapes the byte after it).
func oddBackslashes(b []byte) bool {
	n := 0
	for k := len(b) - 1; k >= 0 && b[k] == '\\'; k-- {
		n++
	}
	return n%2 == 1
}

// start takes the first byte of the text other than white space (and a
// byte order mark).
func (j *jsonFrame) start(c byte) {
	switch c {
	case ' ', '\t', '\r', '\n', 0xef, 0xbb, 0xbf:
	case '{', '[':
		j.started, j.depth = true, 1
	default:
		j.opaque = true
	}
}

// cut reports whether the text fed so far, taken as the whole text, ends
// inside its top-level object or array.
func (j *jsonFrame) cut() bool {
	return j.started && !j.opaque && j.depth > 0
}

// end is the error a read of the body returns after feeding its bytes:
// io.EOF becomes ErrUnframedCut for a cut text.
func (j *jsonFrame) end(p []byte, err error) error {
	j.feed(p)
	if err == io.EOF && j.cut() {
		return ErrUnframedCut
	}
	return err
}
