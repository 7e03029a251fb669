package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yunrt/yunrt/sign"
)

const signUsage = `Usage: yunrt sign --scheme S [flags] URL

Signs one request as yunrt would and prints the canonical request, the
string-to-sign and the signed headers, to diff against what the server
echoes in a SignatureDoesNotMatch message (Aliyun returns its
string-to-sign; API Gateway its StringToSign in X-Ca-Error-Message). The
secret is read from an environment variable and is never printed; a
security token is shown as REDACTED. Flags may come before or after URL.

Schemes: aliyun-rpc, aliyun-v3, aliyun-gateway, tencent-tc3, baidu-bce.

Example:
  YUNRT_ACCESS_KEY_SECRET=... yunrt sign --scheme aliyun-v3 --ak LTAI5t... \
    -H 'x-acs-action: DescribeRegions' -H 'x-acs-version: 2014-05-26' \
    --time 2023-10-26T10:22:32Z --nonce 3156853299f313e23d1673dc12e1703d \
    'https://ecs.cn-hangzhou.aliyuncs.com/?RegionId=cn-hangzhou'

Flags:
`

// signFlags are the parsed flags of "yunrt sign".
type signFlags struct {
	scheme, method, ak, secretEnv, tokenEnv string
	body, bodyFile, at, nonce, service      string
	expiration                              time.Duration
	headers                                 headerFlags
	jsonOut                                 bool
}

// headerFlags collects repeated -H "Name: value" flags in order.
type headerFlags [][2]string

func (h *headerFlags) String() string { return fmt.Sprint(*h) }

func (h *headerFlags) Set(s string) error {
	name, value, err := parseHeaderFlag(s)
	if err != nil {
		return err
	}
	*h = append(*h, [2]string{name, value})
	return nil
}

// errHeaderFlag is the error of a -H value that is not "Name: value".
var errHeaderFlag = errors.New(`want "Name: value" with a token name and no control characters`)

// parseHeaderFlag splits "Name: value" (curl's -H form): the name is an
// RFC 7230 token, kept as written; the value is trimmed and may be empty; no
// part may hold a control character other than a tab in the value.
func parseHeaderFlag(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return "", "", errHeaderFlag
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return "", "", errHeaderFlag
		}
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return "", "", errHeaderFlag
		}
	}
	return name, value, nil
}

// parseSignTime reads --time: RFC 3339 or Unix seconds; "" means now.
func parseSignTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(sec, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--time %q: want RFC 3339 (2023-10-26T10:22:32Z) or Unix seconds", s)
	}
	return t, nil
}

// newSigner returns the signer of a scheme name.
func newSigner(f *signFlags, c sign.CredentialsProvider) (sign.Signer, error) {
	switch f.scheme {
	case sign.SchemeAliyunRPC:
		return sign.AliyunRPC(c), nil
	case sign.SchemeAliyunV3:
		return sign.AliyunV3(c), nil
	case sign.SchemeAliyunGateway:
		return sign.AliyunGateway(c), nil
	case sign.SchemeTencentTC3:
		return sign.TencentTC3Service(c, f.service), nil
	case sign.SchemeBaiduBCE:
		return sign.BaiduBCE(c, f.expiration), nil
	}
	return nil, fmt.Errorf("unknown --scheme %q (want aliyun-rpc, aliyun-v3, aliyun-gateway, tencent-tc3 or baidu-bce)", f.scheme)
}

// newSignCommand declares sign's flags into f.
func newSignCommand(f *signFlags, stdout, stderr io.Writer) *command {
	cmd := newCommand("sign", signUsage, stdout, stderr)
	fs := cmd.fs
	fs.StringVar(&f.scheme, "scheme", "", "signature scheme (required)")
	fs.StringVar(&f.method, "method", http.MethodGet, "HTTP method")
	fs.StringVar(&f.method, "X", http.MethodGet, "HTTP method (short for --method)")
	fs.Var(&f.headers, "H", `request header "Name: value" (repeatable; a name given twice sends two values)`)
	fs.StringVar(&f.body, "body", "", "request body")
	fs.StringVar(&f.bodyFile, "body-file", "", "read the request body from this file")
	fs.StringVar(&f.ak, "ak", os.Getenv("YUNRT_ACCESS_KEY_ID"), "access key id, AppKey or SecretId (default $YUNRT_ACCESS_KEY_ID)")
	fs.StringVar(&f.secretEnv, "secret-env", "YUNRT_ACCESS_KEY_SECRET", "environment variable holding the secret")
	fs.StringVar(&f.tokenEnv, "token-env", "", "environment variable holding an STS security token (none by default)")
	fs.StringVar(&f.at, "time", "", "signing time, RFC 3339 or Unix seconds (default now)")
	fs.StringVar(&f.nonce, "nonce", "", "nonce for the schemes that carry one (default a fresh one)")
	fs.StringVar(&f.service, "service", "", "tencent-tc3: service of the credential scope (default the host's first label)")
	fs.DurationVar(&f.expiration, "expiration", 0, "baidu-bce: signature validity (default 1800s)")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object")
	return cmd
}

// runSign runs "yunrt sign" with args (without "sign"), writing to stdout
// and stderr, and returns the exit code. Help (-h) goes to stdout, as for
// every command.
func runSign(args []string, stdout, stderr io.Writer) int {
	var f signFlags
	cmd := newSignCommand(&f, stdout, stderr)
	pos, err := parseInterleaved(cmd.fs, args)
	if code, done := cmd.parsed(err); done {
		return code
	}
	usageErr := cmd.usageErr
	if len(pos) != 1 {
		return usageErr("one URL expected, got %d arguments", len(pos))
	}
	r, body, st, err := signInput(&f, pos[0])
	if err != nil {
		return usageErr("%v", err)
	}
	creds := sign.StaticCredentials{AccessKeyID: f.ak, AccessKeySecret: os.Getenv(f.secretEnv)}
	if f.tokenEnv != "" {
		creds.SecurityToken = os.Getenv(f.tokenEnv)
	}
	switch {
	case creds.AccessKeyID == "":
		return usageErr("missing --ak (or $YUNRT_ACCESS_KEY_ID)")
	case creds.AccessKeySecret == "":
		return usageErr("the secret variable $%s is empty", f.secretEnv)
	}
	s, err := newSigner(&f, creds)
	if err != nil {
		return usageErr("%v", err)
	}
	c, err := sign.Explain(context.Background(), s, r, body, st)
	if err != nil {
		fmt.Fprintf(stderr, "yunrt sign: %v\n", err)
		return exitFail
	}
	if err := writeSigned(stdout, f.jsonOut, c, r, creds.SecurityToken); err != nil {
		fmt.Fprintf(stderr, "yunrt sign: %v\n", err)
		return exitFail
	}
	return exitOK
}

// signInput builds the request, body and stamp the flags describe.
func signInput(f *signFlags, rawURL string) (*http.Request, []byte, sign.Stamp, error) {
	t, err := parseSignTime(f.at)
	if err != nil {
		return nil, nil, sign.Stamp{}, err
	}
	r, err := http.NewRequest(strings.ToUpper(f.method), rawURL, nil)
	if err != nil {
		return nil, nil, sign.Stamp{}, fmt.Errorf("bad URL: %w", err)
	}
	if r.URL.Host == "" {
		return nil, nil, sign.Stamp{}, fmt.Errorf("URL %q has no host", rawURL)
	}
	for _, h := range f.headers {
		r.Header[h[0]] = append(r.Header[h[0]], h[1]) // the spelling given
	}
	body := []byte(f.body)
	if f.bodyFile != "" {
		if f.body != "" {
			return nil, nil, sign.Stamp{}, errors.New("give --body or --body-file, not both")
		}
		if body, err = os.ReadFile(f.bodyFile); err != nil {
			return nil, nil, sign.Stamp{}, err
		}
	}
	return r, body, sign.Stamp{Time: t, Nonce: f.nonce}, nil
}

// signedOutput is the JSON form of what sign prints.
type signedOutput struct {
	Scheme           string              `json:"scheme"`
	CanonicalRequest string              `json:"canonical_request"`
	StringToSign     string              `json:"string_to_sign"`
	SignedHeaders    string              `json:"signed_headers"`
	Method           string              `json:"method"`
	URL              string              `json:"url"`
	Headers          map[string][]string `json:"headers"`
}

// writeSigned prints the canonical forms and the signed request, with the
// security token redacted from the headers and URL.
func writeSigned(w io.Writer, jsonOut bool, c sign.Canonical, r *http.Request, token string) error {
	redact := func(s string) string { return s }
	if token != "" {
		redact = strings.NewReplacer(token, "REDACTED", urlQueryEscape(token), "REDACTED").Replace
	}
	out := signedOutput{
		Scheme: c.Scheme, CanonicalRequest: c.Request, StringToSign: c.StringToSign, SignedHeaders: c.SignedHeaders,
		Method: r.Method, URL: redact(r.URL.String()), Headers: map[string][]string{},
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			out.Headers[k] = append(out.Headers[k], redact(v))
		}
	}
	if jsonOut {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	var b strings.Builder
	b.WriteString(c.String())
	b.WriteString("--- signed request ---\n" + out.Method + " " + out.URL + "\n")
	keys := make([]string, 0, len(out.Headers))
	for k := range out.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range out.Headers[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// urlQueryEscape is the RFC 3986 form a token takes in an RPC query.
func urlQueryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
