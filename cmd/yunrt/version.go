package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

const versionUsage = `Usage: yunrt version

Prints the version of yunrt this command was built from (the module
version for "go install …@vX.Y.Z", "(devel)" for a build in a checkout),
the Go version, and the VCS revision when the build recorded one.

`

// runVersionCmd runs "yunrt version".
func runVersionCmd(args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("version", versionUsage, stdout, stderr)
	if code, done := cmd.parsed(cmd.fs.Parse(args)); done {
		return code
	}
	if cmd.fs.NArg() > 0 {
		return cmd.usageErr("unexpected arguments %q", cmd.fs.Args())
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stderr, "yunrt version: no build information in this binary")
		return exitFail
	}
	fmt.Fprintln(stdout, versionText(info))
	return exitOK
}

// versionText is the version line of info: "yunrt v0.1.0 (go1.26.0)",
// with ", rev abcdef012345, 2026-12-01T10:00:00Z, modified" for a build
// that recorded its VCS state.
func versionText(info *debug.BuildInfo) string {
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	out := "yunrt " + v + " (" + info.GoVersion
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		out += ", rev " + rev[:min(len(rev), 12)]
		if t := settings["vcs.time"]; t != "" {
			out += ", " + t
		}
		if settings["vcs.modified"] == "true" {
			out += ", modified"
		}
	}
	return out + ")"
}
