package interop

import (
	"net/http"
	"testing"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/yunrttest"
)

// rt4Send is one official SDK's send through a plain transport, its own
// retries off.
type rt4Send struct {
	name string
	p    classify.Provider
	send func(t *testing.T, host string) outcome
}

func rt4Sends() []rt4Send {
	return []rt4Send{
		{"aliyun-rpc-old-sdk", classify.Aliyun, func(t *testing.T, h string) outcome { return aliyunRPCSend(t, h, http.DefaultTransport, false) }},
		{"aliyun-v3-darabonba", classify.Aliyun, func(t *testing.T, h string) outcome { return aliyunV3Send(t, h, http.DefaultTransport, false, nil) }},
		{"tencent", classify.Tencent, func(t *testing.T, h string) outcome { return tencentSend(t, h, http.DefaultTransport, false) }},
		{"baidu", classify.Baidu, func(t *testing.T, h string) outcome { return baiduSend(t, h, http.DefaultTransport, false) }},
	}
}

// TestRedteamEmulatorStrictWithSDKs (helper rt4) takes the official SDKs as
// the oracle of what a real client sends and how it reads answers: a strict
// yunrttest server accepts each SDK's own signature (also by a server
// clock a minute inside the window), and answers a wrong
// secret and a server clock a minute past the provider's window with the code the SDK then reports
// (Aliyun SignatureDoesNotMatch / InvalidTimeStamp.Expired, Tencent
// AuthFailure.SignatureFailure / AuthFailure.SignatureExpire, Baidu
// SignatureDoesNotMatch / RequestExpired), with a request id, and performs
// nothing on a rejection.
func TestRedteamEmulatorStrictWithSDKs(t *testing.T) {
	wrong := map[classify.Provider]string{classify.Aliyun: "SignatureDoesNotMatch", classify.Tencent: "AuthFailure.SignatureFailure", classify.Baidu: "SignatureDoesNotMatch"}
	expired := map[classify.Provider]string{classify.Aliyun: "InvalidTimeStamp.Expired", classify.Tencent: "AuthFailure.SignatureExpire", classify.Baidu: "RequestExpired"}
	// The windows: Aliyun 15 min, Tencent 5 min, Baidu the SDK's signed
	// expiration, 1800 s.
	window := map[classify.Provider]time.Duration{classify.Aliyun: 15 * time.Minute, classify.Tencent: 5 * time.Minute, classify.Baidu: 30 * time.Minute}
	for _, s := range rt4Sends() {
		t.Run(s.name, func(t *testing.T) {
			for _, row := range []struct {
				name   string
				secret string
				skew   time.Duration
				want   string
			}{
				{"correct", testSK, 0, ""},
				{"wrong secret", "not-" + testSK, 0, wrong[s.p]},
				{"clock a minute inside the window", testSK, window[s.p] - time.Minute, ""},
				{"clock a minute past the window", testSK, window[s.p] + time.Minute, expired[s.p]},
			} {
				skew := row.skew
				srv := yunrttest.NewServer(s.p, yunrttest.WithStrict(testAK, row.secret), yunrttest.WithClock(func() time.Time { return time.Now().Add(skew) }))
				got := s.send(t, srv.Host())
				_, performed := srv.Totals()
				switch {
				case row.want == "" && (!got.ok || performed != 1):
					t.Errorf("%s: %+v performed %d, want accepted once", row.name, got, performed)
				case row.want != "" && (got.errCode != row.want || got.requestID == "" || performed != 0):
					t.Errorf("%s: %+v performed %d, want %s with a request id, nothing performed", row.name, got, performed, row.want)
				}
				srv.Close()
			}
		})
	}
}

// TestRedteamEmulatorBodiesWithSDKs (helper rt4): each SDK reads the code
// and request id of the emulator's native error shapes (the provider's
// default format, and Aliyun's and Baidu's JSON and 200 forms where the SDK
// reads them).
func TestRedteamEmulatorBodiesWithSDKs(t *testing.T) {
	for _, s := range rt4Sends() {
		t.Run(s.name, func(t *testing.T) {
			for _, f := range []yunrttest.Fault{
				{Code: "InternalError"},
				{Code: "ServiceUnavailable", Format: yunrttest.FormatJSON},
				{Code: "Some.Code", Message: `it "broke" <here>`, Status: 500},
			} {
				srv := yunrttest.NewServer(s.p)
				srv.SetDefault(f)
				got := s.send(t, srv.Host())
				if got.errCode != f.Code || got.requestID == "" {
					t.Errorf("%+v: SDK read %+v", f, got)
				}
				srv.Close()
			}
		})
	}
}
