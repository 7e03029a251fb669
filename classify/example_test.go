package classify_test

import (
	"fmt"
	"net/http"

	"github.com/yunrt/yunrt/classify"
)

// The Baidu AI open platform reports flow control inside an HTTP 200.
func ExampleTable_Decode_baiduAI() {
	table := classify.DefaultTable()
	res := table.Decode(classify.ProviderForHost("aip.baidubce.com"), classify.Response{
		Status: 200,
		Body:   []byte(`{"error_code":18,"error_msg":"Open api qps request limit reached","log_id":1574061539483471825}`),
	})
	fmt.Println(res.Code, res.Class, res.RequestID)
	// Output: 18 throttled 1574061539483471825
}

// API Gateway sometimes names a throttle in X-Ca-Error-Message only.
func ExampleTable_Decode_gatewayMessage() {
	table := classify.DefaultTable()
	res := table.Decode(classify.Aliyun, classify.Response{
		Status: 403,
		Header: http.Header{"X-Ca-Error-Message": {"Throttled by APP Flow Control"}},
	})
	fmt.Printf("%q %s %s\n", res.Code, res.Class, res.Source)
	// Output: "Throttled by APP Flow Control" throttled header
}

// Codes outside the table are counted under one metric value.
func ExampleTable_MetricCode() {
	table := classify.DefaultTable()
	for _, code := range []string{"Throttling.User", "MissingPhoneNumbers", "InternalError.Foo", "MadeUpByTheServer"} {
		fmt.Println(table.MetricCode(classify.Aliyun, code))
	}
	// Output:
	// Throttling.User
	// Missing{ParameterName}
	// InternalError
	// other
}

func ExampleCut() {
	fmt.Println(classify.Cut("Request was denied due to user flow control.", 16))
	// Output: Request was d…
}
