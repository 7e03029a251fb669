package testserver

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/yunrt/yunrt/classify"
)

// requestID returns a fresh UUID-shaped request id, unique per response of
// this server: upper-case for Aliyun (as Aliyun writes them), lower-case
// otherwise.
func (s *Server) requestID() string {
	n := s.ids.Add(1)
	b := s.idBase
	id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		uint32(b>>32), uint16(b>>16), uint16(b)&0x0fff|0x4000,
		uint16(n>>48)&0x3fff|0x8000, n&0xffffffffffff)
	if s.p == classify.Aliyun {
		return strings.ToUpper(id)
	}
	return id
}

// bizID returns a fresh Aliyun SMS BizId, shaped as the real ones
// ("900619746936498440^0"): the server's random base and a counter, so
// that no two sends of a server share one (callers key QuerySendDetails
// and their own records by it).
func (s *Server) bizID() string {
	return fmt.Sprintf("%012d%06d^0", s.idBase%1_000_000_000_000, s.ids.Add(1))
}

// status returns the HTTP status of failed fault f (see Fault.Status).
func (s *Server) status(f Fault) int {
	switch {
	case f.Status != 0:
		return f.Status
	case f.Format == Format200 || f.Code == "" || s.p == classify.Tencent:
		return http.StatusOK
	}
	if st := s.statusFor(f.Code); st != 0 {
		return st
	}
	return http.StatusBadRequest
}

// respond writes the answer for attempt a (neither Reset nor Hangup).
func (s *Server) respond(w http.ResponseWriter, r *http.Request, a Attempt) {
	f := a.Fault
	id := s.requestID()
	h := w.Header()
	h.Set("Date", s.date())
	switch s.p {
	case classify.Aliyun:
		h.Set("x-acs-request-id", id)
	case classify.Baidu:
		h.Set("x-bce-request-id", id)
	}

	var (
		status int
		body   []byte
		ctype  string
	)
	switch {
	case f.Format == FormatEmpty || f.Format == FormatHTML:
		status = s.status(f)
		if f.Format == FormatHTML {
			body, ctype = htmlPage(status), "text/html"
		}
	case !f.failed():
		status = http.StatusOK
		if f.Status != 0 {
			status = f.Status
		}
		body, ctype = s.successBody(a.Action, id), "application/json"
	default:
		status = s.status(f)
		host := r.Host
		if host == "" {
			host = s.Host()
		}
		body, ctype = s.errorBody(h, f, id, host)
	}

	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	if f.TimeLeft > 0 {
		h.Set("x-ratelimit-user-api", "Limit:100,Remain:0,TimeLeft:"+strconv.FormatInt(f.TimeLeft.Milliseconds(), 10))
	}
	if f.Body != nil {
		body = f.Body
	}
	if f.Gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	for k, v := range f.Header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// successBody returns the success body of action.
func (s *Server) successBody(action, id string) []byte {
	if s.cfg.successBody != nil {
		return s.cfg.successBody(action)
	}
	switch s.p {
	case classify.Aliyun:
		return mustJSON(struct {
			RequestID string `json:"RequestId"`
			Code      string `json:"Code"`
			Message   string `json:"Message"`
			BizID     string `json:"BizId"`
		}{id, "OK", "OK", s.bizID()})
	case classify.Tencent:
		type status struct {
			SerialNo       string `json:"SerialNo"`
			PhoneNumber    string `json:"PhoneNumber"`
			Fee            int    `json:"Fee"`
			SessionContext string `json:"SessionContext"`
			Code           string `json:"Code"`
			Message        string `json:"Message"`
			IsoCode        string `json:"IsoCode"`
		}
		type response struct {
			SendStatusSet []status `json:"SendStatusSet"`
			RequestID     string   `json:"RequestId"`
		}
		return mustJSON(struct {
			Response response `json:"Response"`
		}{response{
			SendStatusSet: []status{{
				SerialNo:    s.requestID(),
				PhoneNumber: "+8613800000000",
				Fee:         1,
				Code:        "Ok",
				Message:     "send success",
				IsoCode:     "CN",
			}},
			RequestID: id,
		}})
	}
	type item struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Mobile    string `json:"mobile"`
		MessageID string `json:"messageId"`
	}
	return mustJSON(struct {
		RequestID string `json:"requestId"`
		Code      string `json:"code"`
		Message   string `json:"message"`
		Data      []item `json:"data"`
	}{id, "1000", "成功", []item{{"1000", "成功", "13800000000", s.requestID()}}})
}

// errorBody returns the body and Content-Type of failed fault f; it sets
// the API Gateway headers on h for FormatGatewayHeaders. With no Code the
// body is empty.
func (s *Server) errorBody(h http.Header, f Fault, id, host string) ([]byte, string) {
	if f.Format == FormatGatewayHeaders {
		h.Set("X-Ca-Request-Id", id)
		if f.Code != "" {
			h.Set("X-Ca-Error-Code", f.Code)
			h.Set("X-Ca-Error-Message", f.Message)
		}
		return nil, ""
	}
	if f.Code == "" {
		return nil, ""
	}
	switch f.Format {
	case FormatXML:
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Error>`)
		for _, e := range [...][2]string{{"RequestId", id}, {"HostId", host}, {"Code", f.Code}, {"Message", f.Message}} {
			b.WriteString("<" + e[0] + ">")
			_ = xml.EscapeText(&b, []byte(e[1]))
			b.WriteString("</" + e[0] + ">")
		}
		b.WriteString("</Error>")
		return b.Bytes(), "text/xml"
	case FormatROA:
		return mustJSON(struct {
			RequestID string `json:"requestId"`
			HostID    string `json:"hostId"`
			Code      string `json:"code"`
			Message   string `json:"message"`
		}{id, host, f.Code, f.Message}), "application/json"
	}
	// FormatDefault, FormatJSON, Format200: the provider's JSON.
	switch s.p {
	case classify.Tencent:
		type e struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		}
		type response struct {
			Error     e      `json:"Error"`
			RequestID string `json:"RequestId"`
		}
		return mustJSON(struct {
			Response response `json:"Response"`
		}{response{e{f.Code, f.Message}, id}}), "application/json"
	case classify.Baidu:
		return mustJSON(struct {
			RequestID string `json:"requestId"`
			Code      string `json:"code"`
			Message   string `json:"message"`
		}{id, f.Code, f.Message}), "application/json"
	}
	if f.Format == Format200 {
		return mustJSON(struct {
			RequestID string `json:"RequestId"`
			Code      string `json:"Code"`
			Message   string `json:"Message"`
		}{id, f.Code, f.Message}), "application/json"
	}
	return mustJSON(struct {
		RequestID string `json:"RequestId"`
		HostID    string `json:"HostId"`
		Code      string `json:"Code"`
		Message   string `json:"Message"`
	}{id, host, f.Code, f.Message}), "application/json"
}

// htmlPage is a load balancer's error page for status.
func htmlPage(status int) []byte {
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	return []byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" +
		title + "</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n")
}

// mustJSON marshals v, which is always a plain struct of strings.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("testserver: " + err.Error())
	}
	return b
}
