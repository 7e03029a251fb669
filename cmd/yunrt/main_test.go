package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runCmd runs the command in-process and returns its exit code and output.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errOut := runCmd(args...)
			assert.Equal(t, exitOK, code)
			assert.Contains(t, out, "yunrt demo")
			assert.Contains(t, out, "yunrt explain CODE")
			assert.Empty(t, errOut)
		})
	}
	t.Run("subcommand help on stdout", func(t *testing.T) {
		for _, cmd := range []string{"demo", "explain", "codes", "serve", "sign", "version"} {
			for _, h := range []string{"-h", "--help"} {
				code, out, errOut := runCmd(cmd, h)
				assert.Equal(t, exitOK, code, cmd)
				assert.True(t, strings.HasPrefix(out, "Usage: yunrt "+cmd), "%s %s: %q", cmd, h, out)
				assert.Empty(t, errOut, cmd)
			}
		}
	})
	for _, cmd := range []string{"demo", "serve", "explain", "codes", "sign", "version"} {
		assert.Contains(t, usageText, "yunrt "+cmd, "the top-level help names every command")
		code, out, errOut := runCmd("help", cmd)
		assert.Equal(t, exitOK, code)
		assert.True(t, strings.HasPrefix(out, "Usage: yunrt "+cmd), "help %s: %q", cmd, out)
		assert.Empty(t, errOut)
	}
	code, _, errOut := runCmd("help", "frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `unknown command "frobnicate"`)
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no args", nil, "Usage:"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"explain: no code", []string{"explain", "--provider", "aliyun"}, "missing CODE"},
		{"explain: empty code", []string{"explain", "--provider", "aliyun", " "}, "missing CODE"},
		{"explain: no provider", []string{"explain", "Throttling.User"}, "missing --provider"},
		{"explain: unknown provider", []string{"explain", "Throttling.User", "--provider", "aws"}, `unknown provider "aws"`},
		{"explain: provider unknown", []string{"explain", "Throttling.User", "--provider", "unknown"}, `unknown provider "unknown"`},
		{"explain: two codes", []string{"explain", "A", "B", "--provider", "aliyun"}, "one CODE expected"},
		{"explain: bad flag", []string{"explain", "A", "--provider", "aliyun", "--nope"}, "flag provided but not defined: -nope"},
		{"explain: flag without value", []string{"explain", "A", "--provider"}, "flag needs an argument"},
		{"explain: bad status", []string{"explain", "A", "--provider", "baidu", "--status", "1000"}, "not an HTTP status"},
		{"demo: extra argument", []string{"demo", "now"}, "unexpected arguments"},
		{"demo: bad flag", []string{"demo", "-yaml"}, "flag provided but not defined: -yaml"},
		{"codes: unknown class", []string{"codes", "--class", "fatal"}, `unknown class "fatal"`},
		{"codes: unknown provider", []string{"codes", "--provider", "aws"}, `unknown provider "aws"`},
		{"codes: extra argument", []string{"codes", "x"}, "unexpected arguments"},
		{"version: extra argument", []string{"version", "x"}, "unexpected arguments"},
		{"serve: bad fault", []string{"serve", "-fault", "status=abc"}, `status "abc" is not a number`},
		{"serve: bad format", []string{"serve", "-fault", "X,format=yaml"}, `unknown format "yaml"`},
		{"serve: bad strict", []string{"serve", "-strict", "nocolon"}, "AK:SECRET"},
		{"serve: missing script", []string{"serve", "-script", "/nonexistent/script.json"}, "no such file"},
		{"serve: unknown provider", []string{"serve", "-provider", "aws"}, `unknown provider "aws"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out, "usage errors go to stderr")
			assert.Contains(t, errOut, tt.want)
			if len(tt.args) > 0 && tt.args[0] != "frobnicate" {
				assert.Contains(t, errOut, "Usage: yunrt "+tt.args[0], "the usage follows the problem")
			}
		})
	}
}
