package yunrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// TestAttemptErrorText pins the text of an attempt's own error: the
// reason alone when the base transport said nothing (a read-ahead that
// timed out has no base error) or said the reason itself, else the reason
// followed by the base transport's text in parentheses.
func TestAttemptErrorText(t *testing.T) {
	baseErr := errors.New("read tcp 10.0.0.1:443: use of closed network connection")
	tests := []struct {
		name string
		err  *attemptError
		want string
	}{
		{"no base error", &attemptError{reason: ErrAttemptTimeout}, ErrAttemptTimeout.Error()},
		{"base error of its own", &attemptError{reason: ErrAttemptTimeout, base: baseErr},
			ErrAttemptTimeout.Error() + " (" + baseErr.Error() + ")"},
		{"base error wrapping the reason", &attemptError{reason: ErrReplayStopped, base: fmt.Errorf("http2: %w", ErrReplayStopped)},
			ErrReplayStopped.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			require.NotPanics(t, func() { got = tt.err.Error() })
			assert.Equal(t, tt.want, got)
		})
	}
}

// timeouter is the part of net.Error a caller asks of a transport error.
type timeouter interface{ Timeout() bool }

// TestAttemptErrorTimeout pins Timeout, the method of net.Error a caller
// asks: true for an attempt that timed out, false for a stopped copy.
func TestAttemptErrorTimeout(t *testing.T) {
	for _, tt := range []struct {
		reason error
		want   bool
	}{
		{ErrAttemptTimeout, true},
		{ErrReplayStopped, false},
	} {
		var te timeouter = &attemptError{reason: tt.reason}
		assert.Equal(t, tt.want, te.Timeout(), "%v", tt.reason)
	}
}

// TestAttemptTimeoutNotCanceled pins ownCause on a real attempt timeout: a
// base transport that returns its context's plain context.Canceled when
// the attempt timer ends it yields an error that matches
// ErrAttemptTimeout, holds a Timeout method that says true, and does not
// match context.Canceled, as the caller's context is alive (README
// "Errors").
func TestAttemptTimeoutNotCanceled(t *testing.T) {
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done() // the attempt timer fired
		return nil, r.Context().Err()
	})
	tr := New(base, WithHost("api.example", classify.Tencent),
		WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1, AttemptTimeout: time.Millisecond}))
	_, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrAttemptTimeout)
	assert.NotErrorIs(t, err, context.Canceled, "the caller's context is alive")
	var te timeouter
	require.ErrorAs(t, err, &te)
	assert.True(t, te.Timeout())
	assert.Contains(t, err.Error(), ErrAttemptTimeout.Error()+" (context canceled)")
}

// TestErrorTextLastAnswer pins how Error's text names the last answer: by
// its code when it has one, else by its HTTP status, with its request id
// when there is one; and one attempt is "attempt", not "attempts".
func TestErrorTextLastAnswer(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"status only", &Error{Provider: classify.Baidu, Action: "GET /v1/x", Attempts: 3, Reason: ErrBudgetExhausted,
			Last: &classify.Result{Status: 503}},
			"yunrt: baidu GET /v1/x: " + ErrBudgetExhausted.Error() + " (after 3 attempts; last answer HTTP 503)"},
		{"status and request id", &Error{Provider: classify.Tencent, Action: "SendSms", Attempts: 1, Reason: ErrDeadline,
			Last: &classify.Result{Status: 502, RequestID: "r-9"}},
			"yunrt: tencent SendSms: " + ErrDeadline.Error() + " (after 1 attempt; last answer HTTP 502, request id r-9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

// TestURLErrorRedactedEverywhere pins redactURLError: a base transport's
// *url.Error that quotes the signed URL, alone or wrapped, reaches the
// observer's Attempt.Err, the returned error's text and errors.As with
// no security token and no signature in its URL or text, and a wrapper's
// own words are kept.
func TestURLErrorRedactedEverywhere(t *testing.T) {
	const token = "STS-TOKEN-VALUE"
	tests := []struct {
		name string
		wrap func(*url.Error) error
		text string // kept in the error's text
	}{
		{"bare", func(ue *url.Error) error { return ue }, "Post \"http://api.example/?"},
		{"wrapped", func(ue *url.Error) error { return fmt.Errorf("proxy hop: %w", ue) }, "proxy hop: Post \"http://api.example/?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := sign.StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSK, SecurityToken: token}
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				return nil, tt.wrap(&url.Error{Op: "Post", URL: r.URL.String(), Err: io.ErrUnexpectedEOF})
			})
			rec := &recorder{}
			tr := New(base, WithHost("api.example", classify.Aliyun), WithSigner(classify.Aliyun, sign.AliyunRPC(creds)),
				WithObserver(rec))
			_, err := tr.RoundTrip(writeCall(classify.Aliyun).request(t, "http://api.example"))
			require.Error(t, err)
			attempts := rec.Attempts()
			require.Len(t, attempts, 1)
			texts := map[string]string{"returned": err.Error(), "observed": attempts[0].Err.Error()}
			var ue *url.Error
			require.ErrorAs(t, err, &ue)
			texts["url.Error URL"] = ue.URL
			require.ErrorAs(t, attempts[0].Err, &ue)
			texts["observed url.Error URL"] = ue.URL
			for where, text := range texts {
				assert.NotContains(t, text, token, where)
				assert.NotRegexp(t, `Signature=[A-Za-z0-9%]{8,}`, text, where)
				assert.Contains(t, text, "SecurityToken=", where)
			}
			assert.Contains(t, attempts[0].Err.Error(), tt.text)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		})
	}
}
