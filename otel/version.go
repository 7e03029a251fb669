package otel

import "runtime/debug"

// modulePath is the module this package belongs to.
const modulePath = "github.com/yunrt/yunrt"

// Version returns the instrumentation scope version of the tracer and
// meter: the version of module github.com/yunrt/yunrt in the running
// binary's build information (a tag such as "v0.3.0", a pseudo-version,
// or "(devel)" when yunrt is the main module built from a work tree),
// "unknown" when the binary carries no build information.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return moduleVersion(bi)
}

// moduleVersion finds yunrt's version in build information.
func moduleVersion(bi *debug.BuildInfo) string {
	if bi.Main.Path == modulePath {
		return nonEmpty(bi.Main.Version)
	}
	for _, m := range bi.Deps {
		if m.Path != modulePath {
			continue
		}
		if m.Replace != nil && m.Replace.Version != "" {
			return m.Replace.Version
		}
		return nonEmpty(m.Version)
	}
	return "unknown"
}

func nonEmpty(v string) string {
	if v == "" {
		return "(devel)"
	}
	return v
}
