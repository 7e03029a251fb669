package yunrt

import (
	"strings"
	"sync/atomic"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// hostSlots is how many request hosts a Transport keeps what it derived
// from them (hostCache): at most this many entries per Transport, each
// holding two copies of a host name of at most maxKeptHost bytes. A host
// whose slot another host took first, or a longer one, is derived anew on
// each request, as every host was before.
const hostSlots = 8

// maxKeptHost is the longest host hostCache keeps: a DNS name (253
// characters) with a port.
const maxKeptHost = 260

// hostSeen is what RoundTrip derives from a request's host: its lower-case
// form, its provider and its signer. It never changes once made.
type hostSeen struct {
	raw    string // the host as requests give it (Request.Host, else URL.Host)
	host   string // raw in lower case
	p      classify.Provider
	signer sign.Signer
}

// hostCache keeps the hostSeen of up to hostSlots hosts of a known
// provider, one per slot, the first host to arrive in a slot keeping it:
// an entry is never replaced, so the cache allocates at most hostSlots
// entries in a Transport's life, whatever the mix of hosts. Safe for
// concurrent use.
type hostCache [hostSlots]atomic.Pointer[hostSeen]

// hostFor returns what the transport derives from raw: from its slot when
// the slot holds raw, else derived (lower case, providerFor, signerFor)
// and kept when the slot is free and the host is a provider's.
func (t *Transport) hostFor(raw string) hostSeen {
	slot := &t.hostCache[hostSlot(raw)]
	if h := slot.Load(); h != nil && h.raw == raw {
		return *h
	}
	host := strings.ToLower(raw) // no allocation when already lower case
	p := t.providerFor(host)
	h := hostSeen{raw: raw, host: host, p: p}
	if p == classify.Unknown {
		return h // passed through untouched: nothing to keep
	}
	h.signer = t.signerFor(host, p)
	if len(raw) <= maxKeptHost && slot.Load() == nil {
		// Copies: raw may be a slice of a longer string (a URL's) that the
		// entry must not keep alive.
		kept := h
		kept.raw, kept.host = strings.Clone(raw), strings.Clone(host)
		slot.CompareAndSwap(nil, &kept)
	}
	return h
}

// hostSlot spreads hosts over the cache's slots: a multiplicative hash of
// the host's length and of eight bytes at its start, middle and end (a
// byte loop for hosts shorter than eight bytes). Hosts it puts in one slot
// are served right, the later ones without the cache.
func hostSlot(raw string) int {
	n := len(raw)
	x := uint64(n)
	if n >= 8 {
		x ^= load64(raw) ^ load64(raw[n/2-4:])*0x9e3779b97f4a7c15 ^ load64(raw[n-8:])*0xbf58476d1ce4e5b9
	} else {
		for i := 0; i < n; i++ {
			x = x<<8 | uint64(raw[i])
		}
	}
	return int((x * 0x94d049bb133111eb) >> (64 - 3)) // the top 3 bits: hostSlots is 8
}

// load64 reads the first eight bytes of s (len(s) >= 8), little-endian.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
