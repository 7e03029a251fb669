package yunrt

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

// TestJSONFrameEveryCut: every strict prefix of an object or array
// document that ends inside it is cut; the whole document (and trailing
// white space) is not; a text that is not an object or array is never
// called cut. Fed in one piece and byte by byte.
func TestJSONFrameEveryCut(t *testing.T) {
	docs := []string{
		`{"RequestId":"R","Code":"OK","Data":{"a":[1,2,{"b":"}]\"{["}],"c":"\\"}}`,
		"\xef\xbb\xbf \n[{\"x\":\"\\u007d\"}, [], {}]",
		`{}`,
	}
	for _, doc := range docs {
		for n := 0; n <= len(doc); n++ {
			for _, step := range []int{len(doc) + 1, 1} {
				var j jsonFrame
				for i := 0; i < n; i += step {
					j.feed([]byte(doc[i:min(n, i+step)]))
				}
				whole := n == len(doc)
				started := bytes.ContainsAny([]byte(doc[:n]), "{[")
				assert.Equal(t, !whole && started, j.cut(), "%q cut after %d bytes (step %d)", doc, n, step)
			}
		}
	}
	for _, text := range []string{`"a string`, `12`, `<Error>`, `nul`, ``, `  `} {
		var j jsonFrame
		j.feed([]byte(text))
		assert.False(t, j.cut(), "%q is not an object or array: nothing to tell", text)
	}
}

// closeDelimited serves one answer framed by the end of its connection
// (HTTP/1.1, no Content-Length, not chunked) and closes the connection
// after body, over TCP or over TLS without close_notify (the listener's
// raw connection is closed under the TLS one).
func closeDelimited(t *testing.T, useTLS bool, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, bw, err := http.NewResponseController(w).Hijack()
		if !assert.NoError(t, err) {
			return
		}
		_, _ = bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
		_, _ = bw.Write(body)
		_ = bw.Flush()
		if tc, ok := conn.(*tls.Conn); ok {
			conn = tc.NetConn() // a FIN without close_notify
		}
		_ = conn.Close()
	})
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestUnframedCutReported: a JSON answer framed by the end of its
// connection and cut by a FIN inside the read-ahead or after it, over TCP
// and TLS without close_notify, ends with ErrUnframedCut (which
// errors.Is io.ErrUnexpectedEOF) after exactly the bytes sent, where bare
// net/http reports a clean io.EOF; the whole answer ends cleanly. Read
// through Read and through io.Copy (WriteTo).
func TestUnframedCutReported(t *testing.T) {
	whole := []byte(`{"RequestId":"R","Code":"OK","Message":"OK","Pad":"` + string(bytes.Repeat([]byte("p"), 10000)) + `"}`)
	for _, useTLS := range []bool{false, true} {
		for _, at := range []int{300, 8000, len(whole)} {
			for _, viaCopy := range []bool{false, true} {
				name := "tcp"
				if useTLS {
					name = "tls"
				}
				t.Run(name+"/"+strconv.Itoa(at)+"/copy="+strconv.FormatBool(viaCopy), func(t *testing.T) {
					srv := closeDelimited(t, useTLS, whole[:at])
					base := srv.Client().Transport.(*http.Transport)
					req, err := http.NewRequest(http.MethodPost, srv.URL+"/?Action=SendSms", nil)
					require.NoError(t, err)
					req.Host = "dysmsapi.aliyuncs.com"
					bare, err := base.RoundTrip(req.Clone(req.Context()))
					require.NoError(t, err)
					bareGot, bareErr := io.ReadAll(bare.Body)
					bare.Body.Close()
					require.NoError(t, bareErr, "net/http reads the cut as a clean end: the premise")
					require.Len(t, bareGot, at)
					tr := New(base, WithHost("dysmsapi.aliyuncs.com", classify.Aliyun))
					resp, err := tr.RoundTrip(req)
					require.NoError(t, err)
					defer resp.Body.Close()
					var got bytes.Buffer
					if viaCopy {
						_, err = io.Copy(&got, resp.Body)
					} else {
						_, err = io.Copy(&got, readerOnly{resp.Body})
					}
					assert.Equal(t, string(whole[:at]), got.String(), "the bytes sent, all of them")
					if at == len(whole) {
						assert.NoError(t, err)
						return
					}
					assert.ErrorIs(t, err, ErrUnframedCut)
					assert.True(t, errors.Is(err, io.ErrUnexpectedEOF))
					_, again := resp.Body.Read(make([]byte, 8))
					assert.ErrorIs(t, again, ErrUnframedCut, "and on every later read")
				})
			}
		}
	}
}

// FuzzJSONFrame: feeding a text in two pieces tells the same as feeding
// it whole; a valid JSON object or array is never cut, and one missing
// its last byte always is.
func FuzzJSONFrame(f *testing.F) {
	f.Add([]byte(`{"a":"}\"","b":[1,{}]}`), 5)
	f.Add([]byte("\xef\xbb\xbf[\"\\\\\"]"), 3)
	f.Add([]byte(`"scalar"`), 1)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		var whole, parts jsonFrame
		whole.feed(data)
		at := min(max(split, 0), len(data))
		parts.feed(data[:at])
		parts.feed(data[at:])
		if whole != parts {
			t.Fatalf("%q: whole %+v, split at %d %+v", data, whole, at, parts)
		}
		trimmed := bytes.TrimLeft(bytes.TrimPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("\xef\xbb\xbf")), " \t\r\n")
		if !json.Valid(data) || len(trimmed) == 0 || trimmed[0] != '{' && trimmed[0] != '[' {
			return
		}
		if whole.cut() {
			t.Fatalf("%q is valid JSON, called cut", data)
		}
		if last := data[len(data)-1]; last == '}' || last == ']' {
			var short jsonFrame
			short.feed(data[:len(data)-1])
			if !short.cut() {
				t.Fatalf("%q without its last byte is not called cut", data)
			}
		}
	})
}

// BenchmarkJSONFrame: what following the brackets of a close-delimited
// JSON answer costs per byte (1 MiB of Tencent-like payload).
func BenchmarkJSONFrame(b *testing.B) {
	item := []byte(`{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8618511122233","Fee":1,"SessionContext":"test","Code":"Ok","Message":"send success","IsoCode":"CN"},`)
	doc := append([]byte(`{"Response":{"SendStatusSet":[`), bytes.Repeat(item, (1<<20)/len(item))...)
	doc = append(doc, `{}],"RequestId":"r"}}`...)
	b.SetBytes(int64(len(doc)))
	for i := 0; i < b.N; i++ {
		var j jsonFrame
		j.feed(doc)
		if j.cut() {
			b.Fatal("whole document called cut")
		}
	}
}
