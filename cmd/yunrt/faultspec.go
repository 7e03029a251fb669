package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yunrt/yunrt/yunrttest"
)

// faultSpec is one fault of a "yunrt serve" script file, in JSON. Durations
// are Go durations ("1.5s", "200ms").
type faultSpec struct {
	Code       string            `json:"code,omitempty"`
	Message    string            `json:"message,omitempty"`
	Status     int               `json:"status,omitempty"`
	Format     string            `json:"format,omitempty"`
	RetryAfter string            `json:"retry_after,omitempty"`
	TimeLeft   string            `json:"time_left,omitempty"`
	Latency    string            `json:"latency,omitempty"`
	Header     map[string]string `json:"header,omitempty"`
	Body       *string           `json:"body,omitempty"`
	Gzip       bool              `json:"gzip,omitempty"`
	Reset      bool              `json:"reset,omitempty"`
	Hangup     bool              `json:"hangup,omitempty"`
	Performed  bool              `json:"performed,omitempty"`
}

// serveScript is the JSON file of "yunrt serve -script": the default
// script (every key's attempts, in order), scripts of named keys, and the
// strict gateway's credentials.
type serveScript struct {
	Default []faultSpec            `json:"default"`
	Keys    map[string][]faultSpec `json:"keys"`
	Strict  *struct {
		AccessKeyID string `json:"access_key_id"`
		Secret      string `json:"secret"`
	} `json:"strict"`
}

// maxScriptFile bounds the script file "yunrt serve" reads.
const maxScriptFile = 1 << 20

// parseScript decodes a script file; unknown fields are errors.
func parseScript(b []byte) (serveScript, error) {
	var s serveScript
	if len(b) > maxScriptFile {
		return s, fmt.Errorf("script is %d bytes, more than %d", len(b), maxScriptFile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return serveScript{}, fmt.Errorf("script: %w", err)
	}
	if dec.More() {
		return serveScript{}, fmt.Errorf("script: data after the JSON object")
	}
	if s.Strict != nil && (s.Strict.AccessKeyID == "" || s.Strict.Secret == "") {
		return serveScript{}, fmt.Errorf("script: strict needs access_key_id and secret")
	}
	for _, f := range s.Default {
		if _, err := f.fault(); err != nil {
			return serveScript{}, err
		}
	}
	for k, fs := range s.Keys {
		for _, f := range fs {
			if _, err := f.fault(); err != nil {
				return serveScript{}, fmt.Errorf("key %q: %w", k, err)
			}
		}
	}
	return s, nil
}

// faults converts specs that parseScript has checked.
func faults(specs []faultSpec) []yunrttest.Fault {
	out := make([]yunrttest.Fault, 0, len(specs))
	for _, s := range specs {
		f, _ := s.fault()
		out = append(out, f)
	}
	return out
}

// fault converts and checks one spec.
func (s faultSpec) fault() (yunrttest.Fault, error) {
	f := yunrttest.Fault{
		Code: s.Code, Message: s.Message, Status: s.Status, RetryAfter: s.RetryAfter,
		Gzip: s.Gzip, Reset: s.Reset, Hangup: s.Hangup, Performed: s.Performed,
	}
	if s.Status != 0 && (s.Status < 100 || s.Status > 599) {
		return f, fmt.Errorf("fault: status %d is not an HTTP status", s.Status)
	}
	var err error
	if s.Format != "" {
		if f.Format, err = yunrttest.ParseFormat(s.Format); err != nil {
			return f, fmt.Errorf("fault: %w", err)
		}
	}
	if f.TimeLeft, err = duration("time_left", s.TimeLeft); err != nil {
		return f, err
	}
	if f.Latency, err = duration("latency", s.Latency); err != nil {
		return f, err
	}
	if len(s.Header) > 0 {
		f.Header = http.Header{}
		for k, v := range s.Header {
			f.Header.Set(k, v)
		}
	}
	if s.Body != nil {
		f.Body = []byte(*s.Body)
	}
	return f, nil
}

// duration parses a non-negative Go duration; "" is zero.
func duration(name, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("fault: %s %q is not a duration like 1.5s", name, v)
	}
	return d, nil
}

// parseFaultFlag parses one -fault flag: comma-separated items, each a
// key=value (code, message, status, format, retry-after, timeleft,
// latency) or a word (reset, hangup, performed, gzip, ok); any other bare
// word is the code. "ok" is a plain success. Examples:
// "Throttling.User", "ServiceUnavailable,format=xml",
// "status=502,format=html", "Timeout,performed", "reset,performed".
func parseFaultFlag(v string) (yunrttest.Fault, error) {
	var s faultSpec
	if strings.TrimSpace(v) == "" {
		return yunrttest.Fault{}, fmt.Errorf("fault: empty")
	}
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		k, val, kv := strings.Cut(item, "=")
		if !kv {
			switch strings.ToLower(item) {
			case "reset":
				s.Reset = true
			case "hangup":
				s.Hangup = true
			case "performed":
				s.Performed = true
			case "gzip":
				s.Gzip = true
			case "ok", "success":
			case "":
				return yunrttest.Fault{}, fmt.Errorf("fault %q: empty item", v)
			default:
				if s.Code != "" {
					return yunrttest.Fault{}, fmt.Errorf("fault %q: two codes (%s, %s)", v, s.Code, item)
				}
				s.Code = item
			}
			continue
		}
		if err := s.set(strings.ToLower(strings.TrimSpace(k)), val); err != nil {
			return yunrttest.Fault{}, fmt.Errorf("fault %q: %w", v, err)
		}
	}
	return s.fault()
}

// set sets one key=value item of a -fault flag.
func (s *faultSpec) set(k, v string) error {
	switch k {
	case "code":
		s.Code = v
	case "message":
		s.Message = v
	case "status":
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("status %q is not a number", v)
		}
		s.Status = n
	case "format":
		s.Format = v
	case "retry-after", "retry_after":
		s.RetryAfter = v
	case "timeleft", "time_left", "time-left":
		s.TimeLeft = v
	case "latency":
		s.Latency = v
	default:
		return fmt.Errorf("unknown item %q (want code, message, status, format, retry-after, timeleft, latency, reset, hangup, performed, gzip or ok)", k)
	}
	return nil
}

// describe names a fault briefly for the startup banner.
func describe(f yunrttest.Fault) string {
	var parts []string
	switch {
	case f.Code != "":
		parts = append(parts, f.Code)
	case f.Status != 0:
		parts = append(parts, "HTTP "+strconv.Itoa(f.Status))
	case !f.Reset && !f.Hangup:
		parts = append(parts, "ok")
	}
	if f.Format != yunrttest.FormatDefault {
		parts = append(parts, f.Format.String())
	}
	for _, w := range []struct {
		on   bool
		name string
	}{{f.Reset, "reset"}, {f.Hangup, "hangup"}, {f.Performed, "performed"}, {f.Gzip, "gzip"}} {
		if w.on {
			parts = append(parts, w.name)
		}
	}
	if f.Latency > 0 {
		parts = append(parts, "after "+f.Latency.String())
	}
	return strings.Join(parts, " ")
}
