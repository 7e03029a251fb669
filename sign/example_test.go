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
