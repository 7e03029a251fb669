package interop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

// TestActionThroughSDK checks the API action yunrt reads from each SDK's
// requests: it decides read or write (what may be resent), per-action
// policies and breakers, and the traces.
//
// The Tencent SDK sets its headers as http.Header map keys spelled
// "X-TC-Action", and darabonba (tea dara.DoRequest) as "x-acs-action":
// keys Header.Get, which canonicalizes the name, misses. This test found
// that; classify.ActionOf now reads headers whatever their spelling.
func TestActionThroughSDK(t *testing.T) {
	tests := []struct {
		c    sdkCase
		want string
	}{
		{tencentCase(), "SendSms"},
		{aliyunV3Case(), "SendSms"},
		{aliyunRPCCase(), "Push"},
		{baiduCase(), "POST /api/v3/sendsms"},
	}
	for _, tt := range tests {
		t.Run(tt.c.id, func(t *testing.T) {
			r := execute(t, tt.c, permanent, withYunrt)
			infos := r.rec.requestList()
			require.Len(t, infos, 1)
			assert.Equal(t, tt.want, infos[0].Action)
			assert.Equal(t, classify.Write, infos[0].Kind)
		})
	}
}
