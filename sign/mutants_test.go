package sign

// Tests written for mutants of the package's code that no other test
// killed (see README "Mutation testing"): each names what it pins.

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request built without r.Host (by hand, not by http.NewRequest) is sent
// with r.URL.Host as its Host: every signer signs that host and the server
// accepts it (hostOf's fallback).
func TestHostFromURLWhenHostEmpty(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			r := newClientRequest(t, tc.method, tc.url, tc.header, body)
			r.Host = ""
			require.NoError(t, tc.signer.Sign(context.Background(), r, body, fixedStamp))
			s, sbody := toServer(t, r, body)
			require.Equal(t, r.URL.Host, s.Host)
			_, err := Verify(tc.scheme, s, sbody, testSecret)
			assert.NoError(t, err)
		})
	}
}

// A header set under several spellings (SDKs set lower-case keys, net/http
// canonical ones) reaches the server as one header whose values are in the
// order net/http writes them, keys sorted; a signer that joins the values
// must join them in that order (headerValues, lowerHeaders). Map order is
// random, so each case runs 16 times: a signer joining them in map order
// fails with near certainty.
func TestSpellingsSignedInWireOrder(t *testing.T) {
	tests := []struct {
		name, scheme string
		signer       Signer
		url, header  string
		spellings    []string
	}{
		{"gateway X-Ca-Stage", SchemeAliyunGateway, AliyunGateway(testCreds), "http://abc.alicloudapi.com/p",
			"X-Ca-Stage", []string{"x-ca-stage", "X-Ca-Stage", "X-CA-STAGE", "x-Ca-Stage"}},
		{"bce x-bce-meta-owner", SchemeBaiduBCE, BaiduBCE(testCreds, 0), "http://bj.bcebos.com/v1/b/o",
			"X-Bce-Meta-Owner", []string{"x-bce-meta-owner", "X-Bce-Meta-Owner", "X-BCE-META-OWNER", "x-Bce-meta-owner"}},
		{"tc3 content-type", SchemeTencentTC3, TencentTC3(testCreds), "https://cvm.tencentcloudapi.com/",
			"Content-Type", []string{"content-type", "Content-Type", "CONTENT-TYPE", "content-Type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 16 {
				r := newClientRequest(t, http.MethodGet, tt.url, nil, nil)
				for j, k := range tt.spellings {
					r.Header[k] = []string{fmt.Sprintf("v%d", j)}
				}
				require.NoError(t, tt.signer.Sign(context.Background(), r, nil, fixedStamp))
				s, sbody := toServer(t, r, nil)
				require.Equal(t, s.Header.Values(tt.header), headerValues(r.Header, tt.header), "run %d", i)
				_, err := Verify(tt.scheme, s, sbody, testSecret)
				require.NoError(t, err, "run %d", i)
			}
		})
	}
}
