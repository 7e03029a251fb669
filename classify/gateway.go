package classify

// GatewayCode returns the code yunrt gives an API Gateway response that
// has an X-Ca-Error-Message but no X-Ca-Error-Code: the documented message
// the text starts with (letter case ignored; "Invalid Signature, Server
// StringToSign:…" is "Invalid Signature"), else the text itself.
//
// The messages are those of API Gateway's shared-instance client and
// server error tables; each is also a code of the default table.
func GatewayCode(msg string) string {
	for _, m := range [...]string{
		"Throttled by USER Flow Control",
		"Throttled by APP Flow Control",
		"Throttled by API Flow Control",
		"Throttled by DOMAIN Flow Control",
		"Quota Exhausted",
		"Expiry of Authorization",
		"Quota Expired",
		"User Arrears",
		"Api Market Subscription Expired",
		"Empty Request Body",
		"Invalid Request Body",
		"Invalid Param Location",
		"Unsupported Multipart",
		"Invalid Url",
		"Invalid Domain",
		"Invalid HttpMethod",
		"Invalid AppKey",
		"Invalid AppSecret",
		"Timestamp Expired",
		"Invalid Timestamp",
		"Empty Signature",
		"Invalid Signature",
		"Invalid Content-MD5",
		"Nonce Used",
		"Unauthorized",
		"Internal Error",
		"Failed To Call Backend Service",
		"Service Unavailable",
		"Async Service",
	} {
		if hasPrefixFold(msg, m) && (len(msg) == len(m) || !isKeyByte(msg[len(m)])) {
			return m
		}
	}
	return Cut(msg, MaxCodeLen)
}

// NonceReplay reports whether a code says the request's nonce was seen
// before, so that an unsigned write's first copy may have been processed:
// Aliyun SignatureNonceUsed and API Gateway's "Nonce Used" (names no other
// provider uses, so p may be Unknown), and Tencent API 2.0's 4500 (a
// reused Nonce, or a Timestamp too far off).
func NonceReplay(p Provider, code string) bool {
	return code == "SignatureNonceUsed" || code == "Nonce Used" || p == Tencent && code == "4500"
}
