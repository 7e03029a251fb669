package testserver

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// NonceWindow is how long a strict server remembers a nonce: Aliyun's
// timestamp window, 15 minutes.
const NonceWindow = 15 * time.Minute

// WithStrict makes the server a strict gateway, as the real ones are: it
// verifies every request's signature with these test credentials (Aliyun
// RPC v1, ACS3 or API Gateway; Tencent TC3; Baidu bce-auth-v1, told apart by
// the request), rejects a timestamp outside the provider's window by the
// server's clock (Aliyun 15 min, Tencent 5 min, Baidu the signed
// expiration, and for Baidu also more than 15 min in the future), and
// remembers Aliyun nonces for NonceWindow, rejecting a reuse. Rejections use
// the provider's real codes (SignatureDoesNotMatch, InvalidTimeStamp.Expired,
// SignatureNonceUsed, AuthFailure.SignatureFailure, AuthFailure.SignatureExpire,
// RequestExpired, …; an API Gateway app request gets the gateway's answer,
// see gatewayRejection), count as attempts and never perform the action, and
// do not consume the key's script: the script describes what happens
// behind the gateway.
func WithStrict(accessKeyID, secret string) Option {
	return func(c *config) { c.strict = &strictConfig{ak: accessKeyID, secret: secret} }
}

type strictConfig struct {
	ak, secret string
}

// nonces remembers the nonces a strict server has seen.
type nonces struct {
	mu   sync.Mutex
	seen map[string]time.Time
	next time.Time // next pruning
}

// use records nonce at now and reports whether it was seen within the
// window before.
func (n *nonces) use(nonce string, now time.Time) (reused bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen == nil {
		n.seen = map[string]time.Time{}
	}
	if !now.Before(n.next) {
		for k, at := range n.seen {
			if now.Sub(at) > NonceWindow {
				delete(n.seen, k)
			}
		}
		n.next = now.Add(time.Minute)
	}
	if at, ok := n.seen[nonce]; ok && now.Sub(at) <= NonceWindow {
		return true
	}
	n.seen[nonce] = now
	return false
}

// schemeOf tells which signature a request carries, "" when none.
func schemeOf(p classify.Provider, r *http.Request, form url.Values) string {
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "TC3-HMAC-SHA256"):
		return sign.SchemeTencentTC3
	case strings.HasPrefix(auth, "bce-auth-v1/"):
		return sign.SchemeBaiduBCE
	case strings.HasPrefix(auth, "ACS3-HMAC-SHA256"):
		return sign.SchemeAliyunV3
	case r.Header.Get("X-Ca-Signature") != "":
		return sign.SchemeAliyunGateway
	case r.URL.Query().Get("Signature") != "" || form.Get("Signature") != "":
		return sign.SchemeAliyunRPC
	}
	return ""
}

// rejection codes per provider.
type rejectCodes struct {
	missing, malformed, unknownKey, mismatch, expired string
}

func codesFor(p classify.Provider) rejectCodes {
	switch p {
	case classify.Tencent:
		return rejectCodes{"AuthFailure.InvalidAuthorization", "AuthFailure.InvalidAuthorization", "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureFailure", "AuthFailure.SignatureExpire"}
	case classify.Baidu:
		return rejectCodes{"AccessDenied", "InvalidHTTPAuthHeader", "InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestExpired"}
	}
	return rejectCodes{"MissingSignature", "IncompleteSignature", "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch", "InvalidTimeStamp.Expired"}
}

// check verifies a request as a strict gateway; it returns the rejection
// fault, or ok.
func (s *Server) check(r *http.Request, body []byte) (Fault, bool) {
	c := codesFor(s.p)
	scheme := schemeOf(s.p, r, formValues(r, body))
	if scheme == "" {
		return Fault{Code: c.missing, Message: "The request carries no signature."}, false
	}
	f, ok := s.checkSigned(r, body, scheme, c)
	if !ok && scheme == sign.SchemeAliyunGateway {
		return gatewayRejection(f.Code, c), false
	}
	return f, ok
}

// checkSigned verifies a signed request (see check).
func (s *Server) checkSigned(r *http.Request, body []byte, scheme string, c rejectCodes) (Fault, bool) {
	parsed, err := sign.Verify(scheme, r, body, s.cfg.strict.secret)
	switch {
	case parsed.AccessKeyID != "" && parsed.AccessKeyID != s.cfg.strict.ak:
		return Fault{Code: c.unknownKey, Message: "Specified access key is not found."}, false
	case errors.Is(err, sign.ErrSignatureMismatch):
		return Fault{Code: c.mismatch, Message: "Specified signature is not matched with our calculation."}, false
	case err != nil:
		return Fault{Code: c.malformed, Message: "The signature is malformed."}, false
	}
	now := s.cfg.clock()
	ts := parsed.Time
	var expired bool
	switch s.p {
	case classify.Tencent:
		expired = absDuration(now.Sub(ts)) > 5*time.Minute
	case classify.Baidu:
		exp := parsed.Expiration
		if exp <= 0 {
			exp = 1800 * time.Second
		}
		expired = now.After(ts.Add(exp)) || ts.Sub(now) > 15*time.Minute
	default:
		expired = absDuration(now.Sub(ts)) > 15*time.Minute
	}
	if expired {
		return Fault{Code: c.expired, Message: "Specified time stamp or date value is expired. Timestamp date is " + ts.Format(time.RFC3339)}, false
	}
	if parsed.Nonce != "" && s.nonces.use(parsed.Nonce, now) {
		return Fault{Code: "SignatureNonceUsed", Message: "Specified signature nonce was used already."}, false
	}
	return Fault{}, true
}

// gatewayRejection is API Gateway's answer to an app request the strict
// check rejected with code: HTTP 400 and the gateway's message in
// X-Ca-Error-Message ("Invalid Signature", "Nonce Used", "Invalid
// Timestamp", "Invalid AppKey"), an empty body and no X-Ca-Error-Code, as
// a shared instance answers (classify.GatewayCode names it). The logged
// Fault's Code is that message.
func gatewayRejection(code string, c rejectCodes) Fault {
	msg := "Invalid Signature" // a mismatch, or a malformed signature
	switch code {
	case c.unknownKey:
		msg = "Invalid AppKey"
	case c.expired:
		msg = "Invalid Timestamp"
	case "SignatureNonceUsed":
		msg = "Nonce Used"
	}
	return Fault{Code: msg, Message: msg, Status: http.StatusBadRequest, Format: FormatGatewayHeaders,
		Header: http.Header{"X-Ca-Error-Code": nil}}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
