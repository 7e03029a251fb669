package sign

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Canonical is what one signing computed before the key was applied: the
// view a user debugging SignatureDoesNotMatch compares with the server's
// echo (Aliyun returns its string-to-sign in the error message, API Gateway
// in X-Ca-Error-Message).
//
// Canonical never holds an access key secret, a key derived from it or a
// signature. A security token the credentials carry is shown as REDACTED
// (wherever it appears, encoded or not), so with a token the hash inside
// StringToSign is that of the unredacted Request.
type Canonical struct {
	// Scheme is one of the Scheme constants.
	Scheme string
	// Request is the canonical request. For Aliyun RPC it is the sorted,
	// encoded parameter string (the scheme has no other canonical
	// request); for API Gateway, whose signature covers its string-to-sign
	// directly, it equals StringToSign.
	Request string
	// StringToSign is what the signing key is applied to. Baidu
	// bce-auth-v1 applies its key to the canonical request itself, so
	// there StringToSign equals Request (the key derives from the
	// Authorization's prefix, bce-auth-v1/{AK}/{timestamp}/{expiration}).
	StringToSign string
	// SignedHeaders are the signed header names as the signature lists
	// them (';'-separated; ','-separated for API Gateway's
	// X-Ca-Signature-Headers); "" for Aliyun RPC, which signs none.
	SignedHeaders string
}

// String prints the three parts under headings, for a terminal.
func (c Canonical) String() string {
	return "scheme: " + c.Scheme + "\n" +
		"--- canonical request ---\n" + c.Request + "\n" +
		"--- string to sign ---\n" + c.StringToSign + "\n" +
		"--- signed headers ---\n" + c.SignedHeaders + "\n"
}

// redact replaces every occurrence of token (raw, and percent-encoded once
// and twice, as the RPC string-to-sign holds it) with REDACTED.
func (c Canonical) redact(token string) Canonical {
	if token == "" {
		return c
	}
	once := percentEncode(token, false)
	r := strings.NewReplacer(percentEncode(once, false), redacted, once, redacted, token, redacted)
	c.Request = r.Replace(c.Request)
	c.StringToSign = r.Replace(c.StringToSign)
	c.SignedHeaders = r.Replace(c.SignedHeaders)
	return c
}

// explainer is implemented by every Signer of this package.
type explainer interface {
	sign(ctx context.Context, r *http.Request, body []byte, s Stamp) (Canonical, error)
}

// Explain is s.Sign(ctx, r, body, st) that also returns the canonical
// request, string-to-sign and signed headers of that signing: r is signed
// in place exactly as Sign signs it. s must be a Signer of this package;
// for any other Explain fails with ErrUnknownScheme and leaves r unchanged.
// Like Sign, it is safe for concurrent use with distinct requests.
func Explain(ctx context.Context, s Signer, r *http.Request, body []byte, st Stamp) (Canonical, error) {
	e, ok := s.(explainer)
	if !ok {
		return Canonical{}, fmt.Errorf("%w: %T is not a signer of package sign", ErrUnknownScheme, s)
	}
	return e.sign(ctx, r, body, st)
}
