package testserver

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yunrt/yunrt/classify"
)

// A code of each provider with a documented status.
var testCodes = map[classify.Provider]struct {
	code   string
	status int
}{
	classify.Aliyun:  {"ServiceUnavailable", http.StatusServiceUnavailable},
	classify.Tencent: {"RequestLimitExceeded", http.StatusOK},
	classify.Baidu:   {"AccessDenied", http.StatusForbidden},
}

// idHeader is the provider's request-id header, "" when it has none.
func idHeader(p classify.Provider) string {
	switch p {
	case classify.Aliyun:
		return "X-Acs-Request-Id"
	case classify.Baidu:
		return "X-Bce-Request-Id"
	}
	return ""
}

func TestErrorFormats(t *testing.T) {
	const msg = `Request was denied <due to> "flow control" & more.`
	for _, p := range classify.Providers() {
		for _, f := range Formats() {
			t.Run(p.String()+"/"+f.String(), func(t *testing.T) {
				s := start(t, p)
				c := newClient(t, nil)
				tc := testCodes[p]
				s.Script("k", Fault{Code: tc.code, Message: msg, Format: f})

				resp, body := call(t, c, s, "k")

				wantStatus := tc.status
				if f == Format200 {
					wantStatus = http.StatusOK
				}
				assert.Equal(t, wantStatus, resp.StatusCode)
				assert.Equal(t, fixedNow.Format(http.TimeFormat), resp.Header.Get("Date"))
				assert.Equal(t, 1, s.Attempts("k"))
				assert.Equal(t, 0, s.Performed("k"))
				hdrID := ""
				if h := idHeader(p); h != "" {
					hdrID = resp.Header.Get(h)
					assert.Len(t, hdrID, 36, "request id header %s", h)
				}
				// bodyID checks a request id found in the body.
				bodyID := func(id string) {
					assert.Len(t, id, 36)
					if hdrID != "" {
						assert.Equal(t, hdrID, id)
					}
				}

				switch {
				case f == FormatXML:
					assert.Equal(t, "text/xml", resp.Header.Get("Content-Type"))
					assert.True(t, strings.HasPrefix(string(body), `<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>`), string(body))
					var e struct {
						XMLName   xml.Name `xml:"Error"`
						RequestID string   `xml:"RequestId"`
						HostID    string   `xml:"HostId"`
						Code      string   `xml:"Code"`
						Message   string   `xml:"Message"`
					}
					require.NoError(t, xml.Unmarshal(body, &e))
					bodyID(e.RequestID)
					assert.Equal(t, s.Host(), e.HostID)
					assert.Equal(t, tc.code, e.Code)
					assert.Equal(t, msg, e.Message)
				case f == FormatROA:
					assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
					m := decodeFlat(t, body)
					assert.Equal(t, []string{"code", "hostId", "message", "requestId"}, keys(m))
					bodyID(m["requestId"])
					assert.Equal(t, s.Host(), m["hostId"])
					assert.Equal(t, tc.code, m["code"])
					assert.Equal(t, msg, m["message"])
				case f == FormatGatewayHeaders:
					assert.Empty(t, body)
					assert.Equal(t, "0", resp.Header.Get("Content-Length"))
					bodyID(resp.Header.Get("X-Ca-Request-Id"))
					assert.Equal(t, tc.code, resp.Header.Get("X-Ca-Error-Code"))
					assert.Equal(t, msg, resp.Header.Get("X-Ca-Error-Message"))
				case f == FormatEmpty:
					assert.Empty(t, body)
					assert.Empty(t, resp.Header.Get("Content-Type"))
				case f == FormatHTML:
					assert.Equal(t, "text/html", resp.Header.Get("Content-Type"))
					assert.Contains(t, string(body), "<html>")
					assert.Contains(t, string(body), "<title>"+strconv.Itoa(wantStatus)+" "+http.StatusText(wantStatus)+"</title>")
				case p == classify.Tencent:
					assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
					var e struct {
						Response struct {
							Error struct {
								Code, Message string
							}
							RequestID string `json:"RequestId"`
						}
					}
					require.NoError(t, json.Unmarshal(body, &e))
					bodyID(e.Response.RequestID)
					assert.Equal(t, tc.code, e.Response.Error.Code)
					assert.Equal(t, msg, e.Response.Error.Message)
				case p == classify.Baidu:
					assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
					m := decodeFlat(t, body)
					assert.Equal(t, []string{"code", "message", "requestId"}, keys(m))
					bodyID(m["requestId"])
					assert.Equal(t, tc.code, m["code"])
					assert.Equal(t, msg, m["message"])
				case f == Format200: // Aliyun dysmsapi
					assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
					m := decodeFlat(t, body)
					assert.Equal(t, []string{"Code", "Message", "RequestId"}, keys(m))
					bodyID(m["RequestId"])
					assert.Equal(t, tc.code, m["Code"])
					assert.Equal(t, msg, m["Message"])
				default: // Aliyun RPC JSON
					assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
					m := decodeFlat(t, body)
					assert.Equal(t, []string{"Code", "HostId", "Message", "RequestId"}, keys(m))
					bodyID(m["RequestId"])
					assert.Equal(t, s.Host(), m["HostId"])
					assert.Equal(t, tc.code, m["Code"])
					assert.Equal(t, msg, m["Message"])
				}
			})
		}
	}
}

func TestExplicitStatus(t *testing.T) {
	for _, tt := range []struct {
		name     string
		p        classify.Provider
		fault    Fault
		status   int
		bodyHas  string
		emptyBdy bool
	}{
		{"html 502", classify.Aliyun, Fault{Format: FormatHTML, Status: 502}, 502, "<title>502 Bad Gateway</title>", false},
		{"empty 504", classify.Baidu, Fault{Format: FormatEmpty, Status: 504}, 504, "", true},
		{"no code default format 503", classify.Aliyun, Fault{Status: 503}, 503, "", true},
		{"tencent code with status 500", classify.Tencent, Fault{Code: "InternalError", Status: 500}, 500, `"Code":"InternalError"`, false},
		{"aliyun unknown code", classify.Aliyun, Fault{Code: "InvalidPhoneNumbers.Malformed"}, 400, `"Code":"InvalidPhoneNumbers.Malformed"`, false},
		{"aliyun timeout", classify.Aliyun, Fault{Code: "Timeout"}, 500, `"Code":"Timeout"`, false},
		{"baidu precondition", classify.Baidu, Fault{Code: "PreconditionFailed"}, 412, `"code":"PreconditionFailed"`, false},
		{"baidu 200 with status override", classify.Baidu, Fault{Code: "InternalError", Format: Format200, Status: 500}, 500, `"code":"InternalError"`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.p)
			c := newClient(t, nil)
			s.Script("k", tt.fault)
			resp, body := call(t, c, s, "k")
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.emptyBdy {
				assert.Empty(t, body)
			} else {
				assert.Contains(t, string(body), tt.bodyHas)
			}
			assert.Equal(t, 0, s.Performed("k"))
		})
	}
}

func TestSuccessBodies(t *testing.T) {
	for _, p := range classify.Providers() {
		t.Run(p.String(), func(t *testing.T) {
			s := start(t, p)
			c := newClient(t, nil)
			ids := map[string]bool{}
			for i := 0; i < 3; i++ {
				resp, body := call(t, c, s, "k")
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
				assert.Equal(t, fixedNow.Format(http.TimeFormat), resp.Header.Get("Date"))
				var id string
				switch p {
				case classify.Aliyun:
					var b struct{ RequestId, Code, Message, BizId string }
					require.NoError(t, json.Unmarshal(body, &b))
					assert.Equal(t, "OK", b.Code)
					assert.Equal(t, "OK", b.Message)
					assert.NotEmpty(t, b.BizId)
					id = b.RequestId
					assert.Equal(t, id, resp.Header.Get("X-Acs-Request-Id"))
				case classify.Tencent:
					var b struct {
						Response struct {
							SendStatusSet []struct {
								SerialNo, PhoneNumber, SessionContext, Code, Message, IsoCode string
								Fee                                                           int
							}
							RequestId string
							Error     *struct{}
						}
					}
					require.NoError(t, json.Unmarshal(body, &b))
					assert.Nil(t, b.Response.Error)
					require.Len(t, b.Response.SendStatusSet, 1)
					st := b.Response.SendStatusSet[0]
					assert.Equal(t, "Ok", st.Code)
					assert.Equal(t, "send success", st.Message)
					assert.Equal(t, "+8613800000000", st.PhoneNumber)
					assert.Equal(t, "CN", st.IsoCode)
					assert.Equal(t, 1, st.Fee)
					assert.NotEmpty(t, st.SerialNo)
					id = b.Response.RequestId
				case classify.Baidu:
					var b struct {
						RequestID string `json:"requestId"`
						Code      string `json:"code"`
						Message   string `json:"message"`
						Data      []struct {
							Code, Message, Mobile, MessageID string
						} `json:"data"`
					}
					require.NoError(t, json.Unmarshal(body, &b))
					assert.Equal(t, "1000", b.Code)
					assert.Equal(t, "成功", b.Message)
					require.Len(t, b.Data, 1)
					assert.Equal(t, "1000", b.Data[0].Code)
					assert.Equal(t, "13800000000", b.Data[0].Mobile)
					assert.NotEmpty(t, b.Data[0].MessageID)
					id = b.RequestID
					assert.Equal(t, id, resp.Header.Get("X-Bce-Request-Id"))
				}
				assert.Len(t, id, 36)
				assert.False(t, ids[id], "request id %s repeated", id)
				ids[id] = true
			}
			assert.Equal(t, 3, s.Attempts("k"))
			assert.Equal(t, 3, s.Performed("k"))
		})
	}
}

func TestWithSuccessBody(t *testing.T) {
	s := start(t, classify.Aliyun, WithSuccessBody(func(action string) []byte {
		return []byte(`{"action":"` + action + `"}`)
	}))
	c := newClient(t, nil)
	resp, body, err := send(t.Context(), c, s.URL()+"/?Action=SendSms", "", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"action":"SendSms"}`, string(body))
}

func TestHeadersAndRawBody(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault Fault
		check func(t *testing.T, resp *http.Response, body []byte)
	}{
		{"retry-after seconds", Fault{Code: "Throttling.User", RetryAfter: "2"}, func(t *testing.T, resp *http.Response, _ []byte) {
			assert.Equal(t, "2", resp.Header.Get("Retry-After"))
		}},
		{"retry-after date", Fault{Code: "Throttling", RetryAfter: fixedNow.Add(time.Minute).Format(http.TimeFormat)}, func(t *testing.T, resp *http.Response, _ []byte) {
			ra, err := http.ParseTime(resp.Header.Get("Retry-After"))
			require.NoError(t, err)
			assert.Equal(t, fixedNow.Add(time.Minute), ra)
		}},
		{"timeleft", Fault{Code: "Throttling.Api", TimeLeft: 1500 * time.Millisecond}, func(t *testing.T, resp *http.Response, _ []byte) {
			assert.Equal(t, "Limit:100,Remain:0,TimeLeft:1500", resp.Header.Get("X-Ratelimit-User-Api"))
		}},
		{"extra headers replace", Fault{Code: "X", Header: http.Header{"content-type": {"text/plain"}, "X-Extra": {"a", "b"}}}, func(t *testing.T, resp *http.Response, _ []byte) {
			assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
			assert.Equal(t, []string{"a", "b"}, resp.Header.Values("X-Extra"))
		}},
		{"malformed body", Fault{Code: "X", Body: []byte(`{"RequestId":"tr`)}, func(t *testing.T, resp *http.Response, body []byte) {
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, `{"RequestId":"tr`, string(body))
		}},
		{"raw success body", Fault{Body: []byte(`{"big":true}`)}, func(t *testing.T, resp *http.Response, body []byte) {
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, `{"big":true}`, string(body))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, classify.Aliyun)
			c := newClient(t, nil)
			s.Script("k", tt.fault)
			resp, body := call(t, c, s, "k")
			tt.check(t, resp, body)
		})
	}
}

func TestFormatString(t *testing.T) {
	assert.Len(t, Formats(), 8)
	assert.Equal(t, "default", FormatDefault.String())
	assert.Equal(t, "gateway-headers", FormatGatewayHeaders.String())
	assert.Equal(t, "format(99)", Format(99).String())
}

// decodeFlat decodes a JSON object of strings.
func decodeFlat(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var m map[string]string
	require.NoError(t, json.Unmarshal(body, &m), string(body))
	return m
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
