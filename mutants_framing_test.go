package yunrt

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUnframedJSONTable pins which answers have their end checked
// (framing.go's unframedJSON): only an HTTP/1 answer that net/http frames
// by the end of its connection (ContentLength −1, no Transfer-Encoding,
// Close) and did not decompress, declared JSON in any spelling. Each
// other case differs from the first in one thing only.
func TestUnframedJSONTable(t *testing.T) {
	unframed := func() *http.Response {
		return &http.Response{ProtoMajor: 1, ContentLength: -1, Close: true,
			Header: http.Header{"Content-Type": {"application/json"}}}
	}
	tests := []struct {
		name   string
		change func(*http.Response)
		want   bool
	}{
		{"close-delimited JSON", func(*http.Response) {}, true},
		{"problem+JSON with charset", func(r *http.Response) {
			r.Header["Content-Type"] = []string{" Application/Problem+JSON ; charset=utf-8"}
		}, true},
		{"HTTP/2", func(r *http.Response) { r.ProtoMajor = 2 }, false},
		{"Content-Length", func(r *http.Response) { r.ContentLength = 10 }, false},
		{"Content-Length 0", func(r *http.Response) { r.ContentLength = 0 }, false},
		{"chunked", func(r *http.Response) { r.TransferEncoding = []string{"chunked"} }, false},
		{"connection kept", func(r *http.Response) { r.Close = false }, false},
		{"decompressed", func(r *http.Response) { r.Uncompressed = true }, false},
		{"XML", func(r *http.Response) { r.Header["Content-Type"] = []string{"text/xml"} }, false},
		{"no Content-Type", func(r *http.Response) { delete(r.Header, "Content-Type") }, false},
		{"empty Content-Type list", func(r *http.Response) { r.Header["Content-Type"] = []string{} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := unframed()
			tt.change(resp)
			assert.Equal(t, tt.want, unframedJSON(resp))
		})
	}
}
