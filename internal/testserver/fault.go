package testserver

import (
	"net/http"
	"strconv"
	"time"
)

// Format selects the shape of an error answer. The zero value is
// FormatDefault, the provider's native error format.
type Format uint8

const (
	// FormatDefault is the provider's native error format: Aliyun RPC JSON
	// (as FormatJSON), Tencent JSON inside HTTP 200 (as Format200), Baidu
	// JSON {"requestId","code","message"} with the real HTTP status.
	FormatDefault Format = iota
	// FormatJSON is Aliyun's RPC error body
	// {"RequestId":"…","HostId":"<host>","Code":"…","Message":"…"}.
	// For Tencent and Baidu it is the same as FormatDefault.
	FormatJSON
	// FormatXML is Aliyun's XML error body: <?xml …?><Error><RequestId>,
	// <HostId>, <Code>, <Message></Error>, Content-Type text/xml. Other
	// providers answer with the same shape (useful to test decoders with
	// foreign bodies).
	FormatXML
	// FormatROA is Aliyun's ROA body
	// {"requestId":"…","hostId":"…","code":"…","message":"…"}; other
	// providers answer with the same shape.
	FormatROA
	// Format200 puts the error inside an HTTP 200 body: Aliyun dysmsapi
	// style {"RequestId","Code","Message"}; Tencent
	// {"Response":{"Error":{"Code","Message"},"RequestId"}}; Baidu
	// {"requestId","code","message"}. An explicit Fault.Status still wins.
	Format200
	// FormatGatewayHeaders is Aliyun API Gateway's answer: headers
	// X-Ca-Request-Id, X-Ca-Error-Code, X-Ca-Error-Message and an empty
	// body. Other providers answer with the same headers.
	FormatGatewayHeaders
	// FormatEmpty answers with the status only and an empty body.
	FormatEmpty
	// FormatHTML answers with a load balancer's HTML error page,
	// "<html><head><title>502 Bad Gateway</title>…" for status 502.
	FormatHTML
)

var formatNames = [...]string{
	FormatDefault:        "default",
	FormatJSON:           "json",
	FormatXML:            "xml",
	FormatROA:            "roa",
	Format200:            "200",
	FormatGatewayHeaders: "gateway-headers",
	FormatEmpty:          "empty",
	FormatHTML:           "html",
}

// String returns the format's short name ("default", "json", "xml", "roa",
// "200", "gateway-headers", "empty", "html").
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// Formats returns every Format in declaration order.
func Formats() []Format {
	out := make([]Format, len(formatNames))
	for i := range out {
		out[i] = Format(i)
	}
	return out
}

// Fault is what the server does with one attempt. The zero value answers
// with the provider's default success body.
//
// An attempt fails when Code is set, when Status is 400 or more, or when
// Reset or Hangup is set; otherwise it succeeds (possibly slowly, gzipped or
// with a raw Body).
type Fault struct {
	// Code is the provider error code; "" means no error body (succeed
	// unless Status, Reset or Hangup say otherwise).
	Code string
	// Message is the provider error message, written as given.
	Message string
	// Status is the HTTP status. 0 means the provider's: Tencent 200
	// always; Aliyun and Baidu the documented status of Code (classify's
	// default table; Baidu RequestRateExceeded 429, as the quota answers
	// it), or 400 when it documents none; 200 with Format200 or when Code
	// is "". Set it explicitly with FormatEmpty and FormatHTML and no Code.
	Status int
	// Format is the shape of the error answer; ignored for successes.
	Format Format
	// RetryAfter, when not empty, is sent as the Retry-After header
	// ("2", or an HTTP date).
	RetryAfter string
	// TimeLeft, when positive, is sent as Aliyun's rate-limit hint
	// x-ratelimit-user-api: "Limit:100,Remain:0,TimeLeft:<ms>".
	TimeLeft time.Duration
	// Header holds extra response headers; they replace the server's own
	// headers of the same name.
	Header http.Header
	// Body, when not nil, replaces the formatted body (malformed or huge
	// bodies). Content-Type stays that of the format unless Header sets it.
	Body []byte
	// Gzip gzip-encodes the body and sets Content-Encoding: gzip.
	Gzip bool
	// Latency is a wait before answering. It ends early, without an
	// answer, when the request's context ends or the server closes.
	Latency time.Duration
	// Reset reads the whole request, then resets the TCP connection
	// (linger 0): "sent, no answer".
	Reset bool
	// Hangup reads the whole request, then closes the connection without
	// answering.
	Hangup bool
	// Performed says the action's side effect happens even though this
	// attempt fails (a push Timeout, an SMS InternalError.Timeout, a reset
	// after processing). It is counted when the attempt arrives.
	Performed bool
}

// failed reports whether the attempt fails (see Fault).
func (f Fault) failed() bool {
	return f.Code != "" || f.Status >= 400 || f.Reset || f.Hangup
}
