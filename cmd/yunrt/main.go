// Command yunrt shows what the yunrt transport does with the failures of
// the Aliyun, Tencent Cloud and Baidu AI Cloud OpenAPIs, and lets any SDK
// be tried against them.
//
// Usage:
//
//	yunrt demo [-json] [-wide] [-otlp host:port]
//	yunrt serve [-addr HOST:PORT] [-provider P] [-fault SPEC]... [-script FILE] [-strict AK:SECRET]
//	yunrt explain CODE --provider P [--action A] [--token] [--unsigned] [--status N] [--json]
//	yunrt codes [--provider P] [--class C] [--json]
//	yunrt version
//
// demo runs a list of failure scenarios against loopback emulators of the
// three providers and prints, for each, the attempts the transport made,
// the codes it saw, the decision it took and what the emulator performed.
//
// serve runs the emulator on a port with a fault script, until interrupted.
//
// explain prints what one error code means: the documented entry it
// matches, its class, and the decision the default policy takes on it.
// codes lists every documented code. version prints the build's version.
//
// Help goes to stdout with exit 0. Exit codes: 0 success, 1 the command
// failed (a demo scenario, an OTLP export), 2 a wrong command line or, for
// explain, an undocumented code.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Exit codes of run.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed
	exitUsage = 2 // the command line is wrong

	// exitUndocumented is explain's exit code for a code that is not
	// documented (a typo, most often); it shares 2 with usage errors.
	exitUndocumented = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `yunrt shows how the yunrt transport handles cloud OpenAPI failures.

Usage:
  yunrt demo [-json] [-wide] [-otlp host:port]
        run failure scenarios against loopback emulators of Aliyun,
        Tencent Cloud and Baidu AI Cloud and print what happened
  yunrt serve [-addr HOST:PORT] [-provider P] [-fault SPEC]... [-script FILE]
        run the emulator on a port with a fault script, for any SDK
  yunrt explain CODE (--provider P | --host H) [--action A] [--token] [--unsigned] [--status N] [--json]
        explain an error code: its documented entry, class and the
        retry decision of the default policy
  yunrt codes [--provider P] [--class C] [--json]
        list every error code the classifier knows
  yunrt sign --scheme S -X METHOD URL [-H 'Name: value']... [--body B]
        print the canonical request and string-to-sign yunrt signs,
        to diff against a SignatureDoesNotMatch echo
  yunrt version
        print the version this binary was built from

Run "yunrt COMMAND -h" or "yunrt help COMMAND" for the flags of a command.
`

// run is the whole command: it parses args (without the program name),
// writes to stdout and stderr, and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) == 2 && args[0] == "help" && args[1] != "help" {
			return run([]string{args[1], "-h"}, stdout, stderr) // "yunrt help serve"
		}
		fmt.Fprint(stdout, usageText)
		return exitOK
	case "demo":
		return runDemoCmd(context.Background(), args[1:], stdout, stderr)
	case "explain":
		return runExplainCmd(args[1:], stdout, stderr)
	case "sign":
		return runSign(args[1:], stdout, stderr)
	case "codes":
		return runCodesCmd(args[1:], stdout, stderr)
	case "serve":
		return runServeCmd(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		return runVersionCmd(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "yunrt: unknown command %q\n\n%s", args[0], usageText)
	return exitUsage
}
