package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// command is one subcommand's flag set with its usage text. Help asked
// for with -h goes to stdout with exit 0; a wrong command line prints the
// problem and the usage to stderr with exit 2.
type command struct {
	fs             *flag.FlagSet
	usage          string // printed before the flag defaults
	stdout, stderr io.Writer
}

func newCommand(name, usage string, stdout, stderr io.Writer) *command {
	c := &command{fs: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage, stdout: stdout, stderr: stderr}
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() {} // printed by parsed, to the right stream
	return c
}

// printUsage writes the usage text and the flag defaults to w.
func (c *command) printUsage(w io.Writer) {
	fmt.Fprint(w, c.usage)
	c.fs.SetOutput(w)
	c.fs.PrintDefaults()
	c.fs.SetOutput(c.stderr)
}

// parsed handles the error of parsing the command line: done is true when
// the command must exit with code (0 after -h, 2 after a wrong flag).
func (c *command) parsed(err error) (code int, done bool) {
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, flag.ErrHelp):
		c.printUsage(c.stdout)
		return exitOK, true
	}
	// The flag package has printed the error to stderr.
	c.printUsage(c.stderr)
	return exitUsage, true
}

// usageErr prints a command-line problem and the usage to stderr and
// returns exitUsage.
func (c *command) usageErr(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "yunrt "+c.fs.Name()+": "+format+"\n\n", a...)
	c.printUsage(c.stderr)
	return exitUsage
}
