package testserver

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/yunrt/yunrt/classify"
)

// fixedNow is the clock of servers made by start.
var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// start returns a started server with a fixed clock, closed at cleanup.
func start(t *testing.T, p classify.Provider, opts ...Option) *Server {
	t.Helper()
	opts = append([]Option{WithClock(func() time.Time { return fixedNow })}, opts...)
	s := New(p, opts...)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a client with its own transport (so connections are
// never shared between tests), closed at cleanup.
func newClient(t *testing.T, mod func(*http.Transport)) *http.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if mod != nil {
		mod(tr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// call sends one POST with the key header and returns the response with its
// whole body read.
func call(t *testing.T, c *http.Client, s *Server, key string) (*http.Response, []byte) {
	t.Helper()
	resp, body, err := send(context.Background(), c, s.URL()+"/", key, "{}")
	require.NoError(t, err)
	return resp, body
}

// send posts body to url with the key header (when key is not empty).
func send(ctx context.Context, c *http.Client, url, key, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(KeyHeader, key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return resp, b, nil
}
