// Package classify decodes the error bodies of Alibaba Cloud (Aliyun),
// Tencent Cloud and Baidu AI Cloud (BCE) OpenAPIs and sorts every error code
// into a Class that says what a client may safely do next.
//
// It uses the standard library only. Every value in this package is
// immutable after construction and safe for concurrent use.
package classify

import (
	"fmt"
	"strings"
	"time"
)

// Provider names a cloud whose OpenAPI conventions yunrt knows.
// The zero value is Unknown.
type Provider uint8

const (
	Unknown Provider = iota // not one of the providers below
	Aliyun                  // Alibaba Cloud: *.aliyuncs.com, *.alicloudapi.com
	Tencent                 // Tencent Cloud: *.tencentcloudapi.com
	Baidu                   // Baidu AI Cloud: *.baidubce.com, *.bcebos.com
)

// Providers returns the known providers in a stable order.
func Providers() []Provider { return []Provider{Aliyun, Tencent, Baidu} }

// String returns the lower-case name used in attributes and on the command
// line: "aliyun", "tencent", "baidu" or "unknown".
func (p Provider) String() string {
	switch p {
	case Aliyun:
		return "aliyun"
	case Tencent:
		return "tencent"
	case Baidu:
		return "baidu"
	}
	return "unknown"
}

// ParseProvider accepts a provider name case-insensitively, including the
// common aliases "alibaba", "alicloud", "tencentcloud", "qcloud", "bce" and
// "baiducloud".
func ParseProvider(s string) (Provider, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "aliyun", "alibaba", "alicloud", "alibabacloud":
		return Aliyun, nil
	case "tencent", "tencentcloud", "qcloud":
		return Tencent, nil
	case "baidu", "bce", "baiducloud":
		return Baidu, nil
	}
	return Unknown, fmt.Errorf("classify: unknown provider %q (want aliyun, tencent or baidu)", s)
}

// ProviderForHost returns the provider whose public endpoints end in the
// host's domain (port ignored, case-insensitive), or Unknown.
func ProviderForHost(host string) Provider {
	h := host // compared ignoring case: no lower-case copy to make
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for _, s := range [...]struct {
		suffix string
		p      Provider
	}{
		{"aliyuncs.com", Aliyun},
		{"alicloudapi.com", Aliyun},
		{"tencentcloudapi.com", Tencent},
		{"baidubce.com", Baidu},
		{"bcebos.com", Baidu},
	} {
		if n := len(h) - len(s.suffix); n >= 0 && strings.EqualFold(h[n:], s.suffix) && (n == 0 || h[n-1] == '.') {
			return s.p // the domain, or a name under it
		}
	}
	return Unknown
}

// Class says what a failed (or successful) attempt means for the next one.
// The zero value is Success.
type Class uint8

const (
	// Success: 2xx and no provider error in the body. Nothing to do.
	Success Class = iota
	// Retryable: the server failed or was unavailable (ServiceUnavailable,
	// InternalError, 502/503/504 without a provider body). Retry with
	// backoff; a write only when the failure proves nothing was done.
	Retryable
	// Throttled: flow control (Throttling.*, RequestLimitExceeded.*).
	// Nothing was done; retry with a longer backoff and slow down.
	Throttled
	// Resign: the signature's nonce or timestamp was rejected
	// (SignatureNonceUsed, InvalidTimeStamp.Expired, RequestExpired, …).
	// Re-sign with a fresh nonce and timestamp and retry once.
	Resign
	// SideEffectUnknown: the server may have performed the action (a push
	// Timeout, an SMS InternalError.Timeout, a connection cut after the
	// request was written). Retry reads and idempotent writes only.
	SideEffectUnknown
	// Permanent: the request itself is wrong (signature, permission,
	// account, parameters, daily quotas). Retrying cannot help.
	Permanent
)

var classNames = [...]string{
	Success:           "success",
	Retryable:         "retryable",
	Throttled:         "throttled",
	Resign:            "resign",
	SideEffectUnknown: "side-effect-unknown",
	Permanent:         "permanent",
}

// String returns the class name used in tables, attributes and JSON:
// "success", "retryable", "throttled", "resign", "side-effect-unknown" or
// "permanent".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// ParseClass is the inverse of Class.String.
func ParseClass(s string) (Class, error) {
	for c, n := range classNames {
		if n == s {
			return Class(c), nil
		}
	}
	return 0, fmt.Errorf("classify: unknown class %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := ParseClass(string(b))
	if err == nil {
		*c = v
	}
	return err
}

// MarshalText implements encoding.TextMarshaler.
func (p Provider) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Kind says whether an API action only reads (and may be repeated freely)
// or may change something. The zero value is Write: an action yunrt cannot
// name is assumed to have side effects.
type Kind uint8

const (
	Write Kind = iota // may change state; the zero value
	Read              // only reads; safe to repeat
)

// String returns "read" or "write".
func (k Kind) String() string {
	if k == Read {
		return "read"
	}
	return "write"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Source says where the code of a Result came from.
type Source uint8

const (
	FromStatus Source = iota // no provider error found: inferred from the HTTP status
	FromBody                 // decoded from the response body
	FromHeader               // from API Gateway X-Ca-Error-* headers
)

// String returns "status", "body" or "header".
func (s Source) String() string {
	switch s {
	case FromBody:
		return "body"
	case FromHeader:
		return "header"
	}
	return "status"
}

// Result is what one HTTP response means. Its zero value is an
// unclassified success. A Result made by Decode holds no string longer
// than its bound (MaxCodeLen, MaxMessageLen, MaxRequestIDLen,
// MaxHostIDLen) and no credential the server echoed (see Scrub).
type Result struct {
	Provider  Provider
	Status    int    // HTTP status code
	Code      string // provider error code; "" when there is none
	Message   string // provider error message
	RequestID string
	HostID    string // Aliyun HostId, when present
	// EC is the error detail code of Aliyun OSS (<EC>0003-00000001</EC>),
	// "" when absent.
	EC string
	// MetricCode is Code as a metric attribute may carry it: from a set
	// bounded by the table (see Table.MetricCode), "other" for a code
	// the table does not know, "" when Code is "".
	MetricCode string
	Class      Class
	// Scope is what a flow-control answer limits (Table.Scope); NoScope
	// for other answers.
	Scope Scope
	// Source says where Code came from (body, header, or inferred from
	// the status).
	Source Source
	// Hint is the delay the server asked for (Retry-After, Aliyun's
	// x-acs-retry-after, or Aliyun's x-ratelimit-* TimeLeft: the longest),
	// zero when it asked for none, and always zero for a Success: a
	// success is never retried, so its headers ask for no wait (and are
	// not read).
	Hint time.Duration
	// HintSource names the header Hint came from ("retry-after",
	// "timeleft", "x-acs-retry-after"), "" when Hint is zero.
	HintSource string
	// Truncated reports that the body was longer than the peek limit, so
	// only its prefix was decoded.
	Truncated bool
}

// Failed reports whether the result is anything but Success.
func (r Result) Failed() bool { return r.Class != Success }
