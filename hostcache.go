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

// hostSlot spreads hosts over the cache's slots (FNV-1a of the name).
func hostSlot(raw string) int {
	h := uint32(2166136261)
	for i := 0; i < len(raw); i++ {
		h = (h ^ uint32(raw[i])) * 16777619
	}
	return int(h % hostSlots)
}
