package sign_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/yunrt/yunrt/sign"
)

// Aliyun's published RPC signature v1 example, reproduced.
func ExampleAliyunRPC() {
	r, _ := http.NewRequest(http.MethodGet,
		"http://ecs.aliyuncs.com/?Action=DescribeRegions&Format=XML&Version=2014-05-26", nil)
	signer := sign.AliyunRPC(sign.StaticCredentials{AccessKeyID: "testid", AccessKeySecret: "testsecret"})
	stamp := sign.Stamp{
		Time:  time.Date(2016, 2, 23, 12, 46, 24, 0, time.UTC),
		Nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
	}
	if err := signer.Sign(context.Background(), r, nil, stamp); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.URL.Query().Get("Signature"))
	// Output: OLeaidS1JvxuMvnyHOwuJ+uX5qY=
}

// Credentials never print their secret or token.
func ExampleCredentials() {
	c := sign.Credentials{AccessKeyID: "LTAI5tExample", AccessKeySecret: "secret", SecurityToken: "token"}
	fmt.Printf("%v\n%+v\n%#v\n", c, c, c)
	// Output:
	// Credentials{AccessKeyID: LTAI5tExample, AccessKeySecret: REDACTED, SecurityToken: REDACTED}
	// Credentials{AccessKeyID: LTAI5tExample, AccessKeySecret: REDACTED, SecurityToken: REDACTED}
	// sign.Credentials{AccessKeyID:"LTAI5tExample", AccessKeySecret:"REDACTED", SecurityToken:"REDACTED"}
}

// A test server checks what a client sent; a retry is re-signed with a fresh
// nonce and time.
func ExampleVerify() {
	signer := sign.AliyunV3(sign.StaticCredentials{AccessKeyID: "LTAI5tExample", AccessKeySecret: "secret"})
	var seen []string
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := sign.Verify(sign.SchemeAliyunV3, r, nil, "secret")
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		seen = append(seen, p.Nonce+" "+p.Time.Format(time.RFC3339))
	})
	for i, stamp := range []sign.Stamp{
		{Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), Nonce: "nonce-of-attempt-1"},
		{Time: time.Date(2024, 5, 6, 7, 8, 11, 0, time.UTC), Nonce: "nonce-of-attempt-2"},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://ecs.cn-hangzhou.aliyuncs.com/?RegionId=cn-hangzhou", nil)
		r.Header.Set("x-acs-action", "DescribeRegions")
		r.Header.Set("x-acs-version", "2014-05-26")
		if err := signer.Sign(context.Background(), r, nil, stamp); err != nil {
			fmt.Println(err)
			return
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		fmt.Println("attempt", i+1, w.Code)
	}
	fmt.Println(seen)
	// Output:
	// attempt 1 200
	// attempt 2 200
	// [nonce-of-attempt-1 2024-05-06T07:08:09Z nonce-of-attempt-2 2024-05-06T07:08:11Z]
}

// Explain signs like Sign and shows what was signed, to compare with the
// string-to-sign a server echoes in its SignatureDoesNotMatch message. The
// request is the official V3 documentation's example, whose hashed
// canonical request is published (7ea06492…).
func ExampleExplain() {
	r, _ := http.NewRequest(http.MethodPost, "https://ecs.cn-shanghai.aliyuncs.com/"+
		"?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai", nil)
	r.Header.Set("x-acs-action", "RunInstances")
	r.Header.Set("x-acs-version", "2014-05-26")
	signer := sign.AliyunV3(sign.StaticCredentials{AccessKeyID: "YourAccessKeyId", AccessKeySecret: "YourAccessKeySecret"})
	stamp := sign.Stamp{Time: time.Date(2023, 10, 26, 10, 22, 32, 0, time.UTC), Nonce: "3156853299f313e23d1673dc12e1703d"}
	c, err := sign.Explain(context.Background(), signer, r, nil, stamp)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(c)
	// Output:
	// scheme: aliyun-v3
	// --- canonical request ---
	// POST
	// /
	// ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai
	// host:ecs.cn-shanghai.aliyuncs.com
	// x-acs-action:RunInstances
	// x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	// x-acs-date:2023-10-26T10:22:32Z
	// x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d
	// x-acs-version:2014-05-26
	//
	// host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
	// e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	// --- string to sign ---
	// ACS3-HMAC-SHA256
	// 7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259
	// --- signed headers ---
	// host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
}
