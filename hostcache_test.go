package yunrt

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// derivedHost is what RoundTrip derived from a host before the cache:
// the oracle hostFor must agree with on every call.
func derivedHost(t *Transport, raw string) hostSeen {
	host := strings.ToLower(raw)
	p := t.providerFor(host)
	h := hostSeen{raw: raw, host: host, p: p}
	if p != classify.Unknown {
		h.signer = t.signerFor(host, p)
	}
	return h
}

// randomHost is a host of a provider, of a WithHost mapping or of no
// provider, in random letter case, with or without a port.
func randomHost(rng *rand.Rand) string {
	bases := []string{
		"sms.tencentcloudapi.com", "cvm.ap-guangzhou.tencentcloudapi.com", "dysmsapi.aliyuncs.com",
		"ecs.cn-hangzhou.aliyuncs.com", "sms.bj.baidubce.com", "bucket.bj.bcebos.com",
		"api.example.com", "signed.example.com", "example.org", "127.0.0.1", "[::1]", "",
		fmt.Sprintf("h%d.aliyuncs.com", rng.IntN(40)), fmt.Sprintf("h%d.example.net", rng.IntN(40)),
	}
	b := []byte(bases[rng.IntN(len(bases))])
	for i, c := range b {
		if 'a' <= c && c <= 'z' && rng.IntN(4) == 0 {
			b[i] = c - 'a' + 'A'
		}
	}
	if len(b) > 0 && rng.IntN(3) == 0 {
		b = fmt.Appendf(b, ":%d", 8000+rng.IntN(3))
	}
	return string(b)
}

func hostTransport() (*Transport, sign.Signer, sign.Signer) {
	ps, hs := &countingSigner{}, &countingSigner{}
	return New(nil, WithHost("api.example.com", classify.Baidu), WithSigner(classify.Aliyun, ps),
		WithHostSigner("Signed.Example.com", hs), WithHost("signed.example.com", classify.Tencent)), ps, hs
}

// TestHostForAgrees: on 20,000 random hosts, from 8 goroutines, hostFor
// gives what RoundTrip derived without the cache (lower case, provider,
// signer), the first time and every time after.
func TestHostForAgrees(t *testing.T) {
	tr, ps, hs := hostTransport()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 17))
			for range 2500 {
				raw := randomHost(rng)
				want := derivedHost(tr, raw)
				if got := tr.hostFor(raw); got != want {
					t.Errorf("hostFor(%q) = %+v, want %+v", raw, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	// The oracle itself must tell the hosts apart, or agreeing proves little.
	assert.Equal(t, hostSeen{raw: "SMS.bj.BaiduBCE.com", host: "sms.bj.baidubce.com", p: classify.Baidu},
		tr.hostFor("SMS.bj.BaiduBCE.com"))
	assert.Equal(t, ps, tr.hostFor("Ecs.cn-hangzhou.aliyuncs.com:8001").signer)
	assert.Equal(t, hostSeen{raw: "SIGNED.example.com", host: "signed.example.com", p: classify.Tencent, signer: hs},
		tr.hostFor("SIGNED.example.com"))
	assert.Equal(t, classify.Unknown, tr.hostFor("Example.org").p)
}

// TestHostCacheBounded: whatever the hosts, the cache holds at most
// hostSlots entries, each in the slot its host hashes to, each a
// provider's host, the first kept for good; and its strings are copies
// (an entry never keeps a caller's longer string alive).
func TestHostCacheBounded(t *testing.T) {
	tr, _, _ := hostTransport()
	rng := rand.New(rand.NewPCG(3, 4))
	first := map[int]string{}
	for range 5000 {
		raw := randomHost(rng)
		tr.hostFor(raw)
		for i := range tr.hostCache {
			if h := tr.hostCache[i].Load(); h != nil {
				if _, ok := first[i]; !ok {
					first[i] = h.raw
				}
				require.Equal(t, first[i], h.raw, "slot %d changed hands", i)
				require.Equal(t, i, hostSlot(h.raw), "host %q in slot %d", h.raw, i)
				require.NotEqual(t, classify.Unknown, h.p, "host %q of no provider kept", h.raw)
			}
		}
	}
	assert.Len(t, first, hostSlots, "5,000 hosts of 30-odd names filled every slot")

	url := "dysmsapi.aliyuncs.com/?Action=SendSms&" + strings.Repeat("x", 4096)
	raw := url[:len("dysmsapi.aliyuncs.com")]
	fresh := New(nil)
	fresh.hostFor(raw)
	kept := fresh.hostCache[hostSlot(raw)].Load()
	require.NotNil(t, kept)
	at := func(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }
	assert.NotEqual(t, at(raw), at(kept.raw), "the entry keeps the caller's URL string alive")
	assert.NotEqual(t, at(raw), at(kept.host), "the entry keeps the caller's URL string alive")
}

// TestHostSlotSpreads: hostSlot gives slots in range, and spreads the
// hosts of one provider that differ only in a region or product name.
func TestHostSlotSpreads(t *testing.T) {
	require.Equal(t, 8, hostSlots, "hostSlot takes the top 3 bits")
	seen := map[int]bool{}
	for _, h := range []string{"sms.tencentcloudapi.com", "cvm.tencentcloudapi.com", "cbs.tencentcloudapi.com",
		"sms.ap-guangzhou.tencentcloudapi.com", "ecs.cn-hangzhou.aliyuncs.com", "ecs.cn-beijing.aliyuncs.com",
		"ecs.cn-shanghai.aliyuncs.com", "dysmsapi.aliyuncs.com", "sms.bj.baidubce.com", "sms.gz.baidubce.com",
		"a", "", "localhost:8080"} {
		i := hostSlot(h)
		require.True(t, i >= 0 && i < hostSlots, "hostSlot(%q) = %d", h, i)
		seen[i] = true
	}
	assert.GreaterOrEqual(t, len(seen), 6, "13 hosts in %d slots", len(seen))
}

// TestHostCacheKeepsNoLongHost: a host longer than a DNS name with a port
// is served but not kept.
func TestHostCacheKeepsNoLongHost(t *testing.T) {
	tr := New(nil)
	long := strings.Repeat("a", maxKeptHost-len(".aliyuncs.com")+1) + ".aliyuncs.com"
	assert.Equal(t, classify.Aliyun, tr.hostFor(long).p)
	assert.Nil(t, tr.hostCache[hostSlot(long)].Load(), "a %d-byte host was kept", len(long))
	fits := long[1:]
	tr.hostFor(fits)
	assert.NotNil(t, tr.hostCache[hostSlot(fits)].Load(), "a %d-byte host was not kept", len(fits))
}

// TestHostForUnknownAllocatesNothing: a request to no provider's host is
// passed through as before the cache: nothing kept, nothing allocated.
func TestHostForUnknownAllocatesNothing(t *testing.T) {
	tr := New(nil)
	allocs := testing.AllocsPerRun(100, func() { tr.hostFor("api.example.org") })
	assert.Zero(t, allocs)
	for i := range tr.hostCache {
		assert.Nil(t, tr.hostCache[i].Load(), "slot %d", i)
	}
	tr.hostFor("sms.tencentcloudapi.com")
	allocs = testing.AllocsPerRun(100, func() { tr.hostFor("sms.tencentcloudapi.com") })
	assert.Zero(t, allocs, "a kept host allocates")
}
