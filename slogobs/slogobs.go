// Package slogobs is a yunrt.Observer that logs what the transport does
// through log/slog: every failed attempt and failed request at Warn
// (retries included, so a retry storm shows at the default level),
// successes at Debug, circuit breaker changes at Warn (to open) or Info.
//
//	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
//	client := &http.Client{Transport: yunrt.New(nil,
//		yunrt.WithObserver(slogobs.New(logger)),
//	)}
//
// With package otel's observer as well, combine them with otel.Multi;
// the context every call logs with then carries the request's span, for
// a handler that adds trace ids.
//
// # What a line holds
//
// Every line has the attribute "request" (yunrt.RequestInfo's LogValue:
// provider, action, kind, method, host, url). Attempt lines add "attempt"
// (yunrt.Attempt's LogValue: number, send state, class, status, code,
// request id, error, decision, reason, delay, …), request lines add "end"
// (yunrt.End's LogValue), and failures add "error.type", the value package
// otel puts on spans (a provider code, an HTTP status, or an identifier
// such as breaker_open or outcome_unknown; codes are not bounded here).
// The messages are fixed (see the Msg constants), so lines can be counted.
//
// Everything is scrubbed as package otel scrubs spans: URLs have their
// credential parameters redacted, error texts and provider messages have
// credentials replaced by "[redacted]", and headers are never logged.
package slogobs

import (
	"context"
	"log/slog"
	"strconv"
	"sync"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/errtype"
	"github.com/yunrt/yunrt/policy"
)

// The messages of the lines the Observer logs.
const (
	// MsgRetry: an attempt failed and yunrt sends the request again
	// (Warn).
	MsgRetry = "yunrt retry"
	// MsgAttemptFailed: an attempt failed and yunrt stops (Warn).
	MsgAttemptFailed = "yunrt attempt failed"
	// MsgAttempt: an attempt succeeded (Debug).
	MsgAttempt = "yunrt attempt"
	// MsgRequestFailed: a request ended without success: an error, a
	// failed answer returned, or an unknown outcome (Warn).
	MsgRequestFailed = "yunrt request failed"
	// MsgRequest: a request succeeded (Debug).
	MsgRequest = "yunrt request"
	// MsgBreaker: a circuit breaker changed state (Warn when it opens,
	// Info otherwise).
	MsgBreaker = "yunrt breaker"
)

// Observer logs the transport's requests and attempts. Create it with
// New. It is safe for concurrent use when its logger's handler is (the
// handlers of log/slog are); it keeps no state.
type Observer struct {
	yunrt.NopObserver // methods yunrt adds later do nothing
	logger            *slog.Logger
}

var _ yunrt.Observer = (*Observer)(nil)

// New returns an Observer that logs to logger; a nil logger means
// slog.Default() as it is when a line is logged.
func New(logger *slog.Logger) *Observer {
	return &Observer{logger: logger}
}

func (o *Observer) log() *slog.Logger {
	if o.logger != nil {
		return o.logger
	}
	return slog.Default()
}

// lastKey carries a request's *lastAttempt in its context.
type lastKey struct{}

// lastAttempt is the send state of a request's last attempt that ended:
// a request that ends with an error has its error.type.
type lastAttempt struct {
	mu    sync.Mutex
	state yunrt.SendState
}

// RequestStart implements yunrt.Observer: it returns a context that
// carries the request's last attempt state (a request that ends with a
// transport error has the error.type of its last attempt).
func (o *Observer) RequestStart(ctx context.Context, _ yunrt.RequestInfo) context.Context {
	return context.WithValue(ctx, lastKey{}, &lastAttempt{state: yunrt.NotSent})
}

// AttemptEnd implements yunrt.Observer: a failed attempt at Warn
// (MsgRetry or MsgAttemptFailed), a successful one at Debug.
func (o *Observer) AttemptEnd(ctx context.Context, info yunrt.RequestInfo, a yunrt.Attempt) {
	if la, ok := ctx.Value(lastKey{}).(*lastAttempt); ok {
		la.mu.Lock()
		la.state = a.State
		la.mu.Unlock()
	}
	l := o.log()
	typ := attemptType(ctx, a)
	if typ == "" {
		if l.Enabled(ctx, slog.LevelDebug) {
			l.LogAttrs(ctx, slog.LevelDebug, MsgAttempt, slog.Any("request", info), slog.Any("attempt", a))
		}
		return
	}
	msg := MsgAttemptFailed
	if v := a.Decision.Verdict; v == policy.Retry || v == policy.Resign {
		msg = MsgRetry
	}
	l.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("error.type", typ),
		slog.Any("request", info), slog.Any("attempt", a))
}

// RequestEnd implements yunrt.Observer: a request that ended without
// success at Warn (MsgRequestFailed), a successful one at Debug.
func (o *Observer) RequestEnd(ctx context.Context, info yunrt.RequestInfo, end yunrt.End) {
	l := o.log()
	typ := requestType(ctx, end)
	if typ == "" {
		if l.Enabled(ctx, slog.LevelDebug) {
			l.LogAttrs(ctx, slog.LevelDebug, MsgRequest, slog.Any("request", info), slog.Any("end", end))
		}
		return
	}
	l.LogAttrs(ctx, slog.LevelWarn, MsgRequestFailed, slog.String("error.type", typ),
		slog.Any("request", info), slog.Any("end", end))
}

// BreakerChange implements yunrt.Observer: Warn when a breaker opens,
// Info for its other changes.
func (o *Observer) BreakerChange(c yunrt.BreakerChange) {
	level := slog.LevelInfo
	if c.To == "open" {
		level = slog.LevelWarn
	}
	o.log().LogAttrs(context.Background(), level, MsgBreaker, slog.String("provider", c.Provider.String()),
		slog.String("name", c.Name), slog.String("from", c.From), slog.String("to", c.To))
}

// attemptType is an attempt's error.type, "" for a success.
func attemptType(ctx context.Context, a yunrt.Attempt) string {
	if a.State != yunrt.Answered || a.Err != nil {
		return errtype.Of(ctx, a.Err, a.State)
	}
	return resultType(a.Result)
}

// requestType is a request's error.type, "" for a success.
func requestType(ctx context.Context, end yunrt.End) string {
	switch {
	case end.Decision.OutcomeUnknown:
		return errtype.OutcomeUnknown
	case end.Err != nil:
		return errtype.Of(ctx, end.Err, lastState(ctx))
	}
	return resultType(end.Result)
}

// lastState is the send state of the request's last attempt (NotSent
// when none ended, or when it was answered and the request still ended
// with an error).
func lastState(ctx context.Context) yunrt.SendState {
	la, ok := ctx.Value(lastKey{}).(*lastAttempt)
	if !ok {
		return yunrt.NotSent
	}
	la.mu.Lock()
	defer la.mu.Unlock()
	if la.state == yunrt.Answered {
		return yunrt.NotSent
	}
	return la.state
}

// resultType is an answer's error.type, as package otel records it (but
// for unknown codes, which are not bounded here).
func resultType(r classify.Result) string {
	switch {
	case !r.Failed():
		return ""
	case r.Code != "" && r.Source != classify.FromStatus:
		return r.Code
	case r.Status > 0:
		return strconv.Itoa(r.Status)
	}
	return r.Class.String()
}
