// Package sign signs and verifies requests to Chinese cloud OpenAPIs: Aliyun
// RPC signature v1 (HMAC-SHA1), Aliyun ACS3-HMAC-SHA256 (V3), Aliyun API
// Gateway app signatures, Tencent Cloud TC3-HMAC-SHA256 and Baidu AI Cloud
// bce-auth-v1.
//
// A [Signer] signs one attempt of a request in place from a [Stamp] (time and
// nonce): it first removes whatever signature, nonce, timestamp and
// authorization headers or parameters an earlier signer left (an official SDK,
// or an earlier attempt), so a retry can be re-signed with a fresh nonce and
// timestamp without duplicates. Signers hold no mutable state and are safe for
// concurrent use by multiple goroutines.
//
// [Explain] signs like Sign and returns the [Canonical] forms of that signing
// (canonical request, string-to-sign, signed headers), for debugging a
// SignatureDoesNotMatch; they never hold the secret or a key derived from it.
//
// The signers agree with the official SDKs' signers on randomized inputs
// (the differential tests of the interop module); where an SDK and the
// provider's documentation disagree, the signer's doc comment says which it
// follows.
//
// The Parse functions and [Verify] are the server side: they read a request
// as a [net/http.Handler] receives it and recompute its signature, for strict
// test servers. They never panic, whatever the input.
//
// Errors wrap one of the package's sentinel errors (test with [errors.Is]).
// No error text, String or GoString output of this package ever contains an
// access key secret, a security token or a signature value (the one text it
// does not write is a failing CredentialsProvider's own error, which it wraps
// as is).
//
// The package uses the Go standard library only.
package sign
