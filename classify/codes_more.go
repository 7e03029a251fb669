package classify

// The codes of the error shapes beyond the seeds (SPEC.md, "Error shapes
// beyond the seeds"). Sources, as of 2026:
//
//   - API Gateway messages without X-Ca-Error-Code: the shared-instance
//     client and server error tables,
//     https://www.alibabacloud.com/help/ja/api-gateway/support/error-codes
//     and https://developer.aliyun.com/ask/278260;
//   - Log Service (SLS): https://help.aliyun.com/document_detail/29013.htm
//     and https://www.alibabacloud.com/help/en/sls/expansion-of-resources;
//   - Function Compute: https://alibabacloud.com/help/doc-detail/52736.htm
//     and https://developer.aliyun.com/ask/279119;
//   - Tencent Cloud API 2.0 common codes:
//     https://cloud.tencent.com/document/product/213/1718,
//     https://cloud.tencent.com/doc/api/309/7025 (41xx CAM codes);
//   - Baidu AI open platform general codes:
//     https://ai.baidu.com/ai-doc/BODY/mk4qt2wpt,
//     https://ai.baidu.com/ai-doc/OCR/dkibizxnx,
//     https://ai.baidu.com/ai-doc/ANTIPORN/kk3h6xbyz,
//     https://ai.baidu.com/ai-doc/IMAGESEARCH/tk3bcztkt.

// aliyunServiceEntries: API Gateway messages, Log Service, Function
// Compute and OSS.
func aliyunServiceEntries() []Entry {
	const gw = "API Gateway message without X-Ca-Error-Code"
	return []Entry{
		// API Gateway, by X-Ca-Error-Message.
		{Aliyun, "Throttled by USER Flow Control", 403, sT, "Throttled by the user flow control the API provider set.", gw},
		{Aliyun, "Throttled by APP Flow Control", 403, sT, "Throttled by the app flow control the API provider set.", gw},
		{Aliyun, "Throttled by API Flow Control", 403, sT, "Throttled by the API flow control the API provider set.", gw},
		{Aliyun, "Throttled by DOMAIN Flow Control", 403, sT, "Throttled by the group's flow control (500 QPS) or the second-level domain's (1,000 calls a day).", gw + "; the daily cap of a test domain does not clear within a backoff, the per-group QPS does"},
		{Aliyun, "Quota Exhausted", 403, sP, "The purchased call quota is used up.", gw},
		{Aliyun, "Expiry of Authorization", 403, sP, "The API authorization is outside its validity period.", gw},
		{Aliyun, "Quota Expired", 403, sP, "The purchased call quota has expired.", gw},
		{Aliyun, "User Arrears", 403, sP, "The account is in arrears.", gw},
		{Aliyun, "Api Market Subscription Expired", 403, sP, "The API Market subscription has expired.", gw},
		{Aliyun, "Empty Request Body", 400, sP, "The request body is empty.", gw},
		{Aliyun, "Invalid Request Body", 400, sP, "The request body is invalid.", gw},
		{Aliyun, "Invalid Param Location", 400, sP, "A request parameter is in the wrong place.", gw},
		{Aliyun, "Unsupported Multipart", 400, sP, "File upload is not supported.", gw},
		{Aliyun, "Invalid Url", 400, sP, "The method, path or environment of the request is wrong.", gw},
		{Aliyun, "Invalid Domain", 400, sP, "No API is found for the request's domain.", gw},
		{Aliyun, "Invalid HttpMethod", 400, sP, "The HTTP method is invalid.", gw},
		{Aliyun, "Invalid AppKey", 400, sP, "The AppKey is invalid or does not exist.", gw},
		{Aliyun, "Invalid AppSecret", 400, sP, "The AppSecret is wrong.", gw},
		{Aliyun, "Timestamp Expired", 400, sS, "The X-Ca-Timestamp is outside the server's window.", gw + "; re-sign with a skew-corrected timestamp"},
		{Aliyun, "Invalid Timestamp", 400, sS, "The X-Ca-Timestamp is invalid.", gw + "; the gateway also sends it for a timestamp outside its 15-minute window: one re-signed attempt"},
		{Aliyun, "Empty Signature", 401, sP, "The request carries no signature.", gw},
		{Aliyun, "Invalid Signature", 400, sP, "The signature is invalid (the message echoes the server's StringToSign).", gw},
		{Aliyun, "Invalid Content-MD5", 400, sP, "The Content-MD5 header does not match the body.", gw},
		{Aliyun, "Nonce Used", 400, sS, "The X-Ca-Nonce was used already.", gw + "; a fresh nonce fixes it"},
		{Aliyun, "Internal Error", 500, sR, "API Gateway failed internally.", gw},
		{Aliyun, "Failed To Call Backend Service", 500, sU, "The backend service failed.", gw + "; the backend received the request"},
		{Aliyun, "Service Unavailable", 503, sR, "The service is unavailable.", gw},
		{Aliyun, "Async Service", 504, sU, "The backend service timed out.", gw + "; the backend may have done the work"},
		// Log Service (SLS): {"errorCode", "errorMessage"}.
		{Aliyun, "RequestTimeExpired", 400, sS, "The request time differs from the server time by more than 15 minutes.", "Log Service; re-sign with a skew-corrected Date"},
		{Aliyun, "InvalidRequestTime", 400, sP, "The Date header does not follow RFC 822.", "Log Service"},
		{Aliyun, "InvalidHost", 400, sP, "The Host header is invalid.", "Log Service"},
		{Aliyun, "ProjectAlreadyExist", 400, sP, "The project already exists.", "Log Service"},
		{Aliyun, "PostBodyInvalid", 400, sP, "The request body is not a valid JSON object.", "Log Service"},
		{Aliyun, "PostBodyTooLarge", 400, sP, "The request body is too large.", "Log Service"},
		{Aliyun, "InvalidContentType", 400, sP, "The Content-Type is not supported.", "Log Service"},
		{Aliyun, "ParameterInvalid", 400, sP, "A parameter or extended header is invalid.", "Log Service"},
		{Aliyun, "SignatureNotMatch", 401, sP, "The request signature does not match.", "Log Service (401) and Function Compute (403)"},
		{Aliyun, "Unauthorized", 401, sP, "The AccessKey or security token is not authorized, invalid or expired.", "Log Service (401); also an API Gateway message (403)"},
		{Aliyun, "ProjectForbidden", 403, sP, "The project is disabled.", "Log Service"},
		{Aliyun, "WriteQuotaExceed", 403, sT, "The project's write quota (traffic or QPS) is exceeded.", "Log Service flow control: slow down"},
		{Aliyun, "ReadQuotaExceed", 403, sT, "The project's read quota is exceeded.", "Log Service flow control: slow down"},
		{Aliyun, "ShardWriteQuotaExceed", 403, sT, "The shard's write quota is exceeded.", "Log Service flow control: slow down (or split the shard)"},
		{Aliyun, "ShardReadQuotaExceed", 403, sT, "The shard's read quota is exceeded.", "Log Service flow control: slow down (or split the shard)"},
		{Aliyun, "ProjectQuotaExceed", 403, sP, "The number of projects exceeds the quota.", "Log Service: a resource quota, not a rate"},
		{Aliyun, "QuotaExceed", 403, sP, "A resource quota is exceeded.", "Log Service: a resource quota, not a rate"},
		{Aliyun, "ProjectNotExist", 404, sP, "The project does not exist.", "Log Service"},
		{Aliyun, "LogStoreNotExist", 404, sP, "The logstore does not exist.", "Log Service"},
		{Aliyun, "ShardNotExist", 404, sP, "The shard does not exist.", "Log Service"},
		{Aliyun, "InternalServerError", 500, sR, "The server failed internally.", "Log Service and Function Compute; a write is retried only with an idempotency token"},
		{Aliyun, "ServerBusy", 503, sR, "The server is busy.", "Log Service"},
		// Function Compute: {"ErrorCode", "ErrorMessage"}.
		{Aliyun, "InvalidArgument", 400, sP, "A request parameter is invalid.", "Function Compute"},
		{Aliyun, "MissingRequiredHeader", 400, sP, "A required HTTP header was not specified.", "Function Compute"},
		{Aliyun, "PathNotSupported", 400, sP, "The API path is not supported.", "Function Compute"},
		{Aliyun, "EntityTooLarge", 400, sP, "The payload exceeds the maximum allowed size.", "Function Compute"},
		{Aliyun, "LimitExceededError", 400, sP, "A resource count (functions, triggers, domains) exceeds its limit.", "Function Compute: a resource quota"},
		{Aliyun, "AccessDenied", 403, sP, "The caller has no permission for the operation.", "Function Compute and OSS"},
		{Aliyun, "InvalidAccessKeyID", 403, sP, "The AccessKey ID is invalid.", "Function Compute"},
		{Aliyun, "ServiceNotFound", 404, sP, "The service does not exist.", "Function Compute"},
		{Aliyun, "FunctionNotFound", 404, sP, "The function does not exist.", "Function Compute"},
		{Aliyun, "AliasNotFound", 404, sP, "The alias does not exist.", "Function Compute"},
		{Aliyun, "DomainNameNotFound", 404, sP, "The custom domain does not exist.", "Function Compute"},
		{Aliyun, "ConcurrentUpdateError", 409, sP, "Another update of the same resource is in progress.", "Function Compute"},
		{Aliyun, "ResourceExhausted", 429, sT, "The concurrency limit is exceeded.", "Function Compute flow control"},
		{Aliyun, "ConcurrencyLimitExceeded", 429, sT, "The concurrency limit is exceeded.", "Function Compute flow control"},
		{Aliyun, "ClientClosedRequest", 499, sU, "The client closed the connection.", "Function Compute: the invocation may have run"},
		{Aliyun, "ResourceThrottled", 503, sT, "Reserved resources (instances) exceed the limit.", "Function Compute flow control"},
		// OSS: <Error><Code/><EC/></Error>.
		{Aliyun, "RequestTimeTooSkewed", 403, sS, "The request time differs too much from the server time.", "OSS; re-sign with a skew-corrected Date"},
		{Aliyun, "NoSuchBucket", 404, sP, "The bucket does not exist.", "OSS"},
		{Aliyun, "NoSuchKey", 404, sP, "The object does not exist.", "OSS"},
		{Aliyun, "InvalidAccessKeyId", 403, sP, "The AccessKey ID does not exist.", "OSS"},
		{Aliyun, "SecurityTokenExpired", 403, sP, "The STS token has expired.", "OSS"},
	}
}

// tencentV2Entries: the common codes of Tencent Cloud API 2.0, whose
// bodies are {"code":4100,"message":"…","codeDesc":"…"} in HTTP 200.
func tencentV2Entries() []Entry {
	const v2 = "API 2.0"
	return []Entry{
		{Tencent, "4000", 200, sP, "Invalid request parameters.", v2},
		{Tencent, "4100", 200, sP, "Authentication failed (signature).", v2},
		{Tencent, "4101", 200, sP, "The sub-account is not authorized for the API.", v2},
		{Tencent, "4102", 200, sP, "The sub-account is not authorized for the resource.", v2},
		{Tencent, "4103", 200, sP, "The sub-account is not authorized for the resource the API operates on.", v2},
		{Tencent, "4104", 200, sP, "The key does not exist.", v2},
		{Tencent, "4105", 200, sP, "Token error.", v2},
		{Tencent, "4106", 200, sP, "MFA verification failed.", v2},
		{Tencent, "4110", 200, sP, "Other CAM authentication failure.", v2},
		{Tencent, "4200", 200, sS, "The request has expired.", v2 + "; re-sign with a skew-corrected Timestamp"},
		{Tencent, "4300", 200, sP, "Access denied (account blocked or out of the API's scope).", v2},
		{Tencent, "4400", 200, sP, "The request count exceeds the quota.", v2 + "; the docs send you to a ticket: it does not clear within a backoff"},
		{Tencent, "4500", 200, sS, "Replay attack: Nonce reused or Timestamp too far from server time.", v2 + "; a fresh Nonce and Timestamp fix it"},
		{Tencent, "4600", 200, sP, "Protocol not supported (HTTPS only).", v2},
		{Tencent, "5000", 200, sP, "The resource does not exist.", v2},
		{Tencent, "5100", 200, sR, "The resource operation failed; retry later.", v2 + "; a write is retried only with an idempotency token"},
		{Tencent, "5200", 200, sP, "Resource purchase failed (configuration not supported, resources insufficient).", v2},
		{Tencent, "5300", 200, sP, "Resource purchase failed: insufficient balance.", v2},
		{Tencent, "5400", 200, sU, "A batch operation partly succeeded.", v2 + "; part of the work was done"},
		{Tencent, "5500", 200, sP, "The user's qualification review did not pass.", v2},
		{Tencent, "6000", 200, sR, "Internal server error; retry later.", v2 + "; a write is retried only with an idempotency token"},
		{Tencent, "6100", 200, sP, "The API is not supported in this version (check the domain).", v2},
		{Tencent, "6200", 200, sR, "The API is temporarily under maintenance; retry later.", v2},
	}
}

// baiduAIEntries: the general codes of the Baidu AI open platform
// (aip.baidubce.com), {"error_code":18,"error_msg":"…","log_id":…} in
// HTTP 200. BCE codes are names, never numbers, so a decimal code of
// provider Baidu is always one of these.
func baiduAIEntries() []Entry {
	const ai = "Baidu AI open platform"
	return []Entry{
		{Baidu, "1", 200, sR, "Unknown error", ai + ": the docs say request again"},
		{Baidu, "2", 200, sR, "Service temporarily unavailable", ai + ": the docs say request again"},
		{Baidu, "3", 200, sP, "Unsupported openapi method", ai},
		{Baidu, "4", 200, sT, "Open api request limit reached", ai + ": cluster-wide flow control, the docs say request again"},
		{Baidu, "6", 200, sP, "No permission to access data", ai},
		{Baidu, "13", 200, sP, "Get service token failed", ai},
		{Baidu, "14", 200, sP, "IAM Certification failed", ai},
		{Baidu, "15", 200, sR, "app not exists or create failed", ai + ": the docs say a retry can solve it"},
		{Baidu, "17", 200, sP, "Open api daily request limit reached", ai + ": a daily quota, retrying today cannot help"},
		{Baidu, "18", 200, sT, "Open api qps request limit reached", ai + ": QPS flow control, slow down"},
		{Baidu, "19", 200, sP, "Open api total request limit reached", ai + ": a total quota, retrying cannot help"},
		{Baidu, "100", 200, sP, "Invalid parameter", ai + ": an invalid access_token parameter"},
		{Baidu, "110", 200, sP, "Access token invalid or no longer valid", ai + ": fetch a new access token"},
		{Baidu, "111", 200, sP, "Access token expired", ai + ": fetch a new access token"},
		{Baidu, "216015", 200, sP, "module closed", ai},
		{Baidu, "216100", 200, sP, "invalid param", ai},
		{Baidu, "216101", 200, sP, "not enough param", ai},
		{Baidu, "216102", 200, sP, "service not support", ai},
		{Baidu, "216103", 200, sP, "param too long", ai},
		{Baidu, "216110", 200, sP, "appid not exist", ai},
		{Baidu, "216111", 200, sP, "invalid userid", ai},
		{Baidu, "216200", 200, sP, "empty image", ai},
		{Baidu, "216201", 200, sP, "image format error", ai},
		{Baidu, "216202", 200, sP, "image size error", ai},
		{Baidu, "216203", 200, sP, "image size error (bad base64)", ai},
		{Baidu, "216300", 200, sR, "db error", ai},
		{Baidu, "216400", 200, sR, "backend error", ai},
		{Baidu, "216401", 200, sR, "internal error", ai},
		{Baidu, "216500", 200, sR, "unknown error", ai},
		{Baidu, "216630", 200, sR, "recognize error", ai + ": the docs say request again"},
		{Baidu, "282000", 200, sR, "internal error", ai + ": the docs say request again (large images may time out every time)"},
		{Baidu, "282001", 200, sR, "logic backend error", ai},
		{Baidu, "282002", 200, sP, "input encoding error", ai},
	}
}
