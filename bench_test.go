package yunrt

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/yunrt/yunrt/classify"
)

// cannedBase answers every request with the same 200 response, without a
// network, so that allocation counts are exact.
type cannedBase struct {
	body     []byte
	header   http.Header
	noLength bool // ContentLength −1, as for a chunked or decompressed answer
}

func (c cannedBase) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	n := int64(len(c.body))
	if c.noLength {
		n = -1
	}
	return &http.Response{
		StatusCode:    200,
		Header:        c.header,
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: n,
		Request:       r,
	}, nil
}

// happyRequest is a send of provider p to its public host.
func happyRequest(p classify.Provider) *http.Request {
	var req *http.Request
	switch p {
	case classify.Tencent:
		req, _ = http.NewRequest(http.MethodPost, "https://sms.tencentcloudapi.com/", bytes.NewReader([]byte(`{"PhoneNumberSet":["+8613800000000"]}`)))
		req.Header.Set("X-TC-Action", "SendSms")
	default:
		req, _ = http.NewRequest(http.MethodPost, "https://dysmsapi.aliyuncs.com/?Action=SendSms&Version=2017-05-25&PhoneNumbers=1", nil)
	}
	return req
}

func benchRoundTrip(b *testing.B, rt http.RoundTripper, p classify.Provider) {
	req := happyRequest(p)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkHappyPath measures yunrt's added cost on a success against the
// bare base transport, in memory.
func BenchmarkHappyPath(b *testing.B) {
	for _, size := range []int{200, 1 << 20} {
		for _, p := range []classify.Provider{classify.Aliyun, classify.Tencent} {
			body := successBody(p, size)
			base := cannedBase{body: body, header: http.Header{"Content-Type": {"application/json"}}}
			name := p.String() + "/" + strconv.Itoa(size)
			b.Run(name+"/bare", func(b *testing.B) { benchRoundTrip(b, base, p) })
			b.Run(name+"/yunrt", func(b *testing.B) { benchRoundTrip(b, New(base), p) })
		}
	}
}

func successBody(p classify.Provider, size int) []byte {
	var head, tail string
	switch p {
	case classify.Tencent:
		head, tail = `{"Response":{"RequestId":"ed93f3cb-f35e-473f-b9f3-0d451b8b79c6","Data":"`, `"}}`
	default:
		head, tail = `{"RequestId":"8906582E-6722-409A-A6C4-0E7863B733A5","Code":"OK","Message":"OK","BizId":"`, `"}`
	}
	pad := size - len(head) - len(tail)
	return []byte(head + string(bytes.Repeat([]byte("x"), max(pad, 0))) + tail)
}

// TestHappyPathAllocs pins the allocations of a successful request through
// yunrt (in memory, so the count is exact): a change that adds one fails
// here, where it happens. Bare net/http's share is 3.
func TestHappyPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates, and drops sync.Pool items at random: counts only without -race (.ci/run runs this test so)")
	}
	for _, tt := range []struct {
		p        classify.Provider
		size     int
		noLength bool
		max      float64
	}{
		{classify.Aliyun, 200, false, 7},
		{classify.Tencent, 200, false, 7},
		{classify.Tencent, 200, true, 7},     // the read-ahead fits the request's own buffer
		{classify.Aliyun, 1 << 20, false, 7}, // not read ahead
		{classify.Tencent, 1 << 20, true, 7}, // a 4 KiB read-ahead, into a recycled buffer
	} {
		body := successBody(tt.p, tt.size)
		tr := New(cannedBase{body: body, header: http.Header{"Content-Type": {"application/json"}}, noLength: tt.noLength})
		req := happyRequest(tt.p)
		allocs := testing.AllocsPerRun(200, func() {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
		t.Logf("%s %d B (no length: %v): %.0f allocations", tt.p, tt.size, tt.noLength, allocs)
		if allocs > tt.max {
			t.Errorf("%s %d B (no length: %v): %.0f allocations per request, pinned at %.0f", tt.p, tt.size, tt.noLength, allocs, tt.max)
		}
	}
}
