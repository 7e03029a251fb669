package sign

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Explain signs exactly as Sign does and returns forms that reproduce the
// signature; it never holds the secret, the token or the signature.
func TestExplain(t *testing.T) {
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	tests := []struct {
		name, method, url string
		header            map[string]string
		body              string
		signer            Signer
		signedHeaders     string
	}{
		{"aliyun rpc", http.MethodPost, "https://ecs.aliyuncs.com/?Action=A", form, "b=1", AliyunRPC(testCredsToken), ""},
		{"aliyun v3", http.MethodGet, "https://ecs.aliyuncs.com/p?q=1",
			map[string]string{"x-acs-action": "A", "x-acs-version": "1"}, "", AliyunV3(testCredsToken),
			"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version"},
		{"aliyun gateway", http.MethodGet, "https://x.alicloudapi.com/p?q=1", nil, "", AliyunGateway(testCreds),
			"x-ca-key,x-ca-nonce,x-ca-signature-method,x-ca-timestamp"},
		{"tencent tc3", http.MethodPost, "https://cvm.tencentcloudapi.com/", nil, "{}", TencentTC3(testCredsToken), "content-type;host"},
		{"baidu bce", http.MethodGet, "https://bcc.bj.baidubce.com/v2/x", nil, "", BaiduBCE(testCredsToken, 0),
			"host;x-bce-date;x-bce-security-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r1 := newClientRequest(t, tt.method, tt.url, tt.header, []byte(tt.body))
			r2 := newClientRequest(t, tt.method, tt.url, tt.header, []byte(tt.body))
			c, err := Explain(context.Background(), tt.signer, r1, []byte(tt.body), fixedStamp)
			require.NoError(t, err)
			require.NoError(t, tt.signer.Sign(context.Background(), r2, []byte(tt.body), fixedStamp))
			assert.Equal(t, r2.Header, r1.Header, "Explain signs as Sign does")
			assert.Equal(t, r2.URL.String(), r1.URL.String())

			assert.Equal(t, tt.signedHeaders, c.SignedHeaders)
			assert.NotEmpty(t, c.Request)
			assert.NotEmpty(t, c.StringToSign)
			out := c.String()
			for _, secret := range []string{testSecret, testToken, percentEncode(testToken, false)} {
				assert.NotContains(t, out, secret)
			}
			for _, sig := range []string{r1.Header.Get("Authorization"), r1.Header.Get("X-Ca-Signature"), r1.URL.Query().Get("Signature")} {
				if i := strings.LastIndexAny(sig, "=/"); i >= 0 {
					sig = sig[i+1:]
				}
				if len(sig) > 8 {
					assert.NotContains(t, out, sig)
				}
			}
		})
	}
}

// Without a token, the forms reproduce the signature.
func TestExplainReproducesSignature(t *testing.T) {
	body := []byte(`{"a":1}`)
	r := newClientRequest(t, http.MethodPost, "https://ecs.aliyuncs.com/?b=2",
		map[string]string{"x-acs-action": "A", "x-acs-version": "1", "Content-Type": "application/json"}, body)
	c, err := Explain(context.Background(), AliyunV3(testCreds), r, body, fixedStamp)
	require.NoError(t, err)
	assert.Equal(t, acs3StringToSign(c.Request), c.StringToSign)
	assert.Contains(t, r.Header.Get("Authorization"), "Signature="+acs3Signature(c.Request, testSecret))
}

type foreignSigner struct{}

func (foreignSigner) Sign(context.Context, *http.Request, []byte, Stamp) error { return nil }
func (foreignSigner) UsesNonce() bool                                          { return false }

func TestExplainForeignSigner(t *testing.T) {
	r := newClientRequest(t, http.MethodGet, "https://ecs.aliyuncs.com/", nil, nil)
	_, err := Explain(context.Background(), foreignSigner{}, r, nil, fixedStamp)
	require.ErrorIs(t, err, ErrUnknownScheme)
	assert.Empty(t, r.Header)
}
