package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	sms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestSDKThroughRecycledRequests: yunrt recycles a request's state (its
// 512 B read-ahead included) on the first Close of a body replayed to its
// end. Here the official Tencent SDK reads and closes the bodies itself,
// 8 clients at once on one Transport, over loopback HTTP/1.1 (chunked and
// with a length) and HTTP/2, with answers of 60 B to 6 KiB and one call
// in four throttled once inside HTTP 200 (discarded, retried). Each call's
// answer names its own SessionContext as RequestId: the SDK's parse of
// every answer must give back its own call's, so a byte of another answer
// (or of a discarded one) in a body would show in the SDK's result. (The
// SDK reads every body through before closing it; recycling a request on
// the Close of a discarded attempt's body makes this test panic.)
func TestSDKThroughRecycledRequests(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "HTTP1", true: "HTTP2"}[h2], func(t *testing.T) {
			srv := newRecycleServer(h2)
			defer srv.Close()
			base := srv.Client().Transport.(*http.Transport)
			defer base.CloseIdleConnections()
			host := srv.Listener.Addr().String()
			quick := policy.Backoff{Initial: 1, Max: 2}
			rt := yunrt.New(base, yunrt.WithHost(host, classify.Tencent),
				yunrt.WithPolicy(classify.Tencent, policy.Policy{Throttled: quick, Rate: policy.Rate{NoAdapt: true}}))
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					client := recycleSDKClient(t, host, h2, rt)
					for i := range 60 {
						id := fmt.Sprintf("g%d-%d", g, i)
						req := sms.NewSendSmsRequest()
						req.PhoneNumberSet = common.StringPtrs([]string{"+8613800000000"})
						req.SmsSdkAppId = common.StringPtr("1400000000")
						req.TemplateId = common.StringPtr("449739")
						req.SessionContext = common.StringPtr(id)
						resp, err := client.SendSms(req)
						if !assert.NoError(t, err, id) {
							return
						}
						assert.Equal(t, id, *resp.Response.RequestId, "the SDK read another answer's bytes")
						if assert.Len(t, resp.Response.SendStatusSet, 1, id) {
							assert.Equal(t, id, *resp.Response.SendStatusSet[0].SessionContext)
						}
					}
				}()
			}
			wg.Wait()
			srv.mu.Lock()
			defer srv.mu.Unlock()
			assert.Equal(t, 8*60, srv.answered, "one success per call")
			assert.Greater(t, srv.throttled, 60, "throttled calls, retried")
			assert.Greater(t, srv.long, 100, "answers past the request's 512 B buffer")
			assert.Len(t, srv.protos, 1)
			assert.Equal(t, srv.answered+srv.throttled, srv.protos[map[bool]int{false: 1, true: 2}[h2]], "the protocol")
		})
	}
}

// recycleSDKClient is a Tencent SMS client of the SDK over rt.
func recycleSDKClient(t *testing.T, host string, h2 bool, rt http.RoundTripper) *sms.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = map[bool]string{false: "HTTP", true: "HTTPS"}[h2]
	cpf.HttpProfile.Endpoint = host
	client, err := sms.NewClient(common.NewCredential(testAK, testSK), "ap-guangzhou", cpf)
	require.NoError(t, err)
	client.WithHttpTransport(rt)
	return client
}

// recycleServer answers SendSms with the call's SessionContext as its
// RequestId, padded to a random size, and throttles one call in four once.
type recycleServer struct {
	*httptest.Server
	mu                        sync.Mutex
	rng                       *rand.Rand
	seen                      map[string]bool
	answered, throttled, long int
	protos                    map[int]int // requests by HTTP major version
}

func newRecycleServer(h2 bool) *recycleServer {
	s := &recycleServer{rng: rand.New(rand.NewPCG(41, 42)), seen: map[string]bool{}, protos: map[int]int{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	if h2 {
		s.EnableHTTP2 = true
		s.StartTLS()
	} else {
		s.Start()
	}
	return s
}

func (s *recycleServer) handle(w http.ResponseWriter, r *http.Request) {
	var in struct{ SessionContext string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.SessionContext == "" {
		http.Error(w, "no SessionContext", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.protos[r.ProtoMajor]++
	throttle := !s.seen[in.SessionContext] && s.rng.IntN(4) == 0
	s.seen[in.SessionContext] = true
	size, chunked := 60+s.rng.IntN(6000), s.rng.IntN(2) == 0
	if throttle {
		s.throttled++
	} else {
		s.answered++
		if size > 512 {
			s.long++
		}
	}
	s.mu.Unlock()
	body := recycleAnswer(in.SessionContext, size, throttle)
	w.Header().Set("Content-Type", "application/json")
	if !chunked {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	}
	for len(body) > 0 { // in pieces: a chunked answer has no length
		n := min(len(body), 700)
		_, _ = io.WriteString(w, body[:n])
		w.(http.Flusher).Flush()
		body = body[n:]
	}
}

// recycleAnswer is a SendSms answer of about size bytes whose RequestId
// is id, or a throttle of at most ~400 bytes.
func recycleAnswer(id string, size int, throttle bool) string {
	if throttle { // a few hundred bytes, as the providers' errors in a 200 are
		return fmt.Sprintf(`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"%s"},"RequestId":"throttled-%s"}}`, strings.Repeat("x", size%300), id)
	}
	pad := strings.Repeat("x", max(0, size-200))
	return fmt.Sprintf(`{"Response":{"SendStatusSet":[{"SerialNo":"%s","PhoneNumber":"+8613800000000","Fee":1,"SessionContext":"%s","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"%s"}}`, pad, id, id)
}
