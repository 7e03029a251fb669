package yunrt

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// hostMatched reports whether a transport built with opts treats a GET of
// rawURL as a provider's request (the observer sees it start) rather than
// passing it through untouched: it checks the match on the request path,
// not only through ProviderFor.
func hostMatched(t *testing.T, rawURL string, opts ...Option) bool {
	t.Helper()
	rec := &recorder{}
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, ProtoMajor: 1, Request: r,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(`{"RequestId":"r1"}`))}, nil
	})
	tr := New(base, append([]Option{WithObserver(rec)}, opts...)...)
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return len(rec.Attempts()) > 0
}

// TestWithHostForms: WithHost matches a host however the caller spells it
// as the request URL does. An IPv6 literal with or without brackets
// matches the bracketed URL host, any port; with a port only that port;
// a host with a port matches that port only (no default port is
// inferred from the scheme); case does not matter on either side; and
// ProviderFor reads its argument the same way.
func TestWithHostForms(t *testing.T) {
	rows := []struct {
		name, host, url string
		want            bool
	}{
		{"bare IPv6, port in URL", "::1", "http://[::1]:9000/?Action=DescribeRegions", true},
		{"bare IPv6, no port in URL", "::1", "http://[::1]/?Action=DescribeRegions", true},
		{"bracketed IPv6", "[::1]", "http://[::1]:9000/?Action=DescribeRegions", true},
		{"bare IPv6 upper case", "FE80::1", "http://[fe80::1]:9000/?Action=DescribeRegions", true},
		{"bracketed IPv6 with port", "[::1]:9000", "http://[::1]:9000/?Action=DescribeRegions", true},
		{"bracketed IPv6 with another port", "[::1]:9000", "http://[::1]:9001/?Action=DescribeRegions", false},
		{"bare IPv6 is another host", "::2", "http://[::1]:9000/?Action=DescribeRegions", false},
		{"host:port, that port", "example.com:8443", "https://example.com:8443/?Action=DescribeRegions", true},
		{"host:port, another port", "example.com:8443", "https://example.com:9443/?Action=DescribeRegions", false},
		{"host:port, no port in URL", "example.com:8443", "https://example.com/?Action=DescribeRegions", false},
		{"host:443, default port not inferred", "example.com:443", "https://example.com/?Action=DescribeRegions", false},
		{"host:443, port named", "example.com:443", "https://example.com:443/?Action=DescribeRegions", true},
		{"upper-case option", "API.Example.COM", "http://api.example.com/?Action=DescribeRegions", true},
		{"upper-case URL", "api.example.com", "http://API.EXAMPLE.com:8080/?Action=DescribeRegions", true},
		{"upper-case option with port", "API.Example.COM:8080", "http://api.example.COM:8080/?Action=DescribeRegions", true},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			assert.Equal(t, r.want, hostMatched(t, r.url, WithHost(r.host, classify.Aliyun)), "WithHost(%q) on %s", r.host, r.url)
		})
	}
	tr := New(nil, WithHost("::1", classify.Tencent), WithHost("Example.COM:8443", classify.Baidu))
	for _, h := range []string{"::1", "[::1]", "[::1]:9000", "[::1]:80"} {
		assert.Equal(t, classify.Tencent, tr.ProviderFor(h), "ProviderFor(%q)", h)
	}
	assert.Equal(t, classify.Baidu, tr.ProviderFor("EXAMPLE.com:8443"))
	assert.Equal(t, classify.Unknown, tr.ProviderFor("example.com"))
}

// countingSigner counts its calls and signs nothing.
type countingSigner struct{ n atomic.Int32 }

func (s *countingSigner) Sign(context.Context, *http.Request, []byte, sign.Stamp) error {
	s.n.Add(1)
	return nil
}
func (s *countingSigner) UsesNonce() bool { return true }

// TestWithHostSignerForms: WithHostSigner reads its host as WithHost does:
// an IPv6 literal without brackets and an upper-case host still pick the
// host's signer for requests to them.
func TestWithHostSignerForms(t *testing.T) {
	rows := []struct{ host, url string }{
		{"::1", "http://[::1]:9000/?Action=DescribeRegions"},
		{"[::1]", "http://[::1]:9000/?Action=DescribeRegions"},
		{"API.Example.COM:8080", "http://api.example.com:8080/?Action=DescribeRegions"},
	}
	for _, r := range rows {
		t.Run(r.host, func(t *testing.T) {
			s := &countingSigner{}
			require.True(t, hostMatched(t, r.url, WithHost(r.host, classify.Aliyun), WithHostSigner(r.host, s)))
			assert.Equal(t, int32(1), s.n.Load(), "WithHostSigner(%q) signed the request to %s", r.host, r.url)
		})
	}
}
