package testserver

import (
	"net/http"

	"github.com/yunrt/yunrt/classify"
)

// statusFor returns the documented HTTP status of provider error code, or 0
// when it is not known. It asks the server's copy of classify's default
// table (classify.DefaultStatus would rebuild that table on every call),
// then the codes the emulator answers with a status of its own.
func (s *Server) statusFor(code string) int {
	if st := s.codes.Status(s.p, code); st != 0 {
		return st
	}
	if s.p == classify.Baidu && code == baiduThrottleCode {
		return baiduThrottleStatus
	}
	return 0
}

// baiduThrottleCode and baiduThrottleStatus are Baidu's flow-control
// answer, as the quota (throttleFault) and a scripted fault of that code
// both send it. The seeds give no status for it (seed 004, Baidu's common
// codes, does not list RequestRateExceeded, and the code table has no
// entry for it); SPEC's "Flow control has a scope" names Baidu's throttle
// by its HTTP 429, so 429 is the status the quota always used, and a
// scripted RequestRateExceeded now gets it too rather than the 400 of an
// undocumented code (which a client classifies as permanent, not as
// flow control).
const (
	baiduThrottleCode   = "RequestRateExceeded"
	baiduThrottleStatus = http.StatusTooManyRequests
)
