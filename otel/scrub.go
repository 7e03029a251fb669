package otel

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxText is the longest free text (provider message, error text) put in
// an attribute, in bytes.
const maxText = 512

const redacted = "[redacted]"

var (
	// A URL's query string: Aliyun RPC requests carry Signature,
	// AccessKeyId, SignatureNonce and SecurityToken there.
	queryRE = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s"'?#]*)\?[^\s"'#]*`)
	// key=value pairs and JSON "key": "value" members whose key names a
	// credential.
	secretRE = regexp.MustCompile(`(?i)([\w.-]*(?:signature|token|secret|password|credential|accesskey)[\w.-]*\s*=\s*)("[^"]*"|[^\s&,;"']+)`)
	jsonRE   = regexp.MustCompile(`(?i)("[\w.-]*(?:signature|token|secret|password|credential|accesskey|authorization)[\w.-]*"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// Credential headers written as "Name: value", up to the line's end.
	headerRE = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|x-acs-security-token|x-tc-token|x-bce-security-token)(\s*:\s*)[^\r\n"]*`)
	// Aliyun echoes the string to sign in SignatureDoesNotMatch messages.
	stringToSignRE = regexp.MustCompile(`(?is)(string\s*to\s*sign\s*(?:is)?\s*[:=]?).*$`)
)

// scrub removes what could be a credential from a free text (a provider
// message, an error text) and cuts it to maxText bytes.
func scrub(s string) string {
	if s == "" {
		return s
	}
	s = stringToSignRE.ReplaceAllString(s, "$1 "+redacted)
	s = queryRE.ReplaceAllString(s, "$1?"+redacted)
	s = jsonRE.ReplaceAllString(s, `$1"`+redacted+`"`)
	s = headerRE.ReplaceAllString(s, "$1$2"+redacted)
	s = secretRE.ReplaceAllString(s, "$1"+redacted)
	if len(s) > maxText {
		s = s[:maxText]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// errorText is an error's text for a span: a *url.Error (which names the
// whole URL, query included) is reduced to its operation and cause, and
// the rest is scrubbed.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		s = strings.ReplaceAll(s, ue.URL, redactURL(ue.URL))
	}
	return scrub(s)
}

// redactURL keeps a URL's scheme, host and path.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	out := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + redacted
	}
	return out
}
