package otel

import (
	"context"

	"github.com/yunrt/yunrt"
)

// Multi returns an observer that passes every call to each of observers,
// in order, for a transport (which takes one observer) observed by several:
// this package's Observer and one of your own, say. The context one
// observer's RequestStart or AttemptStart returns is the context the next
// one receives, so every observer's values travel with the request. Nil
// observers are skipped; with a single observer left Multi returns it. The
// result is as safe for concurrent use as the observers are.
func Multi(observers ...yunrt.Observer) yunrt.Observer {
	var m multi
	for _, o := range observers {
		if o != nil {
			m.obs = append(m.obs, o)
		}
	}
	switch len(m.obs) {
	case 0:
		return yunrt.NopObserver{}
	case 1:
		return m.obs[0]
	}
	return m
}

type multi struct {
	yunrt.NopObserver // methods yunrt adds later do nothing
	obs               []yunrt.Observer
}

// RequestStart calls each observer's RequestStart with the context the one before returned.
func (m multi) RequestStart(ctx context.Context, info yunrt.RequestInfo) context.Context {
	for _, o := range m.obs {
		ctx = o.RequestStart(ctx, info)
	}
	return ctx
}

// AttemptStart calls each observer's AttemptStart with the context the one before returned.
func (m multi) AttemptStart(ctx context.Context, info yunrt.RequestInfo, n int) context.Context {
	for _, o := range m.obs {
		ctx = o.AttemptStart(ctx, info, n)
	}
	return ctx
}

// AttemptEnd calls each observer's AttemptEnd.
func (m multi) AttemptEnd(ctx context.Context, info yunrt.RequestInfo, a yunrt.Attempt) {
	for _, o := range m.obs {
		o.AttemptEnd(ctx, info, a)
	}
}

// RequestEnd calls each observer's RequestEnd.
func (m multi) RequestEnd(ctx context.Context, info yunrt.RequestInfo, end yunrt.End) {
	for _, o := range m.obs {
		o.RequestEnd(ctx, info, end)
	}
}

// BreakerChange calls each observer's BreakerChange.
func (m multi) BreakerChange(c yunrt.BreakerChange) {
	for _, o := range m.obs {
		o.BreakerChange(c)
	}
}
