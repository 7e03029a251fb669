package yunrt

import (
	"log/slog"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/redact"
	"github.com/yunrt/yunrt/policy"
)

// The LogValue methods make the observer's event types log well through
// log/slog (slog.Any("request", info) logs a group), scrubbed as package
// otel scrubs spans: URLs have their credential parameters redacted, error
// texts and provider messages have credentials replaced by "[redacted]";
// headers are never logged. Zero and empty fields are left out.

// LogValue implements slog.LogValuer: provider, action, kind, method,
// host, url (credentials redacted) and signed.
func (r RequestInfo) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs, slog.String("provider", r.Provider.String()))
	attrs = appendString(attrs, "action", r.Action)
	attrs = append(attrs, slog.String("kind", r.Kind.String()))
	attrs = appendString(attrs, "method", r.Method)
	attrs = appendString(attrs, "host", r.Host)
	attrs = appendString(attrs, "url", redact.URL(r.URL))
	if r.Signed {
		attrs = append(attrs, slog.Bool("signed", true))
	}
	return slog.GroupValue(attrs...)
}

// LogValue implements slog.LogValuer: the attempt number, how far it got,
// what the answer said (class, status, code, request id, message) and its
// protocol ("HTTP/1.1", "HTTP/2.0"), the
// error, the decision and its reason, the delay before the next attempt,
// and the breaker, budget and signing facts when they apply (a clock skew
// applied, measured, or measured and rejected as implausible).
func (a Attempt) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.Int("n", a.N), slog.String("state", a.State.String()))
	switch a.State {
	case Answered:
		attrs = appendResult(attrs, a.Result)
		attrs = appendString(attrs, "protocol", a.Protocol)
	case Refused: // no class: nothing was sent
	default:
		attrs = append(attrs, slog.String("class", a.Result.Class.String()))
	}
	attrs = appendString(attrs, "error", redact.Error(a.Err))
	if a.Duration > 0 {
		attrs = append(attrs, slog.Duration("duration", a.Duration))
	}
	attrs = appendDecision(attrs, a.Decision)
	if a.Delay > 0 && a.Decision.Verdict == policy.Retry {
		attrs = append(attrs, slog.Duration("delay", a.Delay))
		attrs = appendString(attrs, "delay_source", a.DelaySource)
	}
	if a.Resigned {
		attrs = append(attrs, slog.Bool("resigned", true))
	}
	if a.ClockSkew != 0 {
		attrs = append(attrs, slog.Duration("clock_skew", a.ClockSkew))
	}
	if a.SkewMeasured != 0 {
		attrs = append(attrs, slog.Duration("skew_measured", a.SkewMeasured))
	}
	if a.SkewRejected != 0 {
		attrs = append(attrs, slog.Duration("skew_rejected", a.SkewRejected))
	}
	attrs = appendString(attrs, "breaker", a.Breaker)
	if a.RateWait > 0 {
		attrs = append(attrs, slog.Duration("rate_wait", a.RateWait))
	}
	if a.BudgetExhausted {
		attrs = append(attrs, slog.Bool("budget_exhausted", true))
	}
	return slog.GroupValue(attrs...)
}

// LogValue implements slog.LogValuer: the number of attempts, the answer
// returned (class, status, code, request id, message) or the error, the
// final decision and the time waited between attempts.
func (e End) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.Int("attempts", e.Attempts))
	if e.Err == nil {
		attrs = appendResult(attrs, e.Result)
	}
	attrs = appendString(attrs, "error", redact.Error(e.Err))
	attrs = appendDecision(attrs, e.Decision)
	if e.Waited > 0 {
		attrs = append(attrs, slog.Duration("waited", e.Waited))
	}
	return slog.GroupValue(attrs...)
}

func appendResult(attrs []slog.Attr, r classify.Result) []slog.Attr {
	attrs = append(attrs, slog.String("class", r.Class.String()))
	if r.Status > 0 {
		attrs = append(attrs, slog.Int("status", r.Status))
	}
	attrs = appendString(attrs, "code", r.Code)
	attrs = appendString(attrs, "request_id", r.RequestID)
	attrs = appendString(attrs, "host_id", r.HostID)
	return appendString(attrs, "message", redact.Text(r.Message))
}

func appendDecision(attrs []slog.Attr, d policy.Decision) []slog.Attr {
	attrs = append(attrs, slog.String("decision", d.Verdict.String()))
	attrs = appendString(attrs, "reason", redact.Text(d.Reason))
	if d.OutcomeUnknown {
		attrs = append(attrs, slog.Bool("outcome_unknown", true))
	}
	return attrs
}

func appendString(attrs []slog.Attr, key, v string) []slog.Attr {
	if v == "" {
		return attrs
	}
	return append(attrs, slog.String(key, v))
}
