package interop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSDKSignatureThroughYunrt puts yunrt under each SDK without a signer:
// yunrt must forward the SDK's own signature intact (the strict gateway
// accepts the first attempt). Tencent and Baidu signatures carry no nonce,
// so a retry replays them and is accepted. An Aliyun request carries a
// nonce yunrt cannot replace: a resend would be refused as
// SignatureNonceUsed and hide the real error, so yunrt does not resend it
// and the SDK gets the provider's answer (the 503) intact. That is why the
// README installs yunrt with WithSigner under the Aliyun SDKs.
func TestSDKSignatureThroughYunrt(t *testing.T) {
	tests := []struct {
		c         sdkCase
		attempts  int
		ok        bool
		errCode   string
		performed int
	}{
		{c: tencentCase(), attempts: 2, ok: true, performed: 1},
		{c: aliyunV3Case(), attempts: 1, errCode: "ServiceUnavailable"},
		{c: aliyunRPCCase(), attempts: 1, errCode: "ServiceUnavailable"},
		{c: baiduCase(), attempts: 2, ok: true, performed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.c.id, func(t *testing.T) {
			r := execute(t, tt.c, transient, withYunrtNoSigner)
			t.Logf("SDK + yunrt without a signer: %s (error %v)", r.cell(), r.out.err)
			logYunrt(t, r)
			require.Equal(t, tt.attempts, r.attempts)
			assert.Equal(t, tt.c.steps[transient].faults[0].Code, r.log[0].Fault.Code,
				"the SDK's own signature passed the strict gateway through yunrt")
			assert.Equal(t, 1, r.signatures, "without a signer yunrt resends the SDK's signature")
			assert.Equal(t, tt.performed, r.performed)
			assert.Equal(t, tt.ok, r.out.ok)
			assert.Equal(t, tt.errCode, r.out.errCode)
			for _, info := range r.rec.requestList() {
				assert.False(t, info.Signed)
			}
		})
	}
}
