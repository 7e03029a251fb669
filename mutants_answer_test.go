package yunrt

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestShouldPeekTable pins which answers are read ahead (answer.go's
// shouldPeek): every error status whatever its length and media type;
// a 2xx only when its length is unknown or within the 2xx read-ahead
// (and not zero), and its media type is JSON, XML, text/plain or unset
// (spaces and parameters aside, in any case); never a body-less answer,
// a HEAD's, or an informational one. Limits at the edges: status 200 and
// 300, a length of exactly the limit, a smaller WithPeekLimit.
func TestShouldPeekTable(t *testing.T) {
	body := func() io.ReadCloser { return io.NopCloser(strings.NewReader("{}")) }
	tests := []struct {
		name   string
		method string
		status int
		length int64
		ctype  []string // nil: no Content-Type
		peek   int      // WithPeekLimit; 0: the default
		noBody bool     // http.NoBody; nilBody: nil
		nil    bool
		want   bool
	}{
		{name: "200 json", status: 200, length: -1, ctype: []string{"application/json"}, want: true},
		{name: "200 json at the 2xx limit", status: 200, length: successPeekLimit, ctype: []string{"application/json"}, want: true},
		{name: "200 json past the 2xx limit", status: 200, length: successPeekLimit + 1, ctype: []string{"application/json"}},
		{name: "200 json past a smaller peek limit", status: 200, length: 101, ctype: []string{"application/json"}, peek: 100},
		{name: "200 json at a smaller peek limit", status: 200, length: 100, ctype: []string{"application/json"}, peek: 100, want: true},
		{name: "200 empty", status: 200, length: 0, ctype: []string{"application/json"}},
		{name: "200 no content type", status: 200, length: 2, want: true},
		{name: "200 empty content type list", status: 200, length: 2, ctype: []string{}, want: true},
		{name: "200 blank media type with parameters", status: 200, length: 2, ctype: []string{" ; charset=utf-8"}, want: true},
		{name: "200 json spaced, with charset", status: 200, length: 2, ctype: []string{" application/json ; charset=utf-8"}, want: true},
		{name: "200 problem+JSON", status: 200, length: 2, ctype: []string{"application/problem+JSON"}, want: true},
		{name: "200 xml", status: 200, length: 2, ctype: []string{"text/XML"}, want: true},
		{name: "200 text/plain", status: 200, length: 2, ctype: []string{"Text/Plain"}, want: true},
		{name: "200 html", status: 200, length: 2, ctype: []string{"text/html"}},
		{name: "200 octet-stream", status: 200, length: -1, ctype: []string{"application/octet-stream"}},
		{name: "200 event stream", status: 200, length: -1, ctype: []string{"text/event-stream"}},
		{name: "204 no body", status: 204, length: 0, noBody: true},
		{name: "200 nil body", status: 200, length: -1, nil: true},
		{name: "HEAD 404", method: http.MethodHead, status: 404, length: 20, ctype: []string{"application/json"}},
		{name: "101", status: 101, length: -1},
		{name: "199 json", status: 199, length: 2, ctype: []string{"application/json"}},
		{name: "300 octet-stream, long", status: 300, length: 1 << 30, ctype: []string{"application/octet-stream"}, want: true},
		{name: "404 html", status: 404, length: 20, ctype: []string{"text/html"}, want: true},
		{name: "500 no length", status: 500, length: -1, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, "https://example.com/", nil)
			assert.NoError(t, err)
			resp := &http.Response{StatusCode: tt.status, ContentLength: tt.length, Header: http.Header{}, Body: body()}
			switch {
			case tt.noBody:
				resp.Body = http.NoBody
			case tt.nil:
				resp.Body = nil
			}
			if tt.ctype != nil {
				resp.Header["Content-Type"] = tt.ctype
			}
			r := &request{t: New(http.DefaultTransport, WithPeekLimit(tt.peek)), orig: req}
			assert.Equal(t, tt.want, r.shouldPeek(resp))
		})
	}
}

// TestContainsFold pins containsFold at its edges: a match at the start
// and at the very end of s, in any case of s, a sub as long as s, a sub
// longer than s, the empty s.
func TestContainsFold(t *testing.T) {
	tests := []struct {
		s, sub string
		want   bool
	}{
		{"json", "json", true},
		{"application/JSON", "json", true},
		{"JSONish", "json", true},
		{"application/jso", "json", false},
		{"jso", "json", false},
		{"", "json", false},
		{"text/x-sjon", "json", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, containsFold(tt.s, tt.sub), "containsFold(%q, %q)", tt.s, tt.sub)
	}
}
