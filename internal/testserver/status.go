package testserver

import (
	"net/http"

	"github.com/yunrt/yunrt/classify"
)

// statusFor returns the documented HTTP status of provider error code,
// or 0 when it is not known.
//
// TODO: switch to classify.DefaultStatus once it exists; this private table
// is the fallback the design agreed on.
func statusFor(p classify.Provider, code string) int {
	switch p {
	case classify.Aliyun:
		switch code {
		case "ServiceUnavailable":
			return http.StatusServiceUnavailable
		case "InternalError", "Timeout":
			return http.StatusInternalServerError
		}
		return http.StatusBadRequest
	case classify.Baidu:
		switch code {
		case "AccessDenied", "InvalidAccessKeyId", "OptInRequired",
			"IdempotentParameterMismatch", "NotFound", "Forbidden":
			return http.StatusForbidden
		case "InvalidVersion":
			return http.StatusNotFound
		case "PreconditionFailed":
			return http.StatusPreconditionFailed
		case "InternalError":
			return http.StatusInternalServerError
		}
		return http.StatusBadRequest
	}
	return 0
}
