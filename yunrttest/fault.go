package yunrttest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/yunrt/yunrt/internal/testserver"
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
	// <HostId>, <Code>, <Message></Error>, Content-Type text/xml.
	FormatXML
	// FormatROA is Aliyun's ROA body
	// {"requestId":"…","hostId":"…","code":"…","message":"…"}.
	FormatROA
	// Format200 puts the error inside an HTTP 200 body: Aliyun dysmsapi
	// style {"RequestId","Code","Message"}; Tencent
	// {"Response":{"Error":{"Code","Message"},"RequestId"}}; Baidu
	// {"requestId","code","message"}. An explicit Fault.Status still wins.
	Format200
	// FormatGatewayHeaders is Aliyun API Gateway's answer: headers
	// X-Ca-Request-Id, X-Ca-Error-Code, X-Ca-Error-Message and an empty
	// body.
	FormatGatewayHeaders
	// FormatEmpty answers with the status only and an empty body.
	FormatEmpty
	// FormatHTML answers with a load balancer's HTML error page,
	// "<html><head><title>502 Bad Gateway</title>…" for status 502.
	FormatHTML
)

// String returns the format's short name: "default", "json", "xml", "roa",
// "200", "gateway-headers", "empty" or "html".
func (f Format) String() string {
	if int(f) < len(testserver.Formats()) {
		return testserver.Format(f).String()
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat is the inverse of Format.String.
func ParseFormat(s string) (Format, error) {
	for _, f := range testserver.Formats() {
		if f.String() == s {
			return Format(f), nil
		}
	}
	return 0, &FormatError{Name: s}
}

// FormatError is ParseFormat's error for a name that is no Format.
type FormatError struct{ Name string }

// Error implements error.
func (e *FormatError) Error() string {
	return "yunrttest: unknown format " + strconv.Quote(e.Name) +
		` (want default, json, xml, roa, 200, gateway-headers, empty or html)`
}

// Fault is what the server does with one attempt. The zero value answers
// with the provider's success body.
//
// An attempt fails when Code is set, when Status is 400 or more, or when
// Reset or Hangup is set; otherwise it succeeds (possibly slowly, gzipped
// or with a raw Body), and a success performs the action's side effect.
type Fault struct {
	// Code is the provider error code; "" means no error body (succeed
	// unless Status, Reset or Hangup say otherwise).
	Code string
	// Message is the provider error message, written as given.
	Message string
	// Status is the HTTP status. 0 means the provider's: Tencent 200
	// always; Aliyun and Baidu the documented status of Code (classify's
	// default table; Baidu RequestRateExceeded 429, as SetQuota answers
	// it), or 400 when it documents none; 200 with Format200 or when Code
	// is "". Set it with FormatEmpty and FormatHTML.
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
	// bodies).
	Body []byte
	// Gzip gzip-encodes the body and sets Content-Encoding: gzip.
	Gzip bool
	// Latency is a wait before answering. It ends early, without an
	// answer, when the client goes away or the server closes.
	Latency time.Duration
	// Reset reads the whole request, then resets the TCP connection:
	// "sent, no answer".
	Reset bool
	// Hangup reads the whole request, then closes the connection without
	// answering.
	Hangup bool
	// Performed says the action's side effect happens even though this
	// attempt fails (a push Timeout, an SMS InternalError.Timeout, a reset
	// after processing). It is counted when the attempt arrives.
	Performed bool
}

// internal converts f to the implementation's Fault.
func (f Fault) internal() testserver.Fault {
	return testserver.Fault{
		Code: f.Code, Message: f.Message, Status: f.Status, Format: testserver.Format(f.Format),
		RetryAfter: f.RetryAfter, TimeLeft: f.TimeLeft, Header: f.Header, Body: f.Body, Gzip: f.Gzip,
		Latency: f.Latency, Reset: f.Reset, Hangup: f.Hangup, Performed: f.Performed,
	}
}

// faultOf converts the implementation's Fault back.
func faultOf(f testserver.Fault) Fault {
	return Fault{
		Code: f.Code, Message: f.Message, Status: f.Status, Format: Format(f.Format),
		RetryAfter: f.RetryAfter, TimeLeft: f.TimeLeft, Header: f.Header, Body: f.Body, Gzip: f.Gzip,
		Latency: f.Latency, Reset: f.Reset, Hangup: f.Hangup, Performed: f.Performed,
	}
}

func internalFaults(fs []Fault) []testserver.Fault {
	out := make([]testserver.Fault, len(fs))
	for i, f := range fs {
		out[i] = f.internal()
	}
	return out
}
