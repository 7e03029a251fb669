package sign

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// aliyunTimeFormat is the UTC timestamp format of Aliyun RPC, ACS3 and BCE.
const aliyunTimeFormat = "2006-01-02T15:04:05Z"

// rpcSignatureParams are the parameters RPC signature v1 adds; Sign removes
// any earlier copy from the query before adding fresh ones.
var rpcSignatureParams = []string{
	"Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
	"Timestamp", "AccessKeyId", "SecurityToken",
}

func isRPCSignatureParam(k string) bool {
	for _, p := range rpcSignatureParams {
		if k == p {
			return true
		}
	}
	return false
}

type aliyunRPCSigner struct{ named }

// AliyunRPC returns a Signer for Aliyun RPC-style OpenAPIs, signature version
// 1.0 (HMAC-SHA1), as the old alibaba-cloud-sdk-go sends them.
//
// Sign removes any AccessKeyId, SignatureMethod, SignatureVersion,
// SignatureNonce, Timestamp, SecurityToken and Signature from the URL query,
// adds fresh ones (Timestamp in UTC, 2006-01-02T15:04:05Z; SecurityToken only
// when the credentials carry one), signs every query parameter plus the
// parameters of an application/x-www-form-urlencoded body (a name in both:
// the form's value only, as the SDKs sign it), and writes the
// whole query back in RFC 3986 encoding, sorted, with Signature last. The
// body is left unchanged; Sign fails if the form body itself carries a
// signature parameter, which it could not replace.
//
// The returned Signer holds no mutable state and is safe for concurrent use.
func AliyunRPC(c CredentialsProvider) Signer {
	return aliyunRPCSigner{named{name: "AliyunRPC", creds: c}}
}

// UsesNonce implements Signer.
func (aliyunRPCSigner) UsesNonce() bool { return true }

// Sign implements Signer.
func (s aliyunRPCSigner) Sign(ctx context.Context, r *http.Request, body []byte, st Stamp) error {
	_, err := s.signWith(ctx, r, body, st, false)
	return err
}

func (s aliyunRPCSigner) sign(ctx context.Context, r *http.Request, body []byte, st Stamp) (Canonical, error) {
	return s.signWith(ctx, r, body, st, true)
}

// signWith signs r; only with explain does it return the Canonical (Sign
// does not pay for the strings it would copy).
func (s aliyunRPCSigner) signWith(ctx context.Context, r *http.Request, body []byte, st Stamp, explain bool) (Canonical, error) {
	const scheme = SchemeAliyunRPC
	query, form, err := signParams(r, body, scheme)
	if err != nil {
		return Canonical{}, err
	}
	for _, p := range form {
		if isRPCSignatureParam(p.k) {
			return Canonical{}, fmt.Errorf("%w: %s: form body carries signature parameter %s", ErrInvalidRequest, scheme, p.k)
		}
	}
	c, t, nonce, err := begin(ctx, s.creds, st, scheme, true)
	if err != nil {
		return Canonical{}, err
	}
	kept := make([]param, 0, len(query)+6)
	for _, p := range query {
		if !isRPCSignatureParam(p.k) {
			kept = append(kept, p)
		}
	}
	kept = append(kept,
		param{"AccessKeyId", c.AccessKeyID},
		param{"SignatureMethod", "HMAC-SHA1"},
		param{"SignatureVersion", "1.0"},
		param{"SignatureNonce", nonce},
		param{"Timestamp", t.Format(aliyunTimeFormat)},
	)
	if c.SecurityToken != "" {
		kept = append(kept, param{"SecurityToken", c.SecurityToken})
	}
	sortParams(kept)
	// The query sent: the sorted parameters encoded, then &Signature= and
	// the encoded signature (28 base64 characters, 3 bytes each at most),
	// in one buffer.
	var q strings.Builder
	q.Grow(encodedParamsLen(kept) + len("&Signature=") + 3*rpcSignatureLen)
	writeEncodedParams(&q, kept)
	canonQuery := q.String() // the signed parameters are the query's: kept is sorted already
	if len(form) > 0 {
		canonQuery = rpcCanonicalQuery(rpcSigned(kept, form))
	}
	var buf [1024]byte
	sts := rpcAppendStringToSign(buf[:0], methodOf(r), canonQuery)
	var sig [rpcSignatureLen]byte
	rpcSign(&sig, sts, c.AccessKeySecret)
	q.WriteString("&Signature=")
	writePercentEncoded(&q, string(sig[:]), false)
	r.URL.RawQuery = q.String()
	r.URL.ForceQuery = false
	if !explain {
		return Canonical{}, nil
	}
	return Canonical{
		Scheme: scheme, Request: canonQuery, StringToSign: string(sts),
	}.redact(c.SecurityToken), nil
}

// rpcSigned is the parameters RPC signs: the query's, except those whose
// name the form body also holds, and the form's. Both official SDKs
// (alibaba-cloud-sdk-go's buildRpcStringToSign and darabonba-openapi's
// DoRPCRequest) merge the query and form maps, the form's value replacing
// the query's, and sign that; the documentation says only "all
// parameters". See TestRPCFormValueReplacesQueryValue.
func rpcSigned(query, form []param) []param {
	inForm := make(map[string]bool, len(form))
	for _, p := range form {
		inForm[p.k] = true
	}
	out := make([]param, 0, len(query)+len(form))
	for _, p := range query {
		if !inForm[p.k] {
			out = append(out, p)
		}
	}
	return append(out, form...)
}

// rpcCanonicalQuery is the sorted, RFC 3986-encoded k=v&… of all signed
// parameters (the Signature parameter excluded by the caller).
func rpcCanonicalQuery(ps []param) string {
	ps = append([]param(nil), ps...)
	sortParams(ps)
	return encodeParams(ps)
}

// rpcStringToSign is METHOD&%2F&percentEncode(canonical query), the
// method as sent: both official SDKs sign a lower-case method as given (and
// send it so), and so does yunrt (interop's TestRedteamFindings).
func rpcStringToSign(method string, ps []param) string {
	return string(rpcAppendStringToSign(nil, method, rpcCanonicalQuery(ps)))
}

// rpcAppendStringToSign appends the string to sign of the canonical query
// to dst.
func rpcAppendStringToSign(dst []byte, method, canonQuery string) []byte {
	dst = append(dst, method...)
	dst = append(dst, "&%2F&"...) // "&" + percentEncode("/") + "&"
	return appendPercentEncoded(dst, canonQuery, false)
}

// rpcSignatureLen is the length of an RPC signature, base64 (padded) of
// the 20 bytes of an HMAC-SHA1.
const rpcSignatureLen = (sha1.Size + 2) / 3 * 4

// rpcSign sets sig to base64(HMAC-SHA1(secret + "&", sts)).
func rpcSign(sig *[rpcSignatureLen]byte, sts []byte, secret string) {
	var kb [sha1.BlockSize]byte
	key := append(append(kb[:0], secret...), '&')
	var mac [sha1.Size]byte
	hmacSHA1To(&mac, key, sts)
	base64.StdEncoding.Encode(sig[:], mac[:])
}

// rpcSignature is base64(HMAC-SHA1(secret + "&", StringToSign)).
func rpcSignature(method string, ps []param, secret string) string {
	var buf [1024]byte
	var sig [rpcSignatureLen]byte
	rpcSign(&sig, rpcAppendStringToSign(buf[:0], method, rpcCanonicalQuery(ps)), secret)
	return string(sig[:])
}

// ParseAliyunRPC reads the RPC signature v1 parameters of a request received
// by a server: AccessKeyId, Signature, SignatureNonce, Timestamp (query or
// form body), with SignatureMethod HMAC-SHA1 and SignatureVersion 1.0. body
// is the complete request body; its parameters count when the Content-Type
// is application/x-www-form-urlencoded. It does not check the signature
// (see Verify) nor the timestamp's age.
func ParseAliyunRPC(r *http.Request, body []byte) (Parsed, error) {
	return parsedOnly(parseAliyunRPC(r, body))
}

func parseAliyunRPC(r *http.Request, body []byte) (Parsed, []param, error) {
	const scheme = SchemeAliyunRPC
	fail := parseFailer[[]param](scheme)
	if err := checkRequest(r, scheme); err != nil {
		return Parsed{}, nil, err
	}
	query, form, err := requestParams(r, body)
	if err != nil {
		return fail(ErrInvalidRequest, "unparsable query or form body")
	}
	vals := map[string][]string{}
	var signed []param
	for _, p := range rpcSigned(query, form) {
		if p.k == "Signature" {
			vals[p.k] = append(vals[p.k], p.v)
			continue
		}
		if isRPCSignatureParam(p.k) {
			vals[p.k] = append(vals[p.k], p.v)
		}
		signed = append(signed, p)
	}
	one := func(name string) (string, error) {
		v := vals[name]
		switch {
		case len(v) == 0 || v[0] == "":
			return "", schemeError(ErrMissingParameter, scheme, "%s", name)
		case len(v) > 1:
			return "", schemeError(ErrMalformedAuthorization, scheme, "repeated parameter %s", name)
		}
		return v[0], nil
	}
	var got [6]string
	for i, name := range []string{"AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "SignatureMethod", "SignatureVersion"} {
		if got[i], err = one(name); err != nil {
			return Parsed{}, nil, err
		}
	}
	if len(vals["SecurityToken"]) > 1 {
		return fail(ErrMalformedAuthorization, "repeated parameter SecurityToken")
	}
	if got[4] != "HMAC-SHA1" {
		return fail(ErrMalformedAuthorization, "unsupported SignatureMethod")
	}
	if got[5] != "1.0" {
		return fail(ErrMalformedAuthorization, "unsupported SignatureVersion")
	}
	if raw, err := base64.StdEncoding.DecodeString(got[1]); err != nil || len(raw) != sha1.Size {
		return fail(ErrMalformedAuthorization, "Signature is not base64 HMAC-SHA1")
	}
	t, ok := parseStamp(got[3])
	if !ok {
		return fail(ErrMalformedTimestamp, "Timestamp")
	}
	return Parsed{
		Scheme:      scheme,
		AccessKeyID: got[0],
		Nonce:       got[2],
		Time:        t,
		Signature:   got[1],
	}, signed, nil
}

func verifyAliyunRPC(r *http.Request, body []byte, secret string) (Parsed, error) {
	p, signed, err := parseAliyunRPC(r, body)
	if err != nil {
		return Parsed{}, err
	}
	return matchSignature(p, rpcSignature(methodOf(r), signed, secret))
}
