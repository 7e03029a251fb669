package policy

import (
	"fmt"
	"strconv"
	"time"

	"github.com/yunrt/yunrt/classify"
)

// Verdict is what to do after an attempt.
type Verdict uint8

const (
	Done   Verdict = iota // the request succeeded: return the response
	Retry                 // wait, then send the request again
	Resign                // re-sign with a fresh nonce and timestamp, send again at once
	Stop                  // return the last answer (or error) as it is
)

// String returns "done", "retry", "resign" or "stop".
func (v Verdict) String() string {
	switch v {
	case Done:
		return "done"
	case Retry:
		return "retry"
	case Resign:
		return "resign"
	}
	return "stop"
}

// MarshalText implements encoding.TextMarshaler.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Outcome is what one attempt produced, as far as the decision goes.
type Outcome struct {
	// Result classifies the answer. For a transport error with no answer
	// it holds only Class: Retryable when the request was not sent,
	// SideEffectUnknown when it was sent and no answer came.
	Result classify.Result
	// Kind is the action's kind under this policy (Policy.KindOf).
	Kind classify.Kind
	// Idempotent reports that the request carries an idempotency token
	// (classify.HasIdempotencyToken), which makes resending a write safe.
	Idempotent bool
	// NotSent reports a transport error that proves the request never
	// reached the server (dial error, connection refused).
	NotSent bool
	// Signed reports that yunrt signs this request itself, minting a fresh
	// nonce and timestamp for every attempt.
	Signed bool
	// Attempt is the number of attempts made so far, this one included.
	Attempt int
	// Resigned reports that an earlier attempt of this request was already
	// re-signed after a rejected nonce or timestamp.
	Resigned bool
	// Elapsed is the time since the first attempt started.
	Elapsed time.Duration
	// ForeignNonce reports that the request carries a signature nonce that
	// yunrt did not mint and cannot replace (an Aliyun request signed
	// elsewhere, and no signer): a resend would replay the nonce, be
	// refused as SignatureNonceUsed and hide the real answer.
	ForeignNonce bool
}

// Decision is a Verdict and the reason for it, in words fit for a trace.
type Decision struct {
	Verdict Verdict
	Reason  string
	// OutcomeUnknown reports a Stop on a write that the server may have
	// performed (side-effect-unknown, or SignatureNonceUsed on a request
	// yunrt did not sign): the caller must not assume it failed.
	OutcomeUnknown bool
}

// Decide applies the policy to one attempt's outcome. The rules:
//
//   - Success: Done.
//   - Permanent: Stop.
//   - Throttled: Retry (flow control proves nothing was done), except a
//     per-recipient limit (classify.ScopeRecipient), which stops at once
//     unless its window (Result.Hint) clears within MaxDelay and
//     MaxElapsed.
//   - Retryable: Retry a read, an idempotent write, a request that was
//     never sent, or a write the server refused before processing it
//     (HTTP 503, ServiceUnavailable). Any other write stops: a 500 or 502
//     on a send does not prove the message was not sent.
//   - SideEffectUnknown: Retry a read or an idempotent write; Stop a write.
//   - Resign: with a signer, re-sign and retry once. Without one, Stop.
//     A write (without an idempotency token) rejected for a used nonce
//     (SignatureNonceUsed) stops as side-effect-unknown, signer or not: a
//     128-bit random nonce does not collide, so the answer means a copy
//     of this very request reached the gateway before (something below
//     yunrt replayed it), and that copy may have been performed. A read
//     is re-signed and retried.
//
// A request that carries a nonce signed elsewhere (ForeignNonce) is never
// resent: the resend would be refused for its nonce.
//
// Whatever the class, no retry is made once MaxAttempts attempts were made
// or MaxElapsed has passed.
func (p Policy) Decide(o Outcome) Decision {
	if o.Result.Class == classify.Success {
		return Decision{Verdict: Done, Reason: "success"}
	}
	p = p.WithDefaults()
	what := subject(o.Result)
	d := p.byClass(o, what)
	if d.Verdict == Stop {
		return d // no bound makes a stop go on
	}
	return p.bounded(o, d, what)
}

// subject names a failed answer in a decision's reason: its code, else its
// status, else "transport error".
func subject(r classify.Result) string {
	switch {
	case r.Code != "":
		return r.Code
	case r.Status == 0:
		return "transport error"
	}
	return "HTTP " + strconv.Itoa(r.Status)
}

// byClass is the rule of the answer's class (Decide's list). A Retry or
// Resign it returns still goes through bounded.
func (p Policy) byClass(o Outcome, what string) Decision {
	switch o.Result.Class {
	case classify.Permanent:
		return Decision{Verdict: Stop, Reason: what + " is permanent"}
	case classify.Throttled:
		if o.Result.Scope == classify.ScopeRecipient {
			return recipientLimit(p, o, what)
		}
		return Decision{Verdict: Retry, Reason: what + " is flow control: nothing was done"}
	case classify.Retryable:
		return retryable(o, what)
	case classify.SideEffectUnknown:
		return sideEffectUnknown(o, what)
	case classify.Resign:
		return p.resign(o, what)
	}
	return Decision{Verdict: Stop, Reason: fmt.Sprintf("unknown class %v", o.Result.Class)}
}

// retryable is the rule of a Retryable answer: resent when that is safe.
func retryable(o Outcome, what string) Decision {
	switch {
	case o.NotSent:
		return Decision{Verdict: Retry, Reason: "the request was never sent"}
	case o.Kind == classify.Read:
		return Decision{Verdict: Retry, Reason: what + " on a read"}
	case o.Idempotent:
		return Decision{Verdict: Retry, Reason: what + " on a write with an idempotency token"}
	case Refused(o.Result):
		return Decision{Verdict: Retry, Reason: what + ": refused before processing"}
	}
	return Decision{Verdict: Stop, Reason: what + " on a write does not prove nothing was done"}
}

// sideEffectUnknown is the rule of an answer that may hide a performed
// request: only a read or an idempotent write is resent.
func sideEffectUnknown(o Outcome, what string) Decision {
	switch {
	case o.Kind == classify.Read:
		return Decision{Verdict: Retry, Reason: what + " on a read: outcome unknown, safe to repeat"}
	case o.Idempotent:
		return Decision{Verdict: Retry, Reason: what + " on a write with an idempotency token"}
	}
	return Decision{Verdict: Stop, Reason: what + ": the write may have been performed; not resent", OutcomeUnknown: true}
}

// resign is the rule of a rejected nonce or timestamp: re-signed once by
// yunrt's own signer, unless the nonce shows a copy of a write got
// through.
func (p Policy) resign(o Outcome, what string) Decision {
	switch {
	case NonceReplayed(o.Result) && o.Kind == classify.Write && !o.Idempotent:
		// A nonce yunrt mints never collides, and one signed elsewhere
		// was not replayed by the caller: a copy of this very request
		// reached the gateway before (a replay below yunrt).
		return Decision{Verdict: Stop, Reason: what + " on a write: a copy of this request reached the gateway before and may have been processed; not resent", OutcomeUnknown: true}
	case o.Signed && p.NoResign:
		return Decision{Verdict: Stop, Reason: what + ": re-signing is turned off"}
	case o.Signed && o.Resigned:
		return Decision{Verdict: Stop, Reason: what + " again after re-signing"}
	case o.Signed:
		return Decision{Verdict: Resign, Reason: what + ": fresh nonce and timestamp"}
	}
	return Decision{Verdict: Stop, Reason: what + ": the request was signed elsewhere; a signer would fix this"}
}

// bounded stops a retry or re-sign d that the request or the policy rules
// out: a nonce signed elsewhere, a class the policy does not retry,
// MaxAttempts, MaxElapsed.
func (p Policy) bounded(o Outcome, d Decision, what string) Decision {
	r := o.Result
	switch {
	case d.Verdict == Retry && o.ForeignNonce:
		return Decision{Verdict: Stop, Reason: what + "; but the request carries a nonce signed elsewhere, which a resend would replay (SignatureNonceUsed): a signer would allow the retry", OutcomeUnknown: unknownWrite(o)}
	case !p.Retries(r.Class):
		return Decision{Verdict: Stop, Reason: what + "; the policy does not retry " + r.Class.String(), OutcomeUnknown: unknownWrite(o)}
	case o.Attempt >= p.MaxAttempts:
		return Decision{Verdict: Stop, Reason: fmt.Sprintf("%s; %d attempts made", what, o.Attempt), OutcomeUnknown: unknownWrite(o)}
	case o.Elapsed >= p.MaxElapsed:
		return Decision{Verdict: Stop, Reason: fmt.Sprintf("%s; %v spent, MaxElapsed is %v", what, o.Elapsed.Round(time.Millisecond), p.MaxElapsed), OutcomeUnknown: unknownWrite(o)}
	}
	return d
}

// unknownWrite reports whether stopping on o leaves a write's outcome
// unknown.
func unknownWrite(o Outcome) bool {
	return o.Result.Class == classify.SideEffectUnknown && o.Kind == classify.Write
}

// Refused reports whether a failed answer proves the server refused the
// request before processing it, so that even a write may be resent: HTTP
// 503, 429 or 408, or the code ServiceUnavailable, or Tencent's
// InternalError.ConstructUserDataFail (it fails before anything is
// dispatched).
func Refused(r classify.Result) bool {
	switch r.Status {
	case 503, 429, 408:
		return true
	}
	switch r.Code {
	case "ServiceUnavailable":
		return true
	case "InternalError.ConstructUserDataFail":
		return r.Provider == classify.Tencent
	}
	return false
}

// recipientLimit decides on a per-recipient limit (one phone number, with
// a minute, hour or day window): it slows nothing down, and the request
// is handed back at once unless the window provably clears within the
// policy's bounds (Result.Hint holds the window the message names), in
// which case it is retried after the window.
func recipientLimit(p Policy, o Outcome, what string) Decision {
	w := o.Result.Hint
	switch {
	case w <= 0:
		return Decision{Verdict: Stop, Reason: what + " limits one recipient and names no window: handed back at once; other recipients are not limited"}
	case w > p.MaxDelay || o.Elapsed+w > p.MaxElapsed || o.Attempt >= p.MaxAttempts:
		return Decision{Verdict: Stop, Reason: fmt.Sprintf("%s limits one recipient for a %v window, past the policy's bounds: handed back at once; other recipients are not limited", what, w)}
	}
	return Decision{Verdict: Retry, Reason: fmt.Sprintf("%s limits one recipient: its %v window clears within the policy's bounds", what, w)}
}

// NonceReplayed reports whether an answer rejects a request for a nonce
// the gateway saw before: Aliyun's SignatureNonceUsed, API Gateway's
// "Nonce Used", Tencent API 2.0's 4500 (classify.NonceReplay).
func NonceReplayed(r classify.Result) bool {
	return classify.NonceReplay(r.Provider, r.Code)
}
