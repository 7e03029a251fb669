// Package redact removes credentials from what yunrt's observers record:
// free texts (provider messages, error texts) and request URLs. It is
// shared by the otel package, the slog observer and the root package's
// LogValue methods, so a span, a log line and a logged value hide the same
// things. Every function is safe for concurrent use.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/yunrt/yunrt/classify"
)

// MaxText is the longest free text Text returns, in bytes (plus "…" when
// it cut the text).
const MaxText = 512

// Mark replaces a credential in a free text.
const Mark = "[redacted]"

// URLMark replaces a credential in a URL: the value the OpenTelemetry
// semantic conventions give for url.full ("REDACTED").
const URLMark = "REDACTED"

var (
	// A URL's query string: Aliyun RPC requests carry Signature,
	// AccessKeyId, SignatureNonce and SecurityToken there.
	queryRE = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s"'?#]*)\?[^\s"'#]*`)
	// key=value pairs and JSON "key": "value" members whose key names a
	// credential.
	secretRE = regexp.MustCompile(`(?i)([\w.-]*(?:signature|token|secret|password|credential|accesskey)[\w.-]*\s*=\s*)("[^"]*"|[^\s&,;"']+)`)
	jsonRE   = regexp.MustCompile(`(?i)("[\w.-]*(?:signature|token|secret|password|credential|accesskey|authorization)[\w.-]*"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// Credential headers written as "Name: value": the value runs to the
	// line's end or a quote, and takes in the quoted auth-params of a
	// scheme such as Digest (response="…", also JSON-escaped: response=\"…\").
	// A value that is only a quoted string is left to classify.Scrub,
	// which keeps its quotes; an empty one gets no mark.
	headerRE = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|x-acs-security-token|x-tc-token|x-bce-security-token)(\s*:\s*)` +
		`(?:` + authParam + `|[^\r\n"\s])(?:` + authParam + `|[^\r\n"])*`)
	// A BCE authorization string, bce-auth-v1/{ak}/{time}/{expiry}/
	// {signed headers, ';'-separated}/{signature}: all of it after the
	// prefix (classify.Scrub stops at the first ';', before the signature).
	bceRE = regexp.MustCompile(`(?i)(bce-auth-v1/)[^\s"'<>]*`)
	// A URL's user information (user:password@).
	userinfoRE = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://)[^/?#\s"'@]*@`)
	// Aliyun echoes the string to sign in SignatureDoesNotMatch messages.
	stringToSignRE = regexp.MustCompile(`(?is)(string\s*to\s*sign\s*(?:is)?\s*[:=]?).*$`)
)

// authParam is a quoted auth-parameter value after its '=', its quotes
// JSON-escaped or not.
const authParam = `=\\?"[^"\r\n]*"`

// Text removes what could be a credential from a free text (a provider
// message, an error text) and cuts it to MaxText bytes: URL query
// strings, key=value pairs and JSON members whose key names a signature,
// token, secret, password, credential or access key, credential headers
// written as "Name: value", and Aliyun's echoed "string to sign" become
// Mark; so do the values classify.Scrub removes (name: value lines such
// as X-Ca-Signature, name%3Dvalue pairs, bce-auth-v1 strings).
func Text(s string) string {
	return cut(Clean(s))
}

// Clean removes credentials from a free text as Text does, without
// cutting it.
func Clean(s string) string {
	return queryRE.ReplaceAllString(Values(s), "$1?"+Mark)
}

// Values removes credentials from a free text as Clean does (a URL's
// user information among them), but keeps URL query strings, with their
// credential values replaced: every credential's name stays, so the text
// still says what was there.
func Values(s string) string {
	if s == "" {
		return s
	}
	s = userinfoRE.ReplaceAllString(s, "${1}"+Mark+"@")
	s = queryRE.ReplaceAllStringFunc(s, redactQuery) // names in any escaping (%53ignature)
	s = bceRE.ReplaceAllString(s, "${1}"+Mark)       // before Scrub, which keeps what follows a ';'
	s = headerRE.ReplaceAllString(s, "$1$2"+Mark)    // before Scrub, which ends a header's value at a quote
	s = classify.Scrub(s)
	s = stringToSignRE.ReplaceAllString(s, "$1 "+Mark)
	s = jsonRE.ReplaceAllString(s, `$1"`+Mark+`"`)
	return secretRE.ReplaceAllString(s, "$1"+Mark)
}

// cut cuts s to MaxText bytes on a UTF-8 boundary, ending it with "…".
func cut(s string) string {
	if len(s) > MaxText {
		s = s[:MaxText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// Error is an error's text for a span or a log line: a *url.Error (which
// names the whole URL, query included) has its URL's query replaced by
// Mark, and the rest goes through Text. A nil err gives "".
func Error(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		s = strings.ReplaceAll(s, ue.URL, stripQuery(ue.URL))
	}
	return Text(s)
}

// redactQuery redacts the credential values of the query of a URL in a
// text (a match of queryRE).
func redactQuery(m string) string {
	i := strings.IndexByte(m, '?')
	return m[:i+1] + Query(m[i+1:])
}

// ErrorValues is an error's text with credential values removed and
// names kept (Values): a *url.Error's URL has its credential parameters
// redacted as URL redacts them, and the text is not cut. A nil err gives
// "".
func ErrorValues(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		if u, perr := url.Parse(ue.URL); perr == nil {
			s = strings.ReplaceAll(s, ue.URL, URL(u))
		}
	}
	return Values(s)
}

// stripQuery keeps a URL's scheme, host and path.
func stripQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Mark
	}
	out := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + Mark
	}
	return out
}

// SecretParam reports whether a query parameter's value is redacted by
// URL: its name, in any case, contains "signature" (Signature,
// SignatureNonce, X-Ca-Signature, X-Amz-Signature), "token"
// (SecurityToken, X-Amz-Security-Token), "secret" (AccessKeySecret),
// "credential", "password", "accesskey" (AccessKeyId, AWSAccessKeyId: an
// account's identity), "authorization" (a BCE presigned URL) or "nonce"
// (Tencent's Nonce), or it is "sig" (a shared access signature).
func SecretParam(name string) bool {
	n := strings.ToLower(name)
	if n == "sig" {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var secretWords = [...]string{"signature", "token", "secret", "credential", "password", "accesskey", "authorization", "nonce"}

// URL returns u as url.full of the OpenTelemetry semantic conventions,
// with credentials redacted: user information becomes
// "REDACTED:REDACTED", the value of every query parameter SecretParam
// names becomes "REDACTED" (the name stays, so a reader sees a signed
// URL), and the fragment is dropped (a client never sends it). The other
// parameters keep their order and encoding. A nil u gives "".
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.Fragment, c.RawFragment = "", ""
	if c.User != nil {
		c.User = url.UserPassword(URLMark, URLMark)
	}
	c.RawQuery = Query(c.RawQuery)
	c.ForceQuery = false
	return c.String()
}

// Query redacts the values of the credential parameters of a raw query
// string (see URL). Parameters are separated by '&' or ';' (net/url no
// longer splits at ';', but some servers still do).
func Query(raw string) string {
	if raw == "" {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	for len(raw) > 0 {
		part := raw
		if i := strings.IndexAny(raw, "&;"); i >= 0 {
			part, raw = raw[:i], raw[i:]
		} else {
			raw = ""
		}
		if part == "" { // a separator
			b.WriteByte(raw[0])
			raw = raw[1:]
			continue
		}
		name, _, hasValue := strings.Cut(part, "=")
		key, err := url.QueryUnescape(name)
		if err != nil {
			key = name
		}
		if !SecretParam(key) {
			b.WriteString(part)
			continue
		}
		b.WriteString(name)
		if hasValue {
			b.WriteString("=" + URLMark)
		}
	}
	return b.String()
}
