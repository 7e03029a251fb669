package classify

import (
	"io"
)

// DefaultPeekLimit is the peek limit used when none is given: 16 KiB. No
// provider's error body comes near it; a 2xx body longer than the limit is
// a success body.
const DefaultPeekLimit = 16 << 10

// Peek reads up to limit bytes of body (fewer when contentLength, if not
// negative, says the body is shorter) and returns them together with a
// replacement body that yields exactly the bytes the original would have:
// the prefix first, then the rest of the original. Closing the replacement
// closes the original. truncated reports that the body may continue past
// the prefix.
//
// A read error while peeking is not returned: the prefix read so far is
// returned (truncated is true), and the replacement body yields the
// prefix, then the same error, on every later read. A body cut short
// (io.ErrUnexpectedEOF from net/http) thus stays cut at the same byte. Peek never reads more than
// limit bytes, so a huge body costs at most limit bytes of memory.
func Peek(body io.ReadCloser, contentLength int64, limit int) (prefix []byte, replaced io.ReadCloser, truncated bool) {
	if body == nil {
		return nil, nil, false
	}
	prefix, err, truncated := PeekPrefix(body, contentLength, limit)
	switch {
	case prefix == nil && err == nil:
		return nil, body, truncated
	case err == io.EOF:
		// The whole body is in prefix. The original stays open until the
		// replacement is closed, so its connection is released as usual.
		return prefix, &prefixBody{prefix: prefix, rest: eofReader{}, closer: body}, false
	case err != nil:
		// Cut or failed within the prefix: the replacement yields the
		// prefix, then the very error the original gave (a cut body stays
		// io.ErrUnexpectedEOF, never a clean EOF).
		return prefix, &prefixBody{prefix: prefix, rest: errReader{err}, closer: body}, true
	}
	return prefix, &prefixBody{prefix: prefix, rest: body, closer: body}, truncated
}

// PeekPrefix is Peek without the replacement body, for callers that build
// their own: it reads up to limit bytes of body (fewer when contentLength,
// if not negative, says the body is shorter) and returns them, with the
// error that ended the reading: io.EOF when the body ended within them
// (the prefix is the whole body), another error when the body failed or
// was cut (a reader of the body must see it after the prefix), nil when
// the body may go on. truncated reports that the body may continue past
// the prefix (or was cut).
func PeekPrefix(body io.Reader, contentLength int64, limit int) (prefix []byte, err error, truncated bool) {
	return PeekPrefixInto(nil, body, contentLength, limit)
}

// PeekPrefixInto is PeekPrefix reading into buf when the prefix can be
// that long (len(buf) ≥ the shorter of limit and contentLength), so that a
// caller with a buffer of its own allocates nothing. When the length is
// unknown (contentLength < 0) it reads into buf first, and allocates a
// buffer of the limit only when buf fills: a short answer without a length
// allocates nothing either. Otherwise it reads into a new buffer. The
// prefix returned may thus share buf's memory.
func PeekPrefixInto(buf []byte, body io.Reader, contentLength int64, limit int) (prefix []byte, err error, truncated bool) {
	return PeekPrefixGrow(buf, nil, body, contentLength, limit)
}

// PeekPrefixGrow is PeekPrefixInto taking the larger buffer, when buf is
// too short, from grow(n) instead of make([]byte, n): a caller may recycle
// its read-ahead buffers. grow is called at most once, and must return a
// slice of length n whose contents do not matter; nil grow makes one. The
// prefix returned then shares that slice's memory.
func PeekPrefixGrow(buf []byte, grow func(n int) []byte, body io.Reader, contentLength int64, limit int) (prefix []byte, err error, truncated bool) {
	if limit <= 0 {
		limit = DefaultPeekLimit
	}
	n := limit
	if contentLength >= 0 && contentLength < int64(n) {
		n = int(contentLength)
	}
	if grow == nil {
		grow = makeBuf
	}
	switch {
	case n == 0:
		return nil, nil, contentLength != 0
	case len(buf) >= n:
		buf = buf[:n]
	case len(buf) > 0 && contentLength < 0:
		got, err := readFull(body, buf)
		if err != nil {
			return peeked(buf[:got], err, contentLength)
		}
		more := grow(n)[:n] // buf is full: the body may go on
		copy(more, buf)
		m, err := readFull(body, more[got:])
		return peeked(more[:got+m], err, contentLength)
	default:
		buf = grow(n)[:n]
	}
	got, err := readFull(body, buf)
	return peeked(buf[:got], err, contentLength)
}

func makeBuf(n int) []byte { return make([]byte, n) }

// peeked is PeekPrefix's answer for a prefix read until err (nil: the
// prefix buffer filled).
func peeked(prefix []byte, err error, contentLength int64) ([]byte, error, bool) {
	switch {
	case err == io.EOF:
		return prefix, io.EOF, false
	case err != nil:
		return prefix, err, true
	}
	return prefix, nil, contentLength < 0 || contentLength > int64(len(prefix))
}

// readFull reads into buf until it is full or the reader fails, and
// returns the reader's own error: io.EOF for a clean end, whatever else it
// reported otherwise (io.ReadFull would turn both into
// io.ErrUnexpectedEOF).
func readFull(r io.Reader, buf []byte) (int, error) {
	n, empty := 0, 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty >= 100 { // as bufio does
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}

// errReader returns its error on every read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// prefixBody replays a peeked prefix, then reads on from the original.
type prefixBody struct {
	prefix []byte
	rest   io.Reader
	closer io.Closer
}

func (b *prefixBody) Read(p []byte) (int, error) {
	if len(b.prefix) > 0 {
		n := copy(p, b.prefix)
		b.prefix = b.prefix[n:]
		return n, nil
	}
	return b.rest.Read(p)
}

func (b *prefixBody) Close() error { return b.closer.Close() }
