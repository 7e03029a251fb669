package sign

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The published test vectors of SPEC.md "Wire facts", reproduced exactly.

func TestAliyunRPCVector(t *testing.T) {
	// Official docs: GET, secret testsecret, AccessKeyId=testid,
	// Action=DescribeRegions, Format=XML, SignatureNonce=3ee8c1b8-…,
	// Timestamp=2016-02-23T12:46:24Z, Version=2014-05-26.
	r := newClientRequest(t, http.MethodGet,
		"http://ecs.aliyuncs.com/?Action=DescribeRegions&Format=XML&Version=2014-05-26", nil, nil)
	st := Stamp{
		Time:  time.Date(2016, 2, 23, 12, 46, 24, 0, time.UTC),
		Nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
	}
	creds := StaticCredentials{AccessKeyID: "testid", AccessKeySecret: "testsecret"}
	require.NoError(t, AliyunRPC(creds).Sign(context.Background(), r, nil, st))

	q, err := url.ParseQuery(r.URL.RawQuery)
	require.NoError(t, err)
	assert.Equal(t, []string{"OLeaidS1JvxuMvnyHOwuJ+uX5qY="}, q["Signature"])
	assert.Equal(t, "testid", q.Get("AccessKeyId"))
	assert.Equal(t, "HMAC-SHA1", q.Get("SignatureMethod"))
	assert.Equal(t, "1.0", q.Get("SignatureVersion"))
	assert.Equal(t, "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", q.Get("SignatureNonce"))
	assert.Equal(t, "2016-02-23T12:46:24Z", q.Get("Timestamp"))
	assert.Len(t, q, 9, "exactly the vector's 8 params plus Signature")
	// The query is written back sorted, in RFC 3986 encoding, Signature last.
	assert.Equal(t, "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"+
		"&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"+
		"&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D", r.URL.RawQuery)

	// Intermediate values.
	params := []param{
		{"AccessKeyId", "testid"}, {"Action", "DescribeRegions"}, {"Format", "XML"},
		{"SignatureMethod", "HMAC-SHA1"}, {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		{"SignatureVersion", "1.0"}, {"Timestamp", "2016-02-23T12:46:24Z"}, {"Version", "2014-05-26"},
	}
	assert.Equal(t, "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"+
		"&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"+
		"&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26", rpcCanonicalQuery(params))
	assert.Equal(t, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"+
		"%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"+
		"%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
		rpcStringToSign("GET", params))
	assert.Equal(t, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", rpcSignature("GET", params, "testsecret"))

	// And the server accepts it.
	s, body := toServer(t, r, nil)
	p, err := Verify(SchemeAliyunRPC, s, body, "testsecret")
	require.NoError(t, err)
	assert.Equal(t, "testid", p.AccessKeyID)
	assert.Equal(t, st.Nonce, p.Nonce)
	assert.True(t, st.Time.Equal(p.Time))
}

func TestAliyunV3Vector(t *testing.T) {
	r := newClientRequest(t, http.MethodPost,
		"https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
		map[string]string{"x-acs-action": "RunInstances", "x-acs-version": "2014-05-26"}, nil)
	st := Stamp{Time: time.Date(2023, 10, 26, 10, 22, 32, 0, time.UTC), Nonce: "3156853299f313e23d1673dc12e1703d"}
	creds := StaticCredentials{AccessKeyID: "YourAccessKeyId", AccessKeySecret: "YourAccessKeySecret"}
	require.NoError(t, AliyunV3(creds).Sign(context.Background(), r, nil, st))

	const (
		emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		signedHdr = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
		wantSig   = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
	)
	assert.Equal(t, "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders="+signedHdr+",Signature="+wantSig,
		r.Header.Get("Authorization"))
	assert.Equal(t, "2023-10-26T10:22:32Z", r.Header.Get("x-acs-date"))
	assert.Equal(t, "3156853299f313e23d1673dc12e1703d", r.Header.Get("x-acs-signature-nonce"))
	assert.Equal(t, emptyHash, r.Header.Get("x-acs-content-sha256"))

	// Intermediate values.
	canon := "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n" +
		"host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:" + emptyHash + "\n" +
		"x-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n" +
		"x-acs-version:2014-05-26\n\n" + signedHdr + "\n" + emptyHash
	query, err := parseParams(r.URL.RawQuery)
	require.NoError(t, err)
	names := strings.Split(signedHdr, ";")
	got := acs3CanonicalRequest("POST", "", query, names, func(n string) string {
		if n == "host" {
			return "ecs.cn-shanghai.aliyuncs.com"
		}
		return headerValue(r.Header, n)
	}, emptyHash)
	assert.Equal(t, canon, got)
	assert.Equal(t, "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259", acs3StringToSign(canon))
	assert.Equal(t, wantSig, acs3Signature(canon, "YourAccessKeySecret"))

	s, body := toServer(t, r, nil)
	_, err = Verify(SchemeAliyunV3, s, body, "YourAccessKeySecret")
	require.NoError(t, err)
}

func TestTencentTC3Vector(t *testing.T) {
	body := []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`)
	r := newClientRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/",
		map[string]string{"Content-Type": "application/json; charset=utf-8", "X-TC-Action": "DescribeInstances"}, body)
	creds := StaticCredentials{AccessKeyID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", AccessKeySecret: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}
	require.NoError(t, TencentTC3(creds).Sign(context.Background(), r, body, Stamp{Time: time.Unix(1551113065, 0)}))

	const (
		payloadHash = "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
		hashedCanon = "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
		wantSig     = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	)
	assert.Equal(t, "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "+
		"SignedHeaders=content-type;host, Signature="+wantSig, r.Header.Get("Authorization"))
	assert.Equal(t, "1551113065", r.Header.Get("X-TC-Timestamp"))
	assert.Empty(t, r.Header.Values("X-TC-Token"))

	// Intermediate values.
	assert.Equal(t, payloadHash, sha256Hex(body))
	canon := tc3CanonicalRequest("POST", "", []string{"content-type", "host"}, tc3Getter(r, "cvm.tencentcloudapi.com"), sha256Hex(body))
	assert.Equal(t, "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n"+payloadHash, canon)
	assert.Equal(t, hashedCanon, sha256Hex([]byte(canon)))
	assert.Equal(t, "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"+hashedCanon,
		tc3StringToSign("1551113065", "2019-02-25", "cvm", canon))
	assert.Equal(t, wantSig, tc3Signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", "cvm", "1551113065", canon))

	s, sbody := toServer(t, r, body)
	p, err := Verify(SchemeTencentTC3, s, sbody, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1551113065, 0).UTC(), p.Time)
	assert.Empty(t, p.Nonce)
}

func TestBaiduBCEVector(t *testing.T) {
	body := []byte("12345678") // Content-Length 8; the vector's Content-MD5 is taken as given
	r := newClientRequest(t, http.MethodPut,
		"http://bj.bcebos.com/v1/test/myfolder/readme.txt?partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851",
		map[string]string{"Content-Type": "text/plain", "Content-Md5": "NFzcPqhviddjRNnSOGo4rw=="}, body)
	creds := StaticCredentials{AccessKeyID: strings.Repeat("a", 32), AccessKeySecret: strings.Repeat("b", 32)}
	st := Stamp{Time: time.Date(2015, 4, 27, 8, 23, 49, 0, time.UTC)}
	require.NoError(t, BaiduBCE(creds, 0).Sign(context.Background(), r, body, st))

	const (
		prefix     = "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/1800"
		signingKey = "1d5ce5f464064cbee060330d973218821825ac6952368a482a592e6615aef479"
		wantSig    = "d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e"
		// The documentation's Authorization leaves the signed-header list
		// empty (BCE's default set); yunrt lists it, as bce-sdk-go does
		// (TestBCESignedHeadersListed). The signature is the same.
		docsAuth = prefix + "//" + wantSig
		wantAuth = prefix + "/content-length;content-md5;content-type;host;x-bce-date/" + wantSig
	)
	assert.Equal(t, wantAuth, r.Header.Get("Authorization"))
	assert.Equal(t, "2015-04-27T08:23:49Z", r.Header.Get("x-bce-date"))
	assert.Equal(t, int64(8), r.ContentLength)

	// Intermediate values.
	assert.Equal(t, prefix, bceAuthPrefix(strings.Repeat("a", 32), "2015-04-27T08:23:49Z", 1800*time.Second))
	assert.Equal(t, signingKey, bceSigningKey(strings.Repeat("b", 32), prefix))
	lines, names := bceCanonicalHeaders(map[string]string{
		"host": "bj.bcebos.com", "content-length": "8", "content-type": "text/plain",
		"content-md5": "NFzcPqhviddjRNnSOGo4rw==", "x-bce-date": "2015-04-27T08:23:49Z",
	})
	assert.Equal(t, "content-length:8\ncontent-md5:NFzcPqhviddjRNnSOGo4rw%3D%3D\ncontent-type:text%2Fplain\n"+
		"host:bj.bcebos.com\nx-bce-date:2015-04-27T08%3A23%3A49Z", lines)
	assert.Equal(t, []string{"content-length", "content-md5", "content-type", "host", "x-bce-date"}, names)
	query, err := parseParams(r.URL.RawQuery)
	require.NoError(t, err)
	canon := bceCanonicalRequest("PUT", "/v1/test/myfolder/readme.txt", query, lines)
	assert.Equal(t, "PUT\n/v1/test/myfolder/readme.txt\npartNumber=9&uploadId=a44cc9bab11cbd156984767aad637851\n"+lines, canon)
	assert.Equal(t, wantSig, bceSignature(strings.Repeat("b", 32), prefix, canon))

	// The parser reads both the listed form and the documentation's (the
	// vector's Content-MD5 is not that of any body given, so Verify
	// cannot run here).
	for _, auth := range []string{wantAuth, docsAuth} {
		r.Header.Set("Authorization", auth)
		s, _ := toServer(t, r, body)
		p, err := ParseBaiduBCE(s)
		require.NoError(t, err, auth)
		assert.Equal(t, wantSig, p.Signature)
	}
}

func TestPercentEncode(t *testing.T) {
	tests := []struct {
		name, in, want string
		keepSlash      bool
	}{
		{"unreserved stay", "AZaz09-_.~", "AZaz09-_.~", false},
		{"space is %20 not +", "a b", "a%20b", false},
		{"star is %2A", "a*b", "a%2Ab", false},
		{"plus is %2B", "a+b", "a%2Bb", false},
		{"tilde stays", "~", "~", false},
		{"slash encoded in values", "a/b", "a%2Fb", false},
		{"slash kept in paths", "/v1/a b/c", "/v1/a%20b/c", true},
		{"utf-8 bytes upper-case hex", "中", "%E4%B8%AD", false},
		{"colon and equals", "k=v:w", "k%3Dv%3Aw", false},
		{"percent itself", "100%", "100%25", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, percentEncode(tt.in, tt.keepSlash))
			if !tt.keepSlash {
				// Aliyun's definition: QueryEscape, then + → %20, * → %2A, %7E → ~.
				aliyun := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(tt.in))
				assert.Equal(t, aliyun, percentEncode(tt.in, false))
			}
		})
	}
}
