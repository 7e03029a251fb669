package sign

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, with context (the scheme and the name of the header or parameter
// concerned, never its value).
var (
	// ErrSignatureMismatch: the recomputed signature (or a signed body
	// digest) differs from the one the request carries.
	ErrSignatureMismatch = errors.New("sign: signature does not match")
	// ErrMalformedAuthorization: an authorization header, signature
	// parameter or signature method cannot be parsed or is not supported.
	ErrMalformedAuthorization = errors.New("sign: malformed authorization")
	// ErrMalformedTimestamp: a signed timestamp cannot be parsed.
	ErrMalformedTimestamp = errors.New("sign: malformed timestamp")
	// ErrMissingCredentials: the credentials have no access key id or no
	// secret, or Verify was given an empty secret.
	ErrMissingCredentials = errors.New("sign: missing credentials")
	// ErrMissingHeader: a header the scheme needs is absent.
	ErrMissingHeader = errors.New("sign: missing header")
	// ErrMissingParameter: a query or form parameter the scheme needs is
	// absent.
	ErrMissingParameter = errors.New("sign: missing parameter")
	// ErrInvalidRequest: the request cannot be signed or verified as it is
	// (nil request or URL, unparsable query or form body, no host, …).
	ErrInvalidRequest = errors.New("sign: invalid request")
	// ErrInvalidNonce: a Stamp nonce contains characters other than ASCII
	// letters, digits, '-', '_' and '.', or is longer than 128 bytes.
	ErrInvalidNonce = errors.New("sign: invalid nonce")
	// ErrUnknownScheme: Verify was given a scheme name it does not know.
	ErrUnknownScheme = errors.New("sign: unknown scheme")
	// ErrCredentials: the CredentialsProvider failed; the provider's own
	// error is wrapped as well.
	ErrCredentials = errors.New("sign: retrieve credentials")
)
