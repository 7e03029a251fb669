package yunrttest

import (
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
)

func TestProviderOf(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   classify.Provider
	}{
		{"plain request is Aliyun", nil, classify.Aliyun},
		{"ACS3 signature", map[string]string{"Authorization": "ACS3-HMAC-SHA256 Credential=ak"}, classify.Aliyun},
		{"X-TC-Action", map[string]string{"X-TC-Action": "SendSms"}, classify.Tencent},
		{"TC3 signature", map[string]string{"Authorization": "TC3-HMAC-SHA256 Credential=x"}, classify.Tencent},
		{"bce-auth-v1", map[string]string{"Authorization": "bce-auth-v1/ak/2015-04-27T08:23:49Z/1800//sig"}, classify.Baidu},
		{"x-bce-date", map[string]string{"x-bce-date": "2015-04-27T08:23:49Z"}, classify.Baidu},
		{"header overrides", map[string]string{ProviderHeader: "BCE", "X-TC-Action": "SendSms"}, classify.Baidu},
		{"bad header ignored", map[string]string{ProviderHeader: "aws", "X-TC-Action": "SendSms"}, classify.Tencent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
			require.NoError(t, err)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			assert.Equal(t, tt.want, providerOf(r))
		})
	}
}

// The public Fault carries every field of the implementation's, both ways.
func TestFaultConversion(t *testing.T) {
	pub, in := reflect.TypeOf(Fault{}), reflect.TypeOf(testserver.Fault{})
	require.Equal(t, in.NumField(), pub.NumField(), "yunrttest.Fault lacks a field of testserver.Fault")
	for i := range in.NumField() {
		assert.Equal(t, in.Field(i).Name, pub.Field(i).Name)
	}
	f := Fault{
		Code: "Throttling", Message: "m", Status: 503, Format: FormatHTML, RetryAfter: "2",
		TimeLeft: time.Second, Header: http.Header{"X": {"y"}}, Body: []byte("b"), Gzip: true,
		Latency: time.Millisecond, Reset: true, Hangup: true, Performed: true,
	}
	back := faultOf(f.internal())
	assert.Equal(t, f, back)
	v := reflect.ValueOf(back)
	for i := range v.NumField() {
		assert.False(t, v.Field(i).IsZero(), "field %s lost", v.Type().Field(i).Name)
	}
}

func TestConstantsMatchTheImplementation(t *testing.T) {
	assert.Equal(t, testserver.KeyHeader, KeyHeader)
	assert.Equal(t, testserver.NonceWindow, NonceWindow)
}

func TestFormatNames(t *testing.T) {
	for _, f := range testserver.Formats() {
		got, err := ParseFormat(f.String())
		require.NoError(t, err)
		assert.Equal(t, Format(f), got)
		assert.Equal(t, f.String(), got.String())
	}
	_, err := ParseFormat("yaml")
	var fe *FormatError
	assert.ErrorAs(t, err, &fe)
	assert.Equal(t, "format(200)", Format(200).String())
}

func TestListenerAndCounters(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := NewServer(classify.Unknown, WithListener(l))
	defer srv.Close()
	assert.Equal(t, l.Addr().String(), srv.Host())
	assert.Equal(t, classify.Unknown, srv.Provider())

	srv.Script("k", Fault{Code: "ServiceUnavailable", Status: 503}, Fault{Code: "InternalError", Performed: true})
	send := func(provider string) int {
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?TestKey=k", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set(ProviderHeader, provider)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 503, send("baidu"))
	assert.Equal(t, 503, send("aliyun"), "each provider runs its own copy of the script")
	assert.Equal(t, 500, send("aliyun"))
	assert.Equal(t, 200, send("aliyun"))
	assert.Equal(t, 4, srv.Attempts("k"))
	assert.Equal(t, 2, srv.Performed("k"))
	a, p := srv.Totals()
	assert.Equal(t, [2]int{4, 2}, [2]int{a, p})
	reqs := srv.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, classify.Baidu, reqs[0].Provider)
	assert.Equal(t, "InternalError", reqs[2].Fault.Code)
	srv.Close()
	srv.Close() // twice is fine
}

func TestCloseEndsLatency(t *testing.T) {
	srv := NewServer(classify.Aliyun)
	srv.SetDefault(Fault{Latency: time.Hour})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL())
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.Attempts("") == 1 }, 5*time.Second, time.Millisecond)
	srv.Close()
	assert.Error(t, <-done, "the waiting attempt gets no answer")
	assert.Zero(t, srv.Performed(""))
}
