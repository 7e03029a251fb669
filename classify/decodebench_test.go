package classify

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// benchHeader is the header of the happy-path answers in ../bench.
func benchHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}, "Date": {"Sun, 22 Nov 2026 08:00:00 GMT"}}
}

// aliyunSMSBody is the 200 B Aliyun SendSms answer of ../bench.
func aliyunSMSBody() []byte {
	b := `{"RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","Message":"OK","BizId":"900619746936498440^0","TemplateCode":"SMS_15305****","SignName":"阿里云短信测试"}`
	return []byte(b + strings.Repeat(" ", max(0, 200-len(b))))
}

// tencentSMSBody is a Tencent SendSms answer of about size bytes, as in
// ../bench: {"Response":{"SendStatusSet":[…],"RequestId":"…"}}.
func tencentSMSBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Response":{"SendStatusSet":[`)
	const tail = `],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}`
	for i := 0; ; i++ {
		entry := `{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+86138` + fmt.Sprintf("%08d", i) + `","Fee":1,"Code":"Ok","IsoCode":"CN"}`
		if i > 0 && b.Len()+1+len(entry)+len(tail) > size {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(entry)
	}
	b.WriteString(tail)
	return b.Bytes()
}

// baiduSMSBody is a Baidu SMS success answer of about 200 B.
func baiduSMSBody() []byte {
	return []byte(`{"requestId":"0d5b4b7c-9b55-4f5e-9c1e-2c1a3e4f5a6b","code":"1000","message":"成功","data":[{"code":"1000","message":"成功","mobile":"13800000000","messageId":"e3b0c442-98fc-1c14"}]}`)
}

// decodeBenches are the answers of BenchmarkDecodeSuccess.
func decodeBenches() []struct {
	name string
	p    Provider
	r    Response
} {
	big := tencentSMSBody(1 << 20)
	return []struct {
		name string
		p    Provider
		r    Response
	}{
		{"aliyun-200B", Aliyun, Response{Status: 200, Header: benchHeader(), Body: aliyunSMSBody()}},
		{"tencent-200B", Tencent, Response{Status: 200, Header: benchHeader(), Body: tencentSMSBody(200)}},
		{"baidu-200B", Baidu, Response{Status: 200, Header: benchHeader(), Body: baiduSMSBody()}},
		{"truncated-4KiB", Tencent, Response{Status: 200, Header: benchHeader(), Body: big[:readAhead], Truncated: true}},
		{"error-aliyun-200B", Aliyun, Response{Status: 200, Header: benchHeader(),
			Body: []byte(`{"Message":"触发分钟级流控Permits:1","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"isv.BUSINESS_LIMIT_CONTROL"}`)}},
		{"error-tencent-200B", Tencent, Response{Status: 200, Header: benchHeader(),
			Body: []byte(`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"Your current request frequency has exceeded the limit."},"RequestId":"ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}`)}},
	}
}

// BenchmarkDecodeSuccess measures Decode of the happy path's answers,
// and of two error answers for comparison.
func BenchmarkDecodeSuccess(b *testing.B) {
	table := DefaultTable()
	for _, bb := range decodeBenches() {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.r.Body)))
			for b.Loop() {
				_ = table.Decode(bb.p, bb.r)
			}
		})
	}
}
