package classify

import "strings"

// Entry is one documented error code of one provider.
type Entry struct {
	Provider Provider
	// Code is the code as documented. It may hold one placeholder, "%s" or
	// "{ParameterName}", standing for a parameter or resource name
	// (letters, digits and underscores, no dots): "Missing{ParameterName}"
	// matches "MissingPhoneNumbers".
	Code string
	// Status is the HTTP status the documentation gives (0 when it gives
	// none). Tencent Cloud answers every error with HTTP 200.
	Status int
	Class  Class
	// Message is what the provider's documentation says the code means.
	Message string
	// Note says why yunrt put the code in its class, when that is not
	// obvious from the class alone.
	Note string
	// Scope is what a flow-control code limits (NoScope for other codes):
	// the transport slows down exactly that scope. Set it for flow-control
	// codes you add; a Throttled code with NoScope limits ScopeAction.
	Scope Scope
}

const (
	sR = Retryable
	sT = Throttled
	sS = Resign
	sU = SideEffectUnknown
	sP = Permanent
)

// aliyunEntries: seeds 000 (Mobile Push), 001 (API Gateway management and
// the public client codes of every Aliyun OpenAPI) and 003 (ECS-era common
// codes), plus the codes yunrt needs beyond them (marked "not in the seeds").
func aliyunEntries() []Entry {
	return []Entry{
		// Server side.
		{Aliyun, "ServiceUnavailable", 503, sR, "The request has failed due to a temporary failure of the server.", "refused before processing: safe to retry, writes too", NoScope},
		{Aliyun, "InternalError", 500, sR, "The request processing has failed due to some unknown error, exception or failure.", "the docs advise retrying; a write is retried only with an idempotency token", NoScope},
		{Aliyun, "Timeout", 500, sU, "The request processing is timeout.", "a push was most likely already accepted: do not retry; a query may be retried later", NoScope},
		{Aliyun, "LastTokenProcessing", 403, sR, "The last token request is processing", "the earlier request with the same ClientToken is still running: retrying the same token is idempotent", NoScope},
		// Flow control.
		{Aliyun, "Throttling", 400, sT, "Request was denied due to request throttling.", "", ScopeAccount},
		{Aliyun, "Throttling.User", 400, sT, "Request was denied due to user flow control.", "", ScopeAction},
		{Aliyun, "Throttling.Api", 400, sT, "Request was denied due to api flow control.", "", ScopeAPI},
		{Aliyun, "Throttling.API", 400, sT, "Request was denied due to api flow control.", "", ScopeAPI},
		{Aliyun, "ServiceForbidden", 400, sT, "Your Gateway service is forbidden by risk control.", "risk control against frequent requests: the docs advise slowing down and retrying later", ScopeAccount},
		{Aliyun, "isv.BUSINESS_LIMIT_CONTROL", 200, sT, "SMS business flow control (per number and per minute/hour/day).", "not in the seeds: dysmsapi reports it inside an HTTP 200 body", ScopeRecipient},
		// Signature nonce and timestamp.
		{Aliyun, "SignatureNonceUsed", 400, sS, "Specified signature nonce was used already.", "a fresh nonce fixes it; without a signer of yunrt's own a write's first copy may have been processed", NoScope},
		{Aliyun, "InvalidTimeStamp.Expired", 400, sS, "Specified time stamp or date value is expired.", "more than 15 minutes from server time: re-sign with a skew-corrected timestamp", NoScope},
		{Aliyun, "IllegalTimestamp", 400, sS, "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.", "Timestamp more than an hour from server time: re-sign", NoScope},
		// Authentication and signature.
		{Aliyun, "InvalidTimeStamp.Format", 400, sP, "Specified time stamp or date value is not well formatted.", "", NoScope},
		{Aliyun, "SignatureDoesNotMatch", 400, sP, "Specified signature is not matched with our calculation.", "", NoScope},
		{Aliyun, "IncompleteSignature", 400, sP, "The request signature does not conform to Aliyun standards.", "", NoScope},
		{Aliyun, "InvalidSignatureMethod", 400, sP, "Specified signature method is not valid.", "", NoScope},
		{Aliyun, "InvalidAccessKeyId.NotFound", 404, sP, "Specified access key is not found.", "", NoScope},
		{Aliyun, "InvalidAccessKeyId.Inactive", 400, sP, "Specified access key is disabled.", "", NoScope},
		{Aliyun, "Forbidden.AccessKeyDisabled", 403, sP, "The Access Key is disabled.", "", NoScope},
		{Aliyun, "MissingSecurityToken", 400, sP, "SecurityToken is mandatory for this action.", "", NoScope},
		{Aliyun, "EqualSignature", 400, sP, "The new signature is the same as the old.", "", NoScope},
		// Routing and protocol.
		{Aliyun, "InvalidProduct.NotFound", 404, sP, "Cannot find product according to your specified domain.", "", NoScope},
		{Aliyun, "InvalidApi.NotFound", 404, sP, "Specified api is not found, please check your url and method.", "", NoScope},
		{Aliyun, "InvalidProtocol.NeedSsl", 404, sP, "Your request is denied as lack of ssl protect.", "", NoScope},
		{Aliyun, "UnsupportedHTTPMethod", 403, sP, "This http method is not supported.", "", NoScope},
		{Aliyun, "InvalidAction", 403, sP, "Specified action is not valid.", "", NoScope},
		// Account and permission.
		{Aliyun, "AccountNotSupport", 400, sP, "Your account is not support.", "", NoScope},
		{Aliyun, "AccountProhibited", 400, sP, "Your account is prohibited.", "", NoScope},
		{Aliyun, "AccountInDebt", 400, sP, "Your account is in debt.", "", NoScope},
		{Aliyun, "AccountDisabled", 400, sP, "Your account is not enabled.", "", NoScope},
		{Aliyun, "PermissionDenied", 400, sP, "The specified AppKey is not authorized.", "", NoScope},
		{Aliyun, "NoPermission", 403, sP, "You are not authorized to do this operation.", "", NoScope},
		{Aliyun, "Forbidden%s", 403, sP, "Not allowed to operate on the specified %s.", "", NoScope},
		{Aliyun, "Forbidden.SubUser", 403, sP, "The specified action is not available for you.", "", NoScope},
		{Aliyun, "Forbidden.InstanceNotFound", 404, sP, "The specified Instance is not found, so we cann't get enough information to check permission in RAM.", "", NoScope},
		{Aliyun, "Forbidden.DiskNotFound", 404, sP, "The specified Disk is not found, so we cann't get enough information to check permission in RAM.", "", NoScope},
		{Aliyun, "Forbidden.SecurityGroupNotFound", 404, sP, "The specified SecurityGroup is not found, so we cann't get enough information to check permission in RAM.", "", NoScope},
		{Aliyun, "Forbidden.SnapshotNotFound", 404, sP, "The specified Snapshot is not found, so we cann't get enough information to check permission in RAM.", "", NoScope},
		{Aliyun, "Forbidden.ImageNotFound", 404, sP, "The specified Image is not found, so we cann't get enough information to check permission in RAM.", "", NoScope},
		{Aliyun, "Forbidden.RAM", 403, sP, "User not authorized to operate the specified resource, or this API doesn't support RAM.", "", NoScope},
		{Aliyun, "Forbidden.NotSupportRAM", 403, sP, "This action does not support accessed by RAM mode.", "", NoScope},
		{Aliyun, "InsufficientBalance", 400, sP, "Your account does not have enough balance.", "", NoScope},
		{Aliyun, "RealNameAuthenticationError", 403, sP, "Your account has not passed the real-name authentication yet.", "", NoScope},
		{Aliyun, "ServiceUnOpen", 400, sP, "Your Gateway service has not been opened.", "", NoScope},
		{Aliyun, "ServiceInDept", 400, sP, "Your API Gateway service is in dept.", "", NoScope},
		{Aliyun, "UserNotFound", 404, sP, "The specified user can not be found.", "", NoScope},
		// Parameters.
		{Aliyun, "Missing{ParameterName}", 400, sP, "{ParameterName} is mandatory for this action.", "", NoScope},
		{Aliyun, "Missing%s", 400, sP, "The %s is mandatory for this action.", "", NoScope},
		{Aliyun, "MissingParameter", 400, sP, "The input parameter that is mandatory for processing this request is not supplied.", "", NoScope},
		{Aliyun, "MissingAppIdOrAppOwner", 400, sP, "AppId or AppOwner must have a valid value.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}", 400, sP, "Specified parameter {ParameterName} is not valid.", "", NoScope},
		{Aliyun, "Invalid%s", 400, sP, "The specified parameter %s value is not valid.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}.NotFound", 400, sP, "The specified {ParameterName} is not found.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}.Format", 400, sP, "The specified {ParameterName} is not well formatted.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}.Empty", 400, sP, "Specified {ParameterName} can't be empty.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}.Blank", 400, sP, "Specified {ParameterName} can't be blank.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}.BytesExceed", 400, sP, "Specified {ParameterName} exceeds the %s bytes limit.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}.LengthExceed", 400, sP, "Specified {ParameterName}.length can't be greater than %s.", "", NoScope},
		{Aliyun, "Invalid{ParameterName}.SizeExceed", 400, sP, "Specified {ParameterName}.size can't be greater than %s.", "", NoScope},
		{Aliyun, "Invalid%s.LengthLimit", 400, sP, "The parameter %s length exceeds the limit.", "", NoScope},
		{Aliyun, "InvalidFormat%s", 400, sP, "The specified parameter %s value is not well formatted.", "", NoScope},
		{Aliyun, "InvalidParameter", 400, sP, "The specified parameter is not valid.", "", NoScope},
		{Aliyun, "InvalidParameter.Format", 400, sP, "Specified parameter format is not valid.", "", NoScope},
		{Aliyun, "InvalidParamater", 400, sP, "The specified parameter \"SignatureMethod\" or \"SignatureVersion\" is not valid.", "sic: the gateway's own spelling", NoScope},
		{Aliyun, "UnsupportedParameter", 400, sP, "The parameter is not supported.", "", NoScope},
		{Aliyun, "InvalidOwnerId", 400, sP, "The specified OwnerId is not valid.", "", NoScope},
		{Aliyun, "InvalidOwnerAccount", 400, sP, "The specified OwnerAccount is not valid.", "", NoScope},
		{Aliyun, "InvalidOwner", 400, sP, "OwnerId and OwnerAccount can't be used at one API access.", "", NoScope},
		{Aliyun, "Repeated%s", 400, sP, "The specified %s is repeated.", "", NoScope},
		{Aliyun, "RepeatedCommit", 400, sP, "Resubmit request.", "the same submission was already received: resending cannot help", NoScope},
		{Aliyun, "NotFound%s", 400, sP, "Cannot find resource according to your specified %s.", "", NoScope},
		{Aliyun, "Duplicate%s", 400, sP, "The specified parameter %s value is duplicate.", "", NoScope},
		{Aliyun, "DependencyViolation%s", 400, sP, "The specified %s has %s definitions.", "", NoScope},
		{Aliyun, "ExceedLimit%s", 400, sP, "The specified %s count exceeds the limit.", "", NoScope},
		{Aliyun, "LimitExceed", 400, sP, "The specified ExpireTime can not before Now(+3Seconds)", "", NoScope},
		{Aliyun, "Specified Pushtime can not be after seven days", 0, sP, "Specified PushTime can not be after seven days.", "the seed's code column holds this sentence; the API's code is PushTimeTooLate", NoScope},
		{Aliyun, "PushTimeTooLate", 0, sP, "Specified PushTime can not be after seven days.", "not in the seeds verbatim (garbled there as PushTimeTlloLate)", NoScope},
		{Aliyun, "IdempotentParameterMismatch", 400, sP, "Request uses a client token in a previous request but is not identical to that request.", "", NoScope},
		{Aliyun, "InvalidIdempotenceParameter.Mismatch", 403, sP, "The specified parameters are different from before", "", NoScope},
		// API Gateway management.
		{Aliyun, "DomainCertificateNotFound", 400, sP, "Cannot find the domain certificate.", "", NoScope},
		{Aliyun, "DomainNotResolved", 400, sP, "The specified domain has not been resolved.", "", NoScope},
		{Aliyun, "InvalidICPLicense", 400, sP, "The specified domain have not got ICP license, or the ICP license does not belong to Aliyun.", "", NoScope},
		{Aliyun, "InvalidApiDefault", 400, sP, "The ApiDefault value exceeds limit.", "", NoScope},
		{Aliyun, "InvalidAppDefault", 400, sP, "The AppDefault value must smaller than the UserDefault and ApiDefault.", "", NoScope},
		{Aliyun, "InvalidUserDefault", 400, sP, "The UserDefault value must bigger than the AppDefault and smaller than the ApiDefault.", "", NoScope},
		{Aliyun, "InvalidParamMapping", 400, sP, "Parameters must be fully mapped.", "", NoScope},
		{Aliyun, "CertificateNotMatch", 400, sP, "The domain does not match the one in the certificate.", "", NoScope},
		{Aliyun, "CertificateKeyNotMatch", 400, sP, "The certificate private key does not match the public key.", "", NoScope},
		{Aliyun, "PrivateKeyEncrypted", 400, sP, "The certificate private key is encrypted, please upload the unencrypted version.", "", NoScope},
		{Aliyun, "CertificateSecretKeyError", 400, sP, "The certificate private key is invalid.", "", NoScope},
		{Aliyun, "InvalidApiServiceAddress", 400, sP, "The specified service address is not valid.", "", NoScope},
	}
}

// tencentEntries: seed 002 (Tencent Cloud API 3.0 common codes and the SMS
// business codes). Tencent answers every error inside an HTTP 200 body.
func tencentEntries() []Entry {
	return []Entry{
		{Tencent, "ActionOffline", 200, sP, "The API has been taken offline.", "", NoScope},
		{Tencent, "AuthFailure.InvalidAuthorization", 200, sP, "The Authorization header does not follow the standard.", "", NoScope},
		{Tencent, "AuthFailure.InvalidSecretId", 200, sP, "Invalid key (not a cloud API key).", "", NoScope},
		{Tencent, "AuthFailure.MFAFailure", 200, sP, "MFA failure.", "", NoScope},
		{Tencent, "AuthFailure.SecretIdNotFound", 200, sP, "The key does not exist, or is deleted or disabled.", "", NoScope},
		{Tencent, "AuthFailure.SignatureExpire", 200, sS, "Signature expired: the timestamp must be within five minutes of server time.", "re-sign with a skew-corrected timestamp", NoScope},
		{Tencent, "AuthFailure.SignatureFailure", 200, sP, "Signature error: the signature was computed wrongly.", "", NoScope},
		{Tencent, "AuthFailure.TokenFailure", 200, sP, "Token error.", "", NoScope},
		{Tencent, "AuthFailure.UnauthorizedOperation", 200, sP, "The request is not authorized (CAM).", "", NoScope},
		{Tencent, "DryRunOperation", 200, sP, "DryRun: the request would have succeeded; only the DryRun parameter was added.", "an answer with Response.Error is a failed call (seed 002; the SDK returns an error): final, nothing was done, nothing to retry", NoScope},
		{Tencent, "FailedOperation", 200, sP, "Operation failed.", "", NoScope},
		{Tencent, "InternalError", 200, sR, "Internal error.", "the server failed; a write is retried only with an idempotency token", NoScope},
		{Tencent, "InvalidAction", 200, sP, "The API does not exist.", "", NoScope},
		{Tencent, "InvalidParameter", 200, sP, "Parameter error (format, type, …).", "", NoScope},
		{Tencent, "InvalidParameterValue", 200, sP, "Invalid parameter value.", "", NoScope},
		{Tencent, "InvalidRequest", 200, sP, "The multipart format of the request body is wrong.", "", NoScope},
		{Tencent, "IpInBlacklist", 200, sP, "The IP address is in the blocklist.", "", NoScope},
		{Tencent, "IpNotInWhitelist", 200, sP, "The IP address is not in the allowlist.", "", NoScope},
		{Tencent, "LimitExceeded", 200, sP, "Quota limit exceeded.", "", NoScope},
		{Tencent, "MissingParameter", 200, sP, "A parameter is missing.", "", NoScope},
		{Tencent, "NoSuchProduct", 200, sP, "The product does not exist.", "", NoScope},
		{Tencent, "NoSuchVersion", 200, sP, "The API version does not exist.", "", NoScope},
		{Tencent, "RequestLimitExceeded", 200, sT, "The number of requests exceeds the frequency limit.", "", ScopeAction},
		{Tencent, "RequestLimitExceeded.GlobalRegionUinLimitExceeded", 200, sT, "The root account exceeds the frequency limit.", "", ScopeAccount},
		{Tencent, "RequestLimitExceeded.IPLimitExceeded", 200, sT, "The IP address exceeds the frequency limit.", "", ScopeClient},
		{Tencent, "RequestLimitExceeded.UinLimitExceeded", 200, sT, "The root account exceeds the frequency limit.", "", ScopeAccount},
		{Tencent, "RequestSizeLimitExceeded", 200, sP, "The request packet exceeds the size limit.", "", NoScope},
		{Tencent, "ResourceInUse", 200, sP, "The resource is in use.", "", NoScope},
		{Tencent, "ResourceInsufficient", 200, sP, "Insufficient resources.", "", NoScope},
		{Tencent, "ResourceNotFound", 200, sP, "The resource does not exist.", "", NoScope},
		{Tencent, "ResourceUnavailable", 200, sP, "The resource is unavailable.", "", NoScope},
		{Tencent, "ResponseSizeLimitExceeded", 200, sP, "The response packet exceeds the size limit.", "", NoScope},
		{Tencent, "ServiceUnavailable", 200, sR, "The service is temporarily unavailable.", "refused before processing: safe to retry, writes too", NoScope},
		{Tencent, "UnauthorizedOperation", 200, sP, "Unauthorized operation.", "", NoScope},
		{Tencent, "UnknownParameter", 200, sP, "Unknown parameter: the request carries a parameter that is not defined.", "", NoScope},
		{Tencent, "UnsupportedOperation", 200, sP, "Unsupported operation.", "", NoScope},
		{Tencent, "UnsupportedProtocol", 200, sP, "Wrong HTTP(S) request method: only GET and POST are supported.", "", NoScope},
		{Tencent, "UnsupportedRegion", 200, sP, "The API does not support the given region.", "", NoScope},
		// SMS business codes.
		{Tencent, "FailedOperation.ContainSensitiveWord", 200, sP, "The SMS content contains a sensitive word.", "", NoScope},
		{Tencent, "FailedOperation.FailResolvePacket", 200, sP, "Failed to parse the request packet (it does not follow the API description).", "", NoScope},
		{Tencent, "FailedOperation.InsufficientBalanceInSmsPackage", 200, sP, "Not enough SMS left in the package.", "", NoScope},
		{Tencent, "FailedOperation.JsonParseFail", 200, sP, "Failed to parse the request body.", "", NoScope},
		{Tencent, "FailedOperation.MarketingSendTimeConstraint", 200, sP, "Marketing SMS may only be sent between 8:00 and 22:00.", "", NoScope},
		{Tencent, "FailedOperation.MissingSignature", 200, sP, "A template cannot be applied for before a signature is.", "", NoScope},
		{Tencent, "FailedOperation.MissingSignatureList", 200, sP, "The signature cannot be identified (not approved).", "", NoScope},
		{Tencent, "FailedOperation.MissingSignatureToModify", 200, sP, "The signature ID was not submitted or does not exist.", "", NoScope},
		{Tencent, "FailedOperation.MissingTemplateList", 200, sP, "The template cannot be identified (not approved).", "", NoScope},
		{Tencent, "FailedOperation.MissingTemplateToModify", 200, sP, "The template ID was not submitted or does not exist.", "", NoScope},
		{Tencent, "FailedOperation.NotEnterpriseCertification", 200, sP, "Signature and template APIs need enterprise certification.", "", NoScope},
		{Tencent, "FailedOperation.OtherError", 200, sP, "Other error, usually parameters that do not meet the requirements.", "", NoScope},
		{Tencent, "FailedOperation.ParametersOtherError", 200, sP, "Unknown parameter error.", "", NoScope},
		{Tencent, "FailedOperation.PhoneNumberInBlacklist", 200, sP, "The phone number is on the do-not-disturb list.", "", NoScope},
		{Tencent, "FailedOperation.SignIdNotExist", 200, sP, "The signature ID does not exist.", "", NoScope},
		{Tencent, "FailedOperation.SignNumberLimit", 200, sP, "The number of signatures reached its maximum.", "", NoScope},
		{Tencent, "FailedOperation.SignatureIncorrectOrUnapproved", 200, sP, "The SMS signature is not approved or malformed.", "", NoScope},
		{Tencent, "FailedOperation.TemplateAlreadyPassedCheck", 200, sP, "The template was already approved and cannot be modified.", "", NoScope},
		{Tencent, "FailedOperation.TemplateIdNotExist", 200, sP, "The template ID does not exist.", "", NoScope},
		{Tencent, "FailedOperation.TemplateIncorrectOrUnapproved", 200, sP, "The template is not approved or its content does not match.", "", NoScope},
		{Tencent, "FailedOperation.TemplateNumberLimit", 200, sP, "The number of templates reached its maximum.", "", NoScope},
		{Tencent, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", 200, sP, "The request does not match the approved template's parameters.", "", NoScope},
		{Tencent, "FailedOperation.TemplateUnapprovedOrNotExist", 200, sP, "The template is not approved or does not exist.", "", NoScope},
		{Tencent, "InternalError.ConstructUserDataFail", 200, sR, "The backend failed to construct the user parameters.", "fails before anything is dispatched", NoScope},
		{Tencent, "InternalError.JsonParseFail", 200, sP, "Failed to parse the user parameters.", "the same parameters fail again", NoScope},
		{Tencent, "InternalError.OtherError", 200, sU, "Other error; contact support with the failed phone numbers.", "some numbers of a batch may have been sent", NoScope},
		{Tencent, "InternalError.ParseBackendResponseFail", 200, sU, "Failed to parse the carrier's response.", "the carrier received the message: it may have been sent", NoScope},
		{Tencent, "InternalError.RequestTimeException", 200, sS, "Abnormal request time: the server clock differs from Tencent's by more than 10 minutes.", "re-sign with a skew-corrected timestamp", NoScope},
		{Tencent, "InternalError.RestApiInterfaceNotExist", 200, sP, "The REST API does not exist.", "", NoScope},
		{Tencent, "InternalError.SendAndRecvFail", 200, sU, "The API or the SMS send/receive timed out.", "the SMS may have been sent", NoScope},
		{Tencent, "InternalError.SigFieldMissing", 200, sP, "The backend request has no Sig field or it is empty.", "", NoScope},
		{Tencent, "InternalError.SigVerificationFail", 200, sP, "The backend failed to verify Sig.", "", NoScope},
		{Tencent, "InternalError.Timeout", 200, sU, "Sending the SMS timed out.", "the SMS was most likely sent", NoScope},
		{Tencent, "InternalError.UnknownError", 200, sU, "Unknown error type.", "nothing proves the SMS was not sent", NoScope},
		{Tencent, "InvalidParameter.AppidAndBizId", 200, sP, "The account and the application ID do not match.", "", NoScope},
		{Tencent, "InvalidParameter.InvalidParameters", 200, sP, "Invalid parameters.", "", NoScope},
		{Tencent, "InvalidParameterValue.BeginTimeVerifyFail", 200, sP, "BeginTime failed validation.", "", NoScope},
		{Tencent, "InvalidParameterValue.ContentLengthLimit", 200, sP, "The SMS content is too long.", "", NoScope},
		{Tencent, "InvalidParameterValue.EndTimeVerifyFail", 200, sP, "EndTime failed validation.", "", NoScope},
		{Tencent, "InvalidParameterValue.ImageInvalid", 200, sP, "The transcoded image has a wrong format.", "", NoScope},
		{Tencent, "InvalidParameterValue.IncorrectPhoneNumber", 200, sP, "Malformed phone number.", "", NoScope},
		{Tencent, "InvalidParameterValue.InvalidDocumentType", 200, sP, "DocumentType failed validation.", "", NoScope},
		{Tencent, "InvalidParameterValue.InvalidInternational", 200, sP, "International failed validation.", "", NoScope},
		{Tencent, "InvalidParameterValue.InvalidStartTime", 200, sP, "Invalid start or end time for pulling.", "", NoScope},
		{Tencent, "InvalidParameterValue.InvalidUsedMethod", 200, sP, "UsedMethod failed validation.", "", NoScope},
		{Tencent, "InvalidParameterValue.MarketingTemplateWithoutUnsubscribe", 200, sP, "A marketing SMS must contain an unsubscribe method.", "", NoScope},
		{Tencent, "InvalidParameterValue.MissingSignatureList", 200, sP, "The signature cannot be identified (not approved).", "", NoScope},
		{Tencent, "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", 200, sP, "URLs are not allowed in template variables.", "", NoScope},
		{Tencent, "InvalidParameterValue.SdkAppIdNotExist", 200, sP, "The SdkAppId does not exist.", "", NoScope},
		{Tencent, "InvalidParameterValue.SignAlreadyPassedCheck", 200, sP, "The signature was already approved and cannot be modified.", "", NoScope},
		{Tencent, "InvalidParameterValue.SignExistAndUnapproved", 200, sP, "The same signature is already pending review.", "", NoScope},
		{Tencent, "InvalidParameterValue.SignNameLengthTooLong", 200, sP, "The signature is too long.", "", NoScope},
		{Tencent, "InvalidParameterValue.TemplateParameterFormatError", 200, sP, "Verification-code template variables must be 0-6 digits.", "", NoScope},
		{Tencent, "InvalidParameterValue.TemplateParameterLengthLimit", 200, sP, "A template variable exceeds its character limit.", "", NoScope},
		{Tencent, "LimitExceeded.AppCountryOrRegionDailyLimit", 200, sP, "The daily limit for the country or region was exceeded.", "a daily quota: retrying today cannot help", NoScope},
		{Tencent, "LimitExceeded.AppCountryOrRegionInBlacklist", 200, sP, "The country or region is not in the allowed list.", "", NoScope},
		{Tencent, "LimitExceeded.AppDailyLimit", 200, sP, "The application's daily SMS limit was exceeded.", "a daily quota: retrying today cannot help", NoScope},
		{Tencent, "LimitExceeded.AppGlobalDailyLimit", 200, sP, "The application's daily international SMS limit was exceeded.", "a daily quota: retrying today cannot help", NoScope},
		{Tencent, "LimitExceeded.AppMainlandChinaDailyLimit", 200, sP, "The application's daily mainland China SMS limit was exceeded.", "a daily quota: retrying today cannot help", NoScope},
		{Tencent, "LimitExceeded.DailyLimit", 200, sP, "The daily SMS limit (international) was exceeded.", "a daily quota: retrying today cannot help", NoScope},
		{Tencent, "LimitExceeded.DeliveryFrequencyLimit", 200, sP, "The delivery hit the frequency limit policy.", "the console's per-number frequency policy, not the client's rate: slowing down does not help", ScopeRecipient},
		{Tencent, "LimitExceeded.PhoneNumberCountLimit", 200, sP, "More than 200 phone numbers in one request.", "the request's size, not a limit of one recipient", NoScope},
		{Tencent, "LimitExceeded.PhoneNumberDailyLimit", 200, sP, "The daily SMS limit of one phone number was exceeded.", "a daily quota: retrying today cannot help", ScopeRecipient},
		{Tencent, "LimitExceeded.PhoneNumberOneHourLimit", 200, sP, "The hourly SMS limit of one phone number was exceeded.", "a per-recipient window far longer than any backoff", ScopeRecipient},
		{Tencent, "LimitExceeded.PhoneNumberSameContentDailyLimit", 200, sP, "The limit of identical content to one phone number was exceeded.", "a daily quota: retrying today cannot help", ScopeRecipient},
		{Tencent, "LimitExceeded.PhoneNumberThirtySecondLimit", 200, sP, "The 30-second SMS limit of one phone number was exceeded.", "a per-recipient window: the caller decides whether to send again", ScopeRecipient},
		{Tencent, "MissingParameter.EmptyPhoneNumberSet", 200, sP, "The phone number list is empty.", "", NoScope},
		{Tencent, "MissingParameter.MissingSignatureList", 200, sP, "No such signature or template under the account.", "", NoScope},
		{Tencent, "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny", 200, sP, "Individual users may not send marketing SMS.", "", NoScope},
		{Tencent, "UnauthorizedOperation.RequestIpNotInWhitelist", 200, sP, "The request IP is not in the allowlist.", "", NoScope},
		{Tencent, "UnauthorizedOperation.RequestPermissionDeny", 200, sP, "The request has no permission.", "", NoScope},
		{Tencent, "UnauthorizedOperation.SdkAppIdIsDisabled", 200, sP, "The SdkAppId is disabled.", "", NoScope},
		{Tencent, "UnauthorizedOperation.ServiceSuspendDueToArrears", 200, sP, "Service suspended for arrears.", "", NoScope},
		{Tencent, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", 200, sP, "SmsSdkAppId does not belong to the API key's account.", "", NoScope},
		{Tencent, "UnsupportedOperation.", 200, sP, "The request is not supported.", "sic: the seed lists the code with a trailing dot", NoScope},
		{Tencent, "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone", 200, sP, "A mainland China template cannot be sent to an international number.", "", NoScope},
		{Tencent, "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", 200, sP, "A batch mixes mainland China and international numbers.", "", NoScope},
		{Tencent, "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone", 200, sP, "An international template cannot be sent to a mainland China number.", "", NoScope},
		{Tencent, "UnsupportedOperation.UnsupportedRegion", 200, sP, "SMS to this region is not supported.", "", NoScope},
	}
}

// baiduEntries: seed 004 (Baidu AI Cloud common codes and the development
// machine codes).
func baiduEntries() []Entry {
	return []Entry{
		{Baidu, "AccessDenied", 403, sP, "Access denied.", "", NoScope},
		{Baidu, "InappropriateJSON", 400, sP, "The JSON you provided was well-formed and valid, but not appropriate for this operation.", "", NoScope},
		{Baidu, "InternalError", 500, sR, "We encountered an internal error. Please try again.", "a write is retried only with an idempotency token", NoScope},
		{Baidu, "InvalidAccessKeyId", 403, sP, "The Access Key ID you provided does not exist in our records.", "", NoScope},
		{Baidu, "InvalidHTTPAuthHeader", 400, sP, "The HTTP authorization header is invalid. Consult the service documentation for details.", "", NoScope},
		{Baidu, "InvalidHTTPRequest", 400, sP, "There was an error in the body of your HTTP request.", "", NoScope},
		{Baidu, "InvalidURI", 400, sP, "Could not parse the specified URI.", "", NoScope},
		{Baidu, "MalformedJSON", 400, sP, "The JSON you provided was not well-formed.", "", NoScope},
		{Baidu, "InvalidVersion", 404, sP, "The API version specified was invalid.", "", NoScope},
		{Baidu, "OptInRequired", 403, sP, "A subscription for the service is required.", "", NoScope},
		{Baidu, "PreconditionFailed", 412, sP, "The specified If-Match header doesn't match the ETag header.", "", NoScope},
		{Baidu, "RequestExpired", 400, sS, "Request has expired. Timestamp date is XXX.", "re-sign with a skew-corrected x-bce-date", NoScope},
		{Baidu, "IdempotentParameterMismatch", 403, sP, "The request uses the same client token as a previous, but non-identical request.", "", NoScope},
		{Baidu, "SignatureDoesNotMatch", 400, sP, "The request signature we calculated does not match the signature you provided. Check your Secret Access Key and signing method.", "", NoScope},
		{Baidu, "NotFound", 403, sP, "Resource could not be found", "", NoScope},
		{Baidu, "Forbidden", 403, sP, "Operation is not allowed", "", NoScope},
		{Baidu, "InvalidParameter", 400, sP, "Invalid parameter", "", NoScope},
	}
}

// The placeholders a documented code may hold.
const (
	placeholderPrintf = "%s"
	placeholderParam  = "{ParameterName}"
)

// splitPattern returns the literal text around a code's placeholder, and
// false when the code holds none.
func splitPattern(code string) (prefix, suffix string, ok bool) {
	for _, ph := range [...]string{placeholderPrintf, placeholderParam} {
		if i := strings.Index(code, ph); i >= 0 {
			return code[:i], code[i+len(ph):], true
		}
	}
	return "", "", false
}

// isName reports whether s can stand for a placeholder: one or more
// letters, digits or underscores.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
