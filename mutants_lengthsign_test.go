package yunrt

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/sign"
)

// TestLengthSignedBodyShapes: with a signer that covers only the body's
// length (bce-auth-v1, TC3 UNSIGNED-PAYLOAD), a body whose length is known
// is streamed (through GetBody, never held whole), and one whose length is
// unknown is held whole, so that the length signed is the length sent. The
// strict gateway checks every signature; the body is longer than the
// buffer limit and the first attempt is answered 503, so a body streamed
// without GetBody could not be resent. Pins signsLengthOnly's edges (the
// length test, the nil and NoBody bodies), which no test reached.
func TestLengthSignedBodyShapes(t *testing.T) {
	payload := `{"mobile":"13800000000","template":"sms-tmpl-1","pad":"` + strings.Repeat("x", 200) + `"}`
	for _, sc := range []scheme{schemes()[3], schemes()[4]} {
		for _, known := range []bool{true, false} {
			t.Run(sc.name+map[bool]string{true: "/known-length", false: "/unknown-length"}[known], func(t *testing.T) {
				srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
				defer srv.Close()
				key := "len-" + sc.name
				srv.Script(key, testserver.Fault{Code: "ServiceUnavailable", Status: 503})
				tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer), WithBodyBufferLimit(64))
				req := sc.request(t, srv.URL(), sc.write, key)
				if sc.p == classify.Tencent {
					req.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
				}
				var gets atomic.Int32
				if known {
					req.Body, req.ContentLength = io.NopCloser(strings.NewReader(payload)), int64(len(payload))
					req.GetBody = func() (io.ReadCloser, error) {
						gets.Add(1)
						return io.NopCloser(strings.NewReader(payload)), nil
					}
				} else {
					req.Body, req.ContentLength, req.GetBody = io.NopCloser(strings.NewReader(payload)), 0, nil
				}
				require.True(t, sc.signer.(sign.LengthSigner).SignsLengthOnly(req))
				status, err := do(t, tr, req)
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, status)
				assert.Equal(t, 2, srv.Attempts(key), "the 503, then a resend")
				assert.Equal(t, 1, srv.Performed(key))
				for _, a := range srv.Log() {
					assert.NotContains(t, a.Fault.Code, "Signature", "every attempt's signature verified")
				}
				if known {
					// Streamed: the resend's body came from GetBody (net/http may
					// call it too, to rewind a body on a new connection).
					assert.GreaterOrEqual(t, gets.Load(), int32(1), "a body held whole never calls GetBody")
				}
			})
		}
	}
}
