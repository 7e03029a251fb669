package bench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/yunrt/yunrt/classify"
)

// Body is one happy-path success answer.
type Body struct {
	Name     string
	Provider classify.Provider
	Data     []byte
	// NoLength sends the body without Content-Length (chunked on the
	// wire, ContentLength −1 in memory).
	NoLength bool
	// MemOnly: benchmarked with the in-memory base transport only (to
	// show that memory does not grow with the body).
	MemOnly bool
}

// Bodies are the happy-path answers: Aliyun's and Tencent's SMS send
// results, about 200 bytes, and a 1 MiB Tencent answer (a long
// SendStatusSet), with and without Content-Length, and a 4 MiB one
// (in memory only).
var Bodies = []Body{
	{Name: "aliyun-200B", Provider: classify.Aliyun, Data: aliyunBody()},
	{Name: "tencent-200B", Provider: classify.Tencent, Data: tencentBody(1)},
	{Name: "tencent-1MiB", Provider: classify.Tencent, Data: tencentBody(1 << 20)},
	{Name: "tencent-1MiB-chunked", Provider: classify.Tencent, Data: tencentBody(1 << 20), NoLength: true},
	{Name: "tencent-4MiB-chunked", Provider: classify.Tencent, Data: tencentBody(4 << 20), NoLength: true, MemOnly: true},
}

func aliyunBody() []byte {
	b := `{"RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","Message":"OK","BizId":"900619746936498440^0","TemplateCode":"SMS_15305****","SignName":"阿里云短信测试"}`
	return []byte(b + strings.Repeat(" ", max(0, 200-len(b))))
}

// tencentBody returns a Tencent SendSms answer of about size bytes:
// {"Response":{"SendStatusSet":[…],"RequestId":"…"}}.
func tencentBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Response":{"SendStatusSet":[`)
	const tail = `],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}`
	for i := 0; ; i++ {
		entry := `{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+86138` + fmt.Sprintf("%08d", i) + `","Fee":1,"Code":"Ok","IsoCode":"CN"}`
		if i > 0 && b.Len()+1+len(entry)+len(tail) > size {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(entry)
	}
	b.WriteString(tail)
	return b.Bytes()
}

// Template makes the happy-path request of a provider to base (a URL
// without a trailing slash): Aliyun SendSms as an RPC call with its
// parameters in the query and no body, Tencent SendSms as a JSON POST.
// Requests are cheap copies of one template, the same for every adapter.
type Template struct {
	req  *http.Request
	body bool
}

// NewTemplate returns the request template of provider p.
func NewTemplate(p classify.Provider, base string) *Template {
	switch p {
	case classify.Aliyun:
		req, err := http.NewRequest(http.MethodPost, base+"/?Action=SendSms&Version=2017-05-25&PhoneNumbers=13800000000&SignName=Test&TemplateCode=SMS_153055065&Format=JSON", nil)
		if err != nil {
			panic(err)
		}
		return &Template{req: req}
	case classify.Tencent:
		req, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(`{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000","SignName":"Test","TemplateId":"449739","TemplateParamSet":["1234"]}`))
		if err != nil {
			panic(err)
		}
		req.Header.Set("X-TC-Action", "SendSms")
		req.Header.Set("X-TC-Version", "2021-01-11")
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		return &Template{req: req, body: true}
	}
	panic("bench: no template for " + p.String())
}

// Request returns a fresh request: a shallow copy of the template (the
// header is shared and read-only) with a new body.
func (t *Template) Request() *http.Request {
	r := new(http.Request)
	*r = *t.req
	if t.body {
		r.Body, _ = t.req.GetBody()
	}
	return r
}

// Server is a minimal loopback server answering every request with one
// body, counting the connections it accepts.
type Server struct {
	*httptest.Server
	conns atomic.Int64
}

// NewServer starts a Server answering with b.
func NewServer(b Body) *Server {
	s := newServer(b)
	s.Start()
	return s
}

// newServer is NewServer not yet started.
func newServer(b Body) *Server {
	s := &Server{}
	length := strconv.Itoa(len(b.Data))
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		if !b.NoLength {
			h["Content-Length"] = []string{length}
		}
		_, _ = w.Write(b.Data)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	return s
}

// NewServerH2 starts a Server answering with b over TLS, HTTP/2 offered
// by ALPN (as the providers' HTTPS endpoints are reached from Go).
func NewServerH2(b Body) *Server {
	s := newServer(b)
	s.EnableHTTP2 = true
	s.StartTLS()
	return s
}

// StartServer starts the server of BenchmarkHappy's network for body b:
// NewServer for "loopback", NewServerH2 for "h2", nil for "mem".
func StartServer(network string, b Body) *Server {
	switch network {
	case "loopback":
		return NewServer(b)
	case "h2":
		return NewServerH2(b)
	}
	return nil
}

// Base returns a base transport for s: NewBase, trusting s's certificate
// and attempting HTTP/2 when s speaks TLS.
func (s *Server) Base() *http.Transport {
	t := NewBase()
	if s.TLS != nil {
		t.TLSClientConfig = s.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		t.ForceAttemptHTTP2 = true
	}
	return t
}

// Host returns "127.0.0.1:PORT".
func (s *Server) Host() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
}

// Connections returns how many connections the server accepted.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// MemTransport is an in-memory base transport: it answers every request
// with a canned response, without the network, so that the adapters'
// allocations can be compared exactly. Each response costs two
// allocations (the Response and its body reader); the header is shared.
type MemTransport struct {
	data   []byte
	header http.Header
	length int64
}

// NewMemTransport returns a MemTransport answering with b.
func NewMemTransport(b Body) *MemTransport {
	m := &MemTransport{data: b.Data, length: int64(len(b.Data)),
		header: http.Header{"Content-Type": {"application/json"}, "Date": {"Sun, 22 Nov 2026 08:00:00 GMT"}}}
	if b.NoLength {
		m.length = -1
	}
	return m
}

// RoundTrip implements http.RoundTripper.
func (m *MemTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	body := &memBody{}
	body.r.Reset(m.data)
	return &http.Response{
		Status: "200 OK", StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: m.header, ContentLength: m.length, Body: body, Request: req,
	}, nil
}

// memBody reads a canned body. It has only Read and Close, as a network
// body does, so that every adapter copies the bytes the same way.
type memBody struct{ r bytes.Reader }

func (b *memBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (*memBody) Close() error                 { return nil }

// MemHost is the host of in-memory requests: a public domain each
// provider's requests would go to.
func MemHost(p classify.Provider) string {
	if p == classify.Aliyun {
		return "dysmsapi.aliyuncs.com"
	}
	return "sms.tencentcloudapi.com"
}

type statusError struct {
	status int
	got    int64
	want   int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("status %d, %d body bytes (want 200, %d)", e.status, e.got, e.want)
}

// roundTrip sends req, reads the whole answer and checks it.
func roundTrip(rt http.RoundTripper, req *http.Request, want int) error {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || int(n) != want {
		return &statusError{resp.StatusCode, n, want}
	}
	return nil
}
