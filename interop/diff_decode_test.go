package interop

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"

	"github.com/yunrt/yunrt/classify"
)

// readAhead is yunrt's read-ahead of a 2xx answer (answer.go's
// successPeekLimit): Decode sees at most this much of the body.
const readAhead = 4 << 10

// TestDiffDecodeTencent200: random HTTP 200 answers of Tencent Cloud (API
// 3.0 with or without Response.Error, its members in random order around a
// SendStatusSet payload of random size; API 2.0 code/codeDesc) go through
// tencentcloud-sdk-go's own error parser and through yunrt's decoder
// (its 2xx fast path included) as the transport would call it, on at most
// the read-ahead's 4 KiB. Whole bodies must agree exactly: an error for
// the SDK is an error with the same code for yunrt, a success is a
// success. Bodies longer than the read-ahead must agree too, except where
// the error's code lies past the read-ahead (no 4 KiB read-ahead can see
// it: yunrt then hands the answer over as a success, documented in "How
// error bodies are read"); those are counted and logged. Errors placed
// after a large payload, or carrying a message longer than the read-ahead,
// are among the answers. The SDK's parser found the fast path's former
// limit here: a code after the payload, within the read-ahead, was missed.
func TestDiffDecodeTencent200(t *testing.T) {
	table := classify.DefaultTable()
	for _, seed := range diffSeeds(t) {
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		var whole, long, beyond, sdkErrors, afterPayload int
		for i := range diffCount(t) {
			a := randTencent200(rng)
			sdkCode := sdkErrorCode(t, a.body)
			if sdkCode != "" {
				sdkErrors++
				if a.errorAfterPayload {
					afterPayload++
				}
			}
			prefix, truncated := a.body, false
			if len(prefix) > readAhead {
				prefix, truncated = prefix[:readAhead], true
				long++
			} else {
				whole++
			}
			res := table.Decode(classify.Tencent, classify.Response{Status: http.StatusOK,
				Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(prefix), Truncated: truncated})
			yunrtErr := res.Class != classify.Success
			switch {
			case truncated && sdkCode != "" && !yunrtErr && a.codeEnd > readAhead:
				beyond++ // no read-ahead of 4 KiB can see it
			case (sdkCode != "") != yunrtErr:
				t.Errorf("seed %d (YUNRT_INTEROP_SEED), answer %d (%d B): SDK error %q, yunrt class %v code %q\n%.300s", seed, i, len(a.body), sdkCode, res.Class, res.Code, a.body)
			case sdkCode != "" && a.v3 && res.Code != sdkCode:
				t.Errorf("seed %d, answer %d: SDK code %q, yunrt %q", seed, i, sdkCode, res.Code)
			}
		}
		t.Logf("seed %d: %d whole and %d longer answers, %d errors for the SDK (%d after a payload); not seen by yunrt: %d whose code is past the read-ahead's 4 KiB", seed, whole, long, sdkErrors, afterPayload, beyond)
		if whole < 100 || long < 100 || sdkErrors < 100 {
			t.Errorf("seed %d: too few cases of a kind to mean anything", seed)
		}
	}
}

// sdkErrorCode is the error code tencentcloud-sdk-go finds in a 200 body,
// "" for none.
func sdkErrorCode(t *testing.T, body string) string {
	err := (&tchttp.BaseResponse{}).ParseErrorFromHTTPResponse([]byte(body))
	if err == nil {
		return ""
	}
	var sdkErr *sdkerrors.TencentCloudSDKError
	if !errors.As(err, &sdkErr) {
		t.Fatalf("SDK error of type %T: %v", err, err)
	}
	if sdkErr.GetCode() == "ClientError.ParseJsonError" {
		t.Fatalf("the generator made invalid JSON: %v", err)
	}
	return sdkErr.GetCode()
}

type tencent200 struct {
	body              string
	v3                bool // API 3.0 (Response.Error), not API 2.0 (code/codeDesc)
	errorAfterPayload bool // Response.Error comes after SendStatusSet
	codeEnd           int  // where Response.Error's code ends in body (0: no error)
}

// randTencent200 makes a random Tencent Cloud HTTP 200 answer.
func randTencent200(rng *rand.Rand) tencent200 {
	if rng.IntN(6) == 0 {
		code := pick(rng, 0, 0, 4000, 4100, 5000, 6000)
		return tencent200{body: fmt.Sprintf(`{"code":%d,"codeDesc":%q,"message":%q}`, code,
			pick(rng, "Success", "InvalidParameter", "AuthFailure", "InternalError"), pick(rng, "", "ok", "签名错误"))}
	}
	members := []string{`"RequestId":"` + fmt.Sprintf("%08x-%04x", rng.Uint32(), rng.IntN(65536)) + `"`}
	if rng.IntN(4) > 0 {
		members = append(members, `"SendStatusSet":`+statusSet(rng))
	}
	for range rng.IntN(3) {
		members = append(members, pick(rng, `"TotalCount":3`, `"Fee":1.5`, `"Ok":true`, `"Note":null`, `"Tag":"x\"y"`))
	}
	if rng.IntN(4) == 0 { // a long scalar: an answer past the read-ahead whose members may all be flat
		members = append(members, `"Remark":"`+strings.Repeat("r", rng.IntN(6<<10))+`"`)
	}
	isErr := rng.IntN(3) == 0
	var errCode string
	if isErr {
		errCode = pick(rng, "InternalError.Timeout", "LimitExceeded.PhoneNumberDailyLimit", "FailedOperation.InsufficientBalanceInSmsPackage",
			"RequestLimitExceeded", "AuthFailure.SignatureExpire", "UnknownParameter", "ResourceNotFound.X"+fmt.Sprint(rng.IntN(100)))
		msg := pick(rng, "", "m", "超时 \"quoted\"", strings.Repeat("长", rng.IntN(2<<10)))
		members = append(members, fmt.Sprintf(`"Error":{"Code":%q,"Message":%q}`, errCode, msg))
	}
	rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	a := tencent200{v3: true}
	if isErr {
		payload, errAt := -1, -1
		for i, m := range members {
			switch {
			case strings.HasPrefix(m, `"SendStatusSet"`):
				payload = i
			case strings.HasPrefix(m, `"Error"`):
				errAt = i
			}
		}
		a.errorAfterPayload = payload >= 0 && errAt > payload
	}
	sep := pick(rng, ",", ", ", ",\n  ")
	a.body = `{"Response":{` + strings.Join(members, sep) + `}}`
	if isErr {
		at := fmt.Sprintf(`"Error":{"Code":%q`, errCode)
		a.codeEnd = strings.Index(a.body, at) + len(at)
	}
	return a
}

// statusSet is a SendStatusSet of 0 to about 80 entries (up to about 10 KiB).
func statusSet(rng *rand.Rand) string {
	n := rng.IntN(80)
	entries := make([]string, n)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"SerialNo":"5000:%d","PhoneNumber":"+86138%08d","Fee":1,"Code":%q,"Message":"send success","IsoCode":"CN"}`,
			rng.Uint64(), rng.IntN(1e8), pick(rng, "Ok", "Ok", "LimitExceeded.PhoneNumberDailyLimit"))
	}
	return "[" + strings.Join(entries, ",") + "]"
}
