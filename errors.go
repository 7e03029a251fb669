package yunrt

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/redact"
)

// Sentinel errors. Test for them with errors.Is on the error RoundTrip
// returns.
var (
	// ErrOutcomeUnknown: a write's last attempt was sent and no answer
	// came (the connection was cut or timed out after the request was
	// written), or the answer said the outcome is unknown (Aliyun's 500
	// Timeout). The action may or may not have been performed. Without an
	// idempotency token yunrt did not send it again; with one it resent it
	// up to MaxAttempts, every copy carrying the token (the provider
	// performs a token once), and the last copy fared the same: sending it
	// again later with the same token is safe.
	ErrOutcomeUnknown = errors.New("yunrt: a write was sent and no answer came: its outcome is unknown")
	// ErrDeadline: the next attempt's wait would have ended past the
	// request context's deadline, so yunrt stopped early instead of
	// sleeping into it.
	ErrDeadline = errors.New("yunrt: the wait before the next attempt would pass the context deadline")
	// ErrBodyNotRewindable: a retry was needed but the request body could
	// not be produced again (GetBody failed).
	ErrBodyNotRewindable = errors.New("yunrt: the request body cannot be sent again")
	// ErrSign: the configured signer failed (its credentials provider
	// returned an error, or the request lacks what the scheme needs, such
	// as x-acs-action for ACS3). Nothing was sent.
	ErrSign = errors.New("yunrt: signing failed")
	// ErrBudgetExhausted: a retry was needed, the endpoint's retry budget
	// could not pay for it, and the last attempt left no answer to return.
	ErrBudgetExhausted = errors.New("yunrt: the endpoint's retry budget is spent")
	// ErrAttemptTimeout: an attempt ran past Policy.AttemptTimeout (or its
	// share of the deadline), counting from sending to the end of the
	// read-ahead of its answer. It is the attempt's own error, not the
	// caller's context.Canceled: the caller's context is still alive.
	ErrAttemptTimeout = errors.New("yunrt: the attempt timed out")
	// ErrReplayStopped: net/http (or a transport below it) started a second
	// copy of a write within one attempt, on a new connection or an HTTP/2
	// retry, after the first copy had gone out; yunrt stopped the copy before
	// any byte of it was written. It is also returned when a read's copies
	// pass the bound of 3 per attempt. The first copy may have been
	// performed: the error also wraps ErrOutcomeUnknown for a write.
	ErrReplayStopped = errors.New("yunrt: another copy of the request was stopped before it was written")
	// ErrBaseContract: the base transport broke the RoundTripper contract
	// by returning neither a response nor an error. The request may have
	// been sent.
	ErrBaseContract = errors.New("yunrt: the base transport returned no response and no error")
	// ErrBasePanic is reported to the observer (the attempt's and the
	// request's end) when the base transport panicked; the panic itself
	// goes on to the caller of RoundTrip. The request may have been sent.
	ErrBasePanic = errors.New("yunrt: the base transport panicked")
	// ErrBodyLength: the request body's length is not its declared
	// ContentLength (a producer that failed mid-body). Nothing was sent,
	// as net/http sends nothing either.
	ErrBodyLength = errors.New("yunrt: the request body's length is not its ContentLength")
	// ErrUnframedCut ends the reading of an answer's body framed by the
	// end of its connection (HTTP/1, no Content-Length, not chunked) and
	// declared JSON, when the connection ended inside the body's
	// top-level object or array: the body was cut, which net/http cannot
	// tell and reports as io.EOF. errors.Is(err, io.ErrUnexpectedEOF)
	// holds, as for a body cut short of its Content-Length.
	ErrUnframedCut = fmt.Errorf("yunrt: the connection closed inside a JSON answer framed by its end (no Content-Length, not chunked): %w", io.ErrUnexpectedEOF)
)

// errDrainTimeout ends the context of an attempt whose discarded body
// did not drain within drainTimeout.
var errDrainTimeout = errors.New("yunrt: draining a discarded response timed out")

// attemptError is a transport error of one attempt that ended for a reason
// of yunrt's own (the attempt timeout, a stopped copy): it unwraps to that
// reason only, so errors.Is(err, context.Canceled) is false while the
// caller's context is alive, and it keeps the base transport's text.
type attemptError struct {
	reason error // ErrAttemptTimeout or ErrReplayStopped
	base   error // what the base transport returned
}

func (e *attemptError) Error() string {
	if e.base == nil || errors.Is(e.base, e.reason) {
		return e.reason.Error()
	}
	return e.reason.Error() + " (" + e.base.Error() + ")"
}

func (e *attemptError) Unwrap() error { return e.reason }

// Timeout reports whether the attempt timed out, as net.Error's Timeout
// does (an *attemptError is not a net.Error: it has no Temporary; ask
// errors.As for an interface{ Timeout() bool }).
func (e *attemptError) Timeout() bool { return e.reason == ErrAttemptTimeout }

// ownCause replaces err, which ended an attempt whose context was
// cancelled with cause, by an *attemptError when the cause is yunrt's own.
func ownCause(err, cause error) error {
	if cause != ErrAttemptTimeout && cause != ErrReplayStopped {
		return err
	}
	return &attemptError{reason: cause, base: err}
}

// Error is returned by RoundTrip when no response is returned: the last
// attempt failed in transport, or yunrt stopped early (deadline,
// cancellation). It unwraps to the reason (one of the sentinels above, or
// the context's error) and to the underlying transport error, so both
// errors.Is(err, yunrt.ErrOutcomeUnknown) and
// errors.Is(err, syscall.ECONNRESET) work. Its text never holds
// credentials: the transport error's text has their values removed as
// spans' texts do, their names kept. The error it unwraps to is the base
// transport's own, except that a *url.Error in it (a base built on
// http.Client.Do names the signed URL) is a copy whose URL is scrubbed.
type Error struct {
	Provider classify.Provider
	Action   string
	// Attempts is the number of attempts made; the last one may have been
	// refused before sending (an open breaker, a rate-limit wait that would
	// pass the deadline), as Reason says.
	Attempts int
	// Last classifies the last answer received, when any attempt got one
	// (its Code and RequestID say what the server last said).
	Last *classify.Result
	// Reason is why yunrt stopped: ErrOutcomeUnknown, ErrDeadline,
	// ErrBodyNotRewindable, context.Canceled, context.DeadlineExceeded, or
	// nil when the transport error speaks for itself.
	Reason error
	// Err is the transport error of the last attempt sent, nil when that
	// attempt got an answer. When a later attempt was refused or a wait
	// ended the request (Reason says), Err is still that earlier error.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "yunrt: %s %s: ", e.Provider, e.Action)
	// The transport error's text may quote the signed request (a base
	// transport that dumps it): credentials are removed from it.
	switch {
	case e.Reason != nil && e.Err != nil:
		fmt.Fprintf(&b, "%v: %s", e.Reason, redact.ErrorValues(e.Err))
	case e.Reason != nil:
		fmt.Fprint(&b, e.Reason)
	case e.Err != nil:
		b.WriteString(redact.ErrorValues(e.Err))
	default:
		b.WriteString("failed")
	}
	fmt.Fprintf(&b, " (after %d attempt", e.Attempts)
	if e.Attempts != 1 {
		b.WriteByte('s')
	}
	if e.Last != nil {
		if e.Last.Code != "" {
			fmt.Fprintf(&b, "; last answer %s", e.Last.Code)
		} else {
			fmt.Fprintf(&b, "; last answer HTTP %d", e.Last.Status)
		}
		if e.Last.RequestID != "" {
			fmt.Fprintf(&b, ", request id %s", e.Last.RequestID)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// Unwrap returns the reason and the transport error.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Reason != nil {
		out = append(out, e.Reason)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// redactURLError returns err with the URL of a *url.Error in its chain (a
// base transport built on http.Client.Do reports the signed URL) stripped
// of credentials and signatures (classify.Scrub): its text never carries
// them.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	clean := classify.Scrub(ue.URL)
	if clean == ue.URL {
		return err
	}
	safe := &url.Error{Op: ue.Op, URL: clean, Err: ue.Err}
	if err == error(ue) {
		return safe
	}
	return &redactedError{text: strings.ReplaceAll(err.Error(), ue.URL, clean), err: safe}
}

// redactedError is an error chain whose text had a URL redacted; it
// unwraps to the redacted *url.Error.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }
