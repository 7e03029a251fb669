package sign

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Fuzz targets: every Parse function and Verify. Run one with
//
//	go test -run='^$' -fuzz='^FuzzParseAliyunV3$' -fuzztime=30s ./sign
//
// Seeds: f.Add below plus testdata/fuzz/<FuzzName>/.

var allSchemes = []string{SchemeAliyunRPC, SchemeAliyunV3, SchemeAliyunGateway, SchemeTencentTC3, SchemeBaiduBCE}

var newSigner = map[string]func(CredentialsProvider) Signer{
	SchemeAliyunRPC: AliyunRPC, SchemeAliyunV3: AliyunV3,
	SchemeAliyunGateway: AliyunGateway, SchemeTencentTC3: TencentTC3,
	SchemeBaiduBCE: func(c CredentialsProvider) Signer { return BaiduBCE(c, 0) },
}

// signedWire returns the wire bytes of each round-trip case, signed, as seeds.
func signedWire(tb testing.TB, scheme string) [][]byte {
	var out [][]byte
	for _, tc := range roundTripCases() {
		if scheme != "" && tc.scheme != scheme {
			continue
		}
		body := []byte(tc.body)
		r := newClientRequest(tb, tc.method, tc.url, tc.header, body)
		if err := tc.signer.Sign(context.Background(), r, body, fixedStamp); err != nil {
			tb.Fatal(err)
		}
		raw, err := wire(r, body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// signatureCandidates are request values that may hold a signature: no
// error text may contain them.
func signatureCandidates(r *http.Request) []string {
	var c []string
	for _, h := range []string{"Authorization", "X-Ca-Signature"} {
		c = append(c, headerValues(r.Header, h)...)
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil {
		c = append(c, q["Signature"]...)
	}
	return c
}

// checkResult asserts the invariants of a Parse or Verify result.
func checkResult(t *testing.T, what, scheme string, r *http.Request, p Parsed, err error) {
	t.Helper()
	if err != nil {
		if !wrapsSentinel(err) {
			t.Fatalf("%s: error wraps no sentinel: %v", what, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "sign: ") {
			t.Fatalf("%s: error lacks the package prefix: %q", what, msg)
		}
		for _, c := range signatureCandidates(r) {
			if len(c) >= 20 && strings.Contains(msg, c) {
				t.Fatalf("%s: error %q echoes a signature field", what, msg)
			}
		}
		if strings.Contains(msg, testSecret) {
			t.Fatalf("%s: error contains the secret", what)
		}
		if !errors.Is(err, ErrSignatureMismatch) && p != (Parsed{}) {
			t.Fatalf("%s: parse error with a non-zero Parsed %v", what, p)
		}
		return
	}
	switch {
	case p.Scheme != scheme:
		t.Fatalf("%s: Scheme %q", what, p.Scheme)
	case p.AccessKeyID == "":
		t.Fatalf("%s: empty AccessKeyID", what)
	case p.Signature == "":
		t.Fatalf("%s: empty Signature", what)
	case p.Time.IsZero() || p.Time.Location() != time.UTC:
		t.Fatalf("%s: Time %v", what, p.Time)
	}
	usesNonce := scheme == SchemeAliyunRPC || scheme == SchemeAliyunV3 || scheme == SchemeAliyunGateway
	if usesNonce != (p.Nonce != "") {
		t.Fatalf("%s: Nonce %q for %s", what, p.Nonce, scheme)
	}
	if (scheme == SchemeBaiduBCE) != (p.Expiration > 0) || p.Expiration < 0 {
		t.Fatalf("%s: Expiration %v", what, p.Expiration)
	}
	if !strings.Contains(p.AccessKeyID+p.Nonce+p.Scheme, p.Signature) && strings.Contains(p.String(), p.Signature) {
		t.Fatalf("%s: String shows the signature", what)
	}
}

// fuzzParse runs one Parse function on raw request bytes, then Verify, and
// checks that they agree.
func fuzzParse(t *testing.T, scheme string, raw []byte, parse func(*http.Request, []byte) (Parsed, error)) {
	r, body, err := fromWire(raw)
	if err != nil {
		t.Skip()
	}
	p, err := parse(r, body)
	checkResult(t, "parse", scheme, r, p, err)
	p2, err2 := parse(r, body)
	if p != p2 || (err == nil) != (err2 == nil) {
		t.Fatalf("parse is not deterministic")
	}
	vp, verr := Verify(scheme, r, body, testSecret)
	checkResult(t, "verify", scheme, r, vp, verr)
	if err == nil {
		// A parsable request verifies or mismatches (the gateway parser
		// does not read the body, whose form Verify parses).
		if verr != nil && !errors.Is(verr, ErrSignatureMismatch) &&
			!(scheme == SchemeAliyunGateway && errors.Is(verr, ErrInvalidRequest)) {
			t.Fatalf("parsed, but Verify failed to parse: %v", verr)
		}
		if verr == nil || errors.Is(verr, ErrSignatureMismatch) {
			if vp != p {
				t.Fatalf("Verify's Parsed %v differs from Parse's %v", vp, p)
			}
		}
	} else if verr == nil {
		t.Fatalf("Parse failed (%v) but Verify accepted", err)
	}
}

func addWireSeeds(f *testing.F, scheme string) {
	for _, raw := range signedWire(f, scheme) {
		f.Add(raw)
	}
	f.Add([]byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"))
}

func FuzzParseAliyunRPC(f *testing.F) {
	addWireSeeds(f, SchemeAliyunRPC)
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzParse(t, SchemeAliyunRPC, raw, ParseAliyunRPC)
	})
}

func FuzzParseAliyunV3(f *testing.F) {
	addWireSeeds(f, SchemeAliyunV3)
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzParse(t, SchemeAliyunV3, raw, func(r *http.Request, _ []byte) (Parsed, error) { return ParseAliyunV3(r) })
	})
}

func FuzzParseAliyunGateway(f *testing.F) {
	addWireSeeds(f, SchemeAliyunGateway)
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzParse(t, SchemeAliyunGateway, raw, func(r *http.Request, _ []byte) (Parsed, error) { return ParseAliyunGateway(r) })
	})
}

func FuzzParseTencentTC3(f *testing.F) {
	addWireSeeds(f, SchemeTencentTC3)
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzParse(t, SchemeTencentTC3, raw, func(r *http.Request, _ []byte) (Parsed, error) { return ParseTencentTC3(r) })
	})
}

func FuzzParseBaiduBCE(f *testing.F) {
	addWireSeeds(f, SchemeBaiduBCE)
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzParse(t, SchemeBaiduBCE, raw, func(r *http.Request, _ []byte) (Parsed, error) { return ParseBaiduBCE(r) })
	})
}

// FuzzVerifyRaw feeds arbitrary requests to Verify under every scheme: it
// never panics, every error wraps a sentinel, and an accepted request parses
// to a consistent Parsed.
func FuzzVerifyRaw(f *testing.F) {
	addWireSeeds(f, "")
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, scheme := range allSchemes {
			r, body, err := fromWire(raw)
			if err != nil {
				t.Skip()
			}
			p, err := Verify(scheme, r, body, testSecret)
			checkResult(t, "verify "+scheme, scheme, r, p, err)
		}
		// Nil and URL-less requests are errors, not panics.
		for _, scheme := range allSchemes {
			if _, err := Verify(scheme, nil, raw, testSecret); !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("nil request: %v", err)
			}
			if _, err := Verify(scheme, &http.Request{}, raw, testSecret); !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("nil URL: %v", err)
			}
		}
	})
}

// FuzzVerify signs a request built from the inputs with each signer, sends
// it through net/http's wire format, and checks that Verify accepts it with
// the secret, reports the stamp, and rejects any other secret.
func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), uint8(0), "/", "Action=DescribeRegions&RegionId=cn-hangzhou", "X-Acs-Region-Id", "cn-hangzhou", "", []byte(nil), testSecret)
	f.Add(uint8(1), uint8(1), "/", "RegionId=cn-shanghai", "x-acs-foo", " a  b ", "application/json", []byte(`{"a":1}`), "YourAccessKeySecret")
	f.Add(uint8(2), uint8(1), "/v1/a b/中", "b=2&a=&a=3", "X-Ca-Stage", "RELEASE", "application/x-www-form-urlencoded", []byte("b=9&c=%E4%B8%AD"), "s")
	f.Add(uint8(3), uint8(1), "/", "", "X-TC-Action", "SendSms", "", []byte(`{"PhoneNumberSet":["+86"]}`), "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
	f.Add(uint8(4), uint8(2), "/v1/bucket/my%file.txt", "partNumber=9&uploadId=x&authorization=y", "x-bce-meta", "", "text/plain", []byte("hello"), strings.Repeat("b", 32))
	f.Add(uint8(4), uint8(3), "", "start", "Date", "Mon, 06 May 2024 07:08:09 GMT", "", []byte(nil), "k")
	f.Fuzz(func(t *testing.T, schemeIdx, methodIdx uint8, path, rawQuery, hName, hValue, contentType string, body []byte, secret string) {
		if secret == "" {
			t.Skip()
		}
		scheme := allSchemes[int(schemeIdx)%len(allSchemes)]
		methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, "get", "post"}
		method := methods[int(methodIdx)%len(methods)] // lower-case ones travel and are signed as given
		host := map[string]string{
			SchemeAliyunRPC: "ecs.aliyuncs.com", SchemeAliyunV3: "ecs.cn-hangzhou.aliyuncs.com",
			SchemeAliyunGateway: "abc-cn-hangzhou.alicloudapi.com", SchemeTencentTC3: "cvm.tencentcloudapi.com",
			SchemeBaiduBCE: "bcc.bj.baidubce.com",
		}[scheme]
		// Keep to what a net/http client can send.
		if !sendableQuery(rawQuery) || !validHeaderName(hName) || !validFieldValue(hValue) || !validFieldValue(contentType) {
			t.Skip()
		}
		switch strings.ToLower(hName) {
		case "host", "content-length", "transfer-encoding", "trailer", "user-agent", "content-md5", "connection":
			t.Skip()
		}
		if path != "" && !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		signer := newSigner[scheme](StaticCredentials{AccessKeyID: testAK, AccessKeySecret: secret})

		r := &http.Request{
			Method: method,
			URL:    &url.URL{Scheme: "http", Host: host, Path: path, RawQuery: rawQuery},
			Host:   host,
			Header: http.Header{},
		}
		if scheme == SchemeAliyunV3 {
			r.Header.Set("x-acs-action", "DescribeRegions")
			r.Header.Set("x-acs-version", "2014-05-26")
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		r.Header[hName] = append(r.Header[hName], hValue)

		r2 := r.Clone(context.Background())
		if err := signer.Sign(context.Background(), r, body, fixedStamp); err != nil {
			if !wrapsSentinel(err) {
				t.Fatalf("Sign error wraps no sentinel: %v", err)
			}
			// The error text must not depend on the secret.
			other := newSigner[scheme](StaticCredentials{AccessKeyID: testAK, AccessKeySecret: secret + "Q7"})
			if err2 := other.Sign(context.Background(), r2, body, fixedStamp); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("Sign error depends on the secret: %v / %v", err, err2)
			}
			t.Skip()
		}
		raw, err := wire(r, body)
		if err != nil {
			t.Skip()
		}
		s, sbody, err := fromWire(raw)
		if err != nil {
			t.Skip()
		}
		p, err := Verify(scheme, s, sbody, secret)
		if err != nil {
			t.Fatalf("Verify rejected a request Sign produced: %v\n%q", err, raw)
		}
		checkResult(t, "verify", scheme, s, p, nil)
		if p.AccessKeyID != testAK || !p.Time.Equal(fixedStamp.Time) {
			t.Fatalf("Parsed %v does not report the stamp", p)
		}
		if signer.UsesNonce() && p.Nonce != fixedStamp.Nonce {
			t.Fatalf("nonce %q", p.Nonce)
		}
		s, sbody, _ = fromWire(raw)
		if _, err := Verify(scheme, s, sbody, secret+"x"); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("Verify with another secret: %v", err)
		}
	})
}

// sendableQuery reports whether a raw query survives the request line.
func sendableQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// validFieldValue mirrors net/http's check of header values.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// FuzzACS3CanonicalURI: the canonical URI of any escaped path keeps its
// '/' separators and holds only unreserved characters and upper-case %XX.
func FuzzACS3CanonicalURI(f *testing.F) {
	for _, s := range []string{"", "/", "/a%2Fb/c", "/a b/%E4%B8%AD", "/%zz/%", "//x//", "/~%7e+*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := acs3CanonicalURI(p)
		if p == "" {
			if got != "/" {
				t.Fatalf("canonical URI of the empty path is %q", got)
			}
			return
		}
		if strings.Count(p, "/") != strings.Count(got, "/") {
			t.Fatalf("canonical URI %q of %q changes the separators", got, p)
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			switch {
			case c == '/' || unreserved(c, false):
			case c == '%' && i+2 < len(got) && strings.IndexByte("0123456789ABCDEF", got[i+1]) >= 0 && strings.IndexByte("0123456789ABCDEF", got[i+2]) >= 0:
				i += 2
			default:
				t.Fatalf("canonical URI %q of %q holds %q", got, p, c)
			}
		}
	})
}
