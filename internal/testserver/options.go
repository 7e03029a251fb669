package testserver

import (
	"net/http"
	"sync/atomic"
	"time"
)

// config holds what Options set; see New for the defaults.
type config struct {
	keyFunc     func(r *http.Request, body []byte) string
	successBody func(action string) []byte
	clock       func() time.Time
	strict      *strictConfig
	seq         *atomic.Uint64 // numbers the attempts logged, in arrival order
}

// Option configures a Server in New.
type Option func(*config)

// WithKeyFunc replaces the function that names the logical request an
// attempt belongs to. It receives the request and its whole body (which it
// must not modify; nil for a body over MaxRequestBody) and may be called
// from many goroutines at once. A nil f keeps the default (see New).
func WithKeyFunc(f func(r *http.Request, body []byte) string) Option {
	return func(c *config) {
		if f != nil {
			c.keyFunc = f
		}
	}
}

// WithSuccessBody replaces the default success bodies. f receives the
// attempt's action (see Attempt.Action) and returns the body, sent with
// Content-Type application/json; it may be called from many goroutines at
// once. A nil f keeps the defaults (see New).
func WithSuccessBody(f func(action string) []byte) Option {
	return func(c *config) {
		if f != nil {
			c.successBody = f
		}
	}
}

// WithSequence numbers the attempts the server logs (Attempt.Seq) from
// seq, which servers may share: the attempts of several servers then sort
// into the order they arrived in, whatever their clocks say. The default is
// a counter of the server's own; a nil seq keeps it.
func WithSequence(seq *atomic.Uint64) Option {
	return func(c *config) {
		if seq != nil {
			c.seq = seq
		}
	}
}

// WithClock sets the server's clock, used for the Date header and
// Attempt.At. The default is time.Now; a nil f keeps it. f may be called
// from many goroutines at once.
func WithClock(f func() time.Time) Option {
	return func(c *config) {
		if f != nil {
			c.clock = f
		}
	}
}
