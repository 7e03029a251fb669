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
		{Aliyun, "ServiceUnavailable", 503, sR, "The request has failed due to a temporary failure of the server.", "refused before processing: safe to retry, writes too"},
		{Aliyun, "InternalError", 500, sR, "The request processing has failed due to some unknown error, exception or failure.", "the docs advise retrying; a write is retried only with an idempotency token"},
		{Aliyun, "Timeout", 500, sU, "The request processing is timeout.", "a push was most likely already accepted: do not retry; a query may be retried later"},
		{Aliyun, "LastTokenProcessing", 403, sR, "The last token request is processing", "the earlier request with the same ClientToken is still running: retrying the same token is idempotent"},
		// Flow control.
		{Aliyun, "Throttling", 400, sT, "Request was denied due to request throttling.", ""},
		{Aliyun, "Throttling.User", 400, sT, "Request was denied due to user flow control.", ""},
		{Aliyun, "Throttling.Api", 400, sT, "Request was denied due to api flow control.", ""},
		{Aliyun, "Throttling.API", 400, sT, "Request was denied due to api flow control.", ""},
		{Aliyun, "ServiceForbidden", 400, sT, "Your Gateway service is forbidden by risk control.", "risk control against frequent requests: the docs advise slowing down and retrying later"},
		{Aliyun, "isv.BUSINESS_LIMIT_CONTROL", 200, sT, "SMS business flow control (per number and per minute/hour/day).", "not in the seeds: dysmsapi reports it inside an HTTP 200 body"},
		// Signature nonce and timestamp.
		{Aliyun, "SignatureNonceUsed", 400, sS, "Specified signature nonce was used already.", "a fresh nonce fixes it; without a signer of yunrt's own a write's first copy may have been processed"},
		{Aliyun, "InvalidTimeStamp.Expired", 400, sS, "Specified time stamp or date value is expired.", "more than 15 minutes from server time: re-sign with a skew-corrected timestamp"},
		{Aliyun, "IllegalTimestamp", 400, sS, "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.", "Timestamp more than an hour from server time: re-sign"},
		// Authentication and signature.
		{Aliyun, "InvalidTimeStamp.Format", 400, sP, "Specified time stamp or date value is not well formatted.", ""},
		{Aliyun, "SignatureDoesNotMatch", 400, sP, "Specified signature is not matched with our calculation.", ""},
		{Aliyun, "IncompleteSignature", 400, sP, "The request signature does not conform to Aliyun standards.", ""},
		{Aliyun, "InvalidSignatureMethod", 400, sP, "Specified signature method is not valid.", ""},
		{Aliyun, "InvalidAccessKeyId.NotFound", 404, sP, "Specified access key is not found.", ""},
		{Aliyun, "InvalidAccessKeyId.Inactive", 400, sP, "Specified access key is disabled.", ""},
		{Aliyun, "Forbidden.AccessKeyDisabled", 403, sP, "The Access Key is disabled.", ""},
		{Aliyun, "MissingSecurityToken", 400, sP, "SecurityToken is mandatory for this action.", ""},
		{Aliyun, "EqualSignature", 400, sP, "The new signature is the same as the old.", ""},
		// Routing and protocol.
		{Aliyun, "InvalidProduct.NotFound", 404, sP, "Cannot find product according to your specified domain.", ""},
		{Aliyun, "InvalidApi.NotFound", 404, sP, "Specified api is not found, please check your url and method.", ""},
		{Aliyun, "InvalidProtocol.NeedSsl", 404, sP, "Your request is denied as lack of ssl protect.", ""},
		{Aliyun, "UnsupportedHTTPMethod", 403, sP, "This http method is not supported.", ""},
		{Aliyun, "InvalidAction", 403, sP, "Specified action is not valid.", ""},
		// Account and permission.
		{Aliyun, "AccountNotSupport", 400, sP, "Your account is not support.", ""},
		{Aliyun, "AccountProhibited", 400, sP, "Your account is prohibited.", ""},
		{Aliyun, "AccountInDebt", 400, sP, "Your account is in debt.", ""},
		{Aliyun, "AccountDisabled", 400, sP, "Your account is not enabled.", ""},
		{Aliyun, "PermissionDenied", 400, sP, "The specified AppKey is not authorized.", ""},
		{Aliyun, "NoPermission", 403, sP, "You are not authorized to do this operation.", ""},
		{Aliyun, "Forbidden%s", 403, sP, "Not allowed to operate on the specified %s.", ""},
		{Aliyun, "Forbidden.SubUser", 403, sP, "The specified action is not available for you.", ""},
		{Aliyun, "Forbidden.InstanceNotFound", 404, sP, "The specified Instance is not found, so we cann't get enough information to check permission in RAM.", ""},
		{Aliyun, "Forbidden.DiskNotFound", 404, sP, "The specified Disk is not found, so we cann't get enough information to check permission in RAM.", ""},
		{Aliyun, "Forbidden.SecurityGroupNotFound", 404, sP, "The specified SecurityGroup is not found, so we cann't get enough information to check permission in RAM.", ""},
		{Aliyun, "Forbidden.SnapshotNotFound", 404, sP, "The specified Snapshot is not found, so we cann't get enough information to check permission in RAM.", ""},
		{Aliyun, "Forbidden.ImageNotFound", 404, sP, "The specified Image is not found, so we cann't get enough information to check permission in RAM.", ""},
		{Aliyun, "Forbidden.RAM", 403, sP, "User not authorized to operate the specified resource, or this API doesn't support RAM.", ""},
		{Aliyun, "Forbidden.NotSupportRAM", 403, sP, "This action does not support accessed by RAM mode.", ""},
		{Aliyun, "InsufficientBalance", 400, sP, "Your account does not have enough balance.", ""},
		{Aliyun, "RealNameAuthenticationError", 403, sP, "Your account has not passed the real-name authentication yet.", ""},
		{Aliyun, "ServiceUnOpen", 400, sP, "Your Gateway service has not been opened.", ""},
		{Aliyun, "ServiceInDept", 400, sP, "Your API Gateway service is in dept.", ""},
		{Aliyun, "UserNotFound", 404, sP, "The specified user can not be found.", ""},
		// Parameters.
		{Aliyun, "Missing{ParameterName}", 400, sP, "{ParameterName} is mandatory for this action.", ""},
		{Aliyun, "Missing%s", 400, sP, "The %s is mandatory for this action.", ""},
		{Aliyun, "MissingParameter", 400, sP, "The input parameter that is mandatory for processing this request is not supplied.", ""},
		{Aliyun, "MissingAppIdOrAppOwner", 400, sP, "AppId or AppOwner must have a valid value.", ""},
		{Aliyun, "Invalid{ParameterName}", 400, sP, "Specified parameter {ParameterName} is not valid.", ""},
		{Aliyun, "Invalid%s", 400, sP, "The specified parameter %s value is not valid.", ""},
		{Aliyun, "Invalid{ParameterName}.NotFound", 400, sP, "The specified {ParameterName} is not found.", ""},
		{Aliyun, "Invalid{ParameterName}.Format", 400, sP, "The specified {ParameterName} is not well formatted.", ""},
		{Aliyun, "Invalid{ParameterName}.Empty", 400, sP, "Specified {ParameterName} can't be empty.", ""},
		{Aliyun, "Invalid{ParameterName}.Blank", 400, sP, "Specified {ParameterName} can't be blank.", ""},
		{Aliyun, "Invalid{ParameterName}.BytesExceed", 400, sP, "Specified {ParameterName} exceeds the %s bytes limit.", ""},
		{Aliyun, "Invalid{ParameterName}.LengthExceed", 400, sP, "Specified {ParameterName}.length can't be greater than %s.", ""},
		{Aliyun, "Invalid{ParameterName}.SizeExceed", 400, sP, "Specified {ParameterName}.size can't be greater than %s.", ""},
		{Aliyun, "Invalid%s.LengthLimit", 400, sP, "The parameter %s length exceeds the limit.", ""},
		{Aliyun, "InvalidFormat%s", 400, sP, "The specified parameter %s value is not well formatted.", ""},
		{Aliyun, "InvalidParameter", 400, sP, "The specified parameter is not valid.", ""},
		{Aliyun, "InvalidParameter.Format", 400, sP, "Specified parameter format is not valid.", ""},
		{Aliyun, "InvalidParamater", 400, sP, "The specified parameter \"SignatureMethod\" or \"SignatureVersion\" is not valid.", "sic: the gateway's own spelling"},
		{Aliyun, "UnsupportedParameter", 400, sP, "The parameter is not supported.", ""},
		{Aliyun, "InvalidOwnerId", 400, sP, "The specified OwnerId is not valid.", ""},
		{Aliyun, "InvalidOwnerAccount", 400, sP, "The specified OwnerAccount is not valid.", ""},
		{Aliyun, "InvalidOwner", 400, sP, "OwnerId and OwnerAccount can't be used at one API access.", ""},
		{Aliyun, "Repeated%s", 400, sP, "The specified %s is repeated.", ""},
		{Aliyun, "RepeatedCommit", 400, sP, "Resubmit request.", "the same submission was already received: resending cannot help"},
		{Aliyun, "NotFound%s", 400, sP, "Cannot find resource according to your specified %s.", ""},
		{Aliyun, "Duplicate%s", 400, sP, "The specified parameter %s value is duplicate.", ""},
		{Aliyun, "DependencyViolation%s", 400, sP, "The specified %s has %s definitions.", ""},
		{Aliyun, "ExceedLimit%s", 400, sP, "The specified %s count exceeds the limit.", ""},
		{Aliyun, "LimitExceed", 400, sP, "The specified ExpireTime can not before Now(+3Seconds)", ""},
		{Aliyun, "Specified Pushtime can not be after seven days", 0, sP, "Specified PushTime can not be after seven days.", "the seed's code column holds this sentence; the API's code is PushTimeTooLate"},
		{Aliyun, "PushTimeTooLate", 0, sP, "Specified PushTime can not be after seven days.", "not in the seeds verbatim (garbled there as PushTimeTlloLate)"},
		{Aliyun, "IdempotentParameterMismatch", 400, sP, "Request uses a client token in a previous request but is not identical to that request.", ""},
		{Aliyun, "InvalidIdempotenceParameter.Mismatch", 403, sP, "The specified parameters are different from before", ""},
		// API Gateway management.
		{Aliyun, "DomainCertificateNotFound", 400, sP, "Cannot find the domain certificate.", ""},
		{Aliyun, "DomainNotResolved", 400, sP, "The specified domain has not been resolved.", ""},
		{Aliyun, "InvalidICPLicense", 400, sP, "The specified domain have not got ICP license, or the ICP license does not belong to Aliyun.", ""},
		{Aliyun, "InvalidApiDefault", 400, sP, "The ApiDefault value exceeds limit.", ""},
		{Aliyun, "InvalidAppDefault", 400, sP, "The AppDefault value must smaller than the UserDefault and ApiDefault.", ""},
		{Aliyun, "InvalidUserDefault", 400, sP, "The UserDefault value must bigger than the AppDefault and smaller than the ApiDefault.", ""},
		{Aliyun, "InvalidParamMapping", 400, sP, "Parameters must be fully mapped.", ""},
		{Aliyun, "CertificateNotMatch", 400, sP, "The domain does not match the one in the certificate.", ""},
		{Aliyun, "CertificateKeyNotMatch", 400, sP, "The certificate private key does not match the public key.", ""},
		{Aliyun, "PrivateKeyEncrypted", 400, sP, "The certificate private key is encrypted, please upload the unencrypted version.", ""},
		{Aliyun, "CertificateSecretKeyError", 400, sP, "The certificate private key is invalid.", ""},
		{Aliyun, "InvalidApiServiceAddress", 400, sP, "The specified service address is not valid.", ""},
	}
}

// tencentEntries: seed 002 (Tencent Cloud API 3.0 common codes and the SMS
// business codes). Tencent answers every error inside an HTTP 200 body.
func tencentEntries() []Entry {
	return []Entry{
		{Tencent, "ActionOffline", 200, sP, "The API has been taken offline.", ""},
		{Tencent, "AuthFailure.InvalidAuthorization", 200, sP, "The Authorization header does not follow the standard.", ""},
		{Tencent, "AuthFailure.InvalidSecretId", 200, sP, "Invalid key (not a cloud API key).", ""},
		{Tencent, "AuthFailure.MFAFailure", 200, sP, "MFA failure.", ""},
		{Tencent, "AuthFailure.SecretIdNotFound", 200, sP, "The key does not exist, or is deleted or disabled.", ""},
		{Tencent, "AuthFailure.SignatureExpire", 200, sS, "Signature expired: the timestamp must be within five minutes of server time.", "re-sign with a skew-corrected timestamp"},
		{Tencent, "AuthFailure.SignatureFailure", 200, sP, "Signature error: the signature was computed wrongly.", ""},
		{Tencent, "AuthFailure.TokenFailure", 200, sP, "Token error.", ""},
		{Tencent, "AuthFailure.UnauthorizedOperation", 200, sP, "The request is not authorized (CAM).", ""},
		{Tencent, "DryRunOperation", 200, Success, "DryRun: the request would have succeeded; only the DryRun parameter was added.", "a dry run that would succeed is not a failure: nothing to retry"},
		{Tencent, "FailedOperation", 200, sP, "Operation failed.", ""},
		{Tencent, "InternalError", 200, sR, "Internal error.", "the server failed; a write is retried only with an idempotency token"},
		{Tencent, "InvalidAction", 200, sP, "The API does not exist.", ""},
		{Tencent, "InvalidParameter", 200, sP, "Parameter error (format, type, …).", ""},
		{Tencent, "InvalidParameterValue", 200, sP, "Invalid parameter value.", ""},
		{Tencent, "InvalidRequest", 200, sP, "The multipart format of the request body is wrong.", ""},
		{Tencent, "IpInBlacklist", 200, sP, "The IP address is in the blocklist.", ""},
		{Tencent, "IpNotInWhitelist", 200, sP, "The IP address is not in the allowlist.", ""},
		{Tencent, "LimitExceeded", 200, sP, "Quota limit exceeded.", ""},
		{Tencent, "MissingParameter", 200, sP, "A parameter is missing.", ""},
		{Tencent, "NoSuchProduct", 200, sP, "The product does not exist.", ""},
		{Tencent, "NoSuchVersion", 200, sP, "The API version does not exist.", ""},
		{Tencent, "RequestLimitExceeded", 200, sT, "The number of requests exceeds the frequency limit.", ""},
		{Tencent, "RequestLimitExceeded.GlobalRegionUinLimitExceeded", 200, sT, "The root account exceeds the frequency limit.", ""},
		{Tencent, "RequestLimitExceeded.IPLimitExceeded", 200, sT, "The IP address exceeds the frequency limit.", ""},
		{Tencent, "RequestLimitExceeded.UinLimitExceeded", 200, sT, "The root account exceeds the frequency limit.", ""},
		{Tencent, "RequestSizeLimitExceeded", 200, sP, "The request packet exceeds the size limit.", ""},
		{Tencent, "ResourceInUse", 200, sP, "The resource is in use.", ""},
		{Tencent, "ResourceInsufficient", 200, sP, "Insufficient resources.", ""},
		{Tencent, "ResourceNotFound", 200, sP, "The resource does not exist.", ""},
		{Tencent, "ResourceUnavailable", 200, sP, "The resource is unavailable.", ""},
		{Tencent, "ResponseSizeLimitExceeded", 200, sP, "The response packet exceeds the size limit.", ""},
		{Tencent, "ServiceUnavailable", 200, sR, "The service is temporarily unavailable.", "refused before processing: safe to retry, writes too"},
		{Tencent, "UnauthorizedOperation", 200, sP, "Unauthorized operation.", ""},
		{Tencent, "UnknownParameter", 200, sP, "Unknown parameter: the request carries a parameter that is not defined.", ""},
		{Tencent, "UnsupportedOperation", 200, sP, "Unsupported operation.", ""},
		{Tencent, "UnsupportedProtocol", 200, sP, "Wrong HTTP(S) request method: only GET and POST are supported.", ""},
		{Tencent, "UnsupportedRegion", 200, sP, "The API does not support the given region.", ""},
		// SMS business codes.
		{Tencent, "FailedOperation.ContainSensitiveWord", 200, sP, "The SMS content contains a sensitive word.", ""},
		{Tencent, "FailedOperation.FailResolvePacket", 200, sP, "Failed to parse the request packet (it does not follow the API description).", ""},
		{Tencent, "FailedOperation.InsufficientBalanceInSmsPackage", 200, sP, "Not enough SMS left in the package.", ""},
		{Tencent, "FailedOperation.JsonParseFail", 200, sP, "Failed to parse the request body.", ""},
		{Tencent, "FailedOperation.MarketingSendTimeConstraint", 200, sP, "Marketing SMS may only be sent between 8:00 and 22:00.", ""},
		{Tencent, "FailedOperation.MissingSignature", 200, sP, "A template cannot be applied for before a signature is.", ""},
		{Tencent, "FailedOperation.MissingSignatureList", 200, sP, "The signature cannot be identified (not approved).", ""},
		{Tencent, "FailedOperation.MissingSignatureToModify", 200, sP, "The signature ID was not submitted or does not exist.", ""},
		{Tencent, "FailedOperation.MissingTemplateList", 200, sP, "The template cannot be identified (not approved).", ""},
		{Tencent, "FailedOperation.MissingTemplateToModify", 200, sP, "The template ID was not submitted or does not exist.", ""},
		{Tencent, "FailedOperation.NotEnterpriseCertification", 200, sP, "Signature and template APIs need enterprise certification.", ""},
		{Tencent, "FailedOperation.OtherError", 200, sP, "Other error, usually parameters that do not meet the requirements.", ""},
		{Tencent, "FailedOperation.ParametersOtherError", 200, sP, "Unknown parameter error.", ""},
		{Tencent, "FailedOperation.PhoneNumberInBlacklist", 200, sP, "The phone number is on the do-not-disturb list.", ""},
		{Tencent, "FailedOperation.SignIdNotExist", 200, sP, "The signature ID does not exist.", ""},
		{Tencent, "FailedOperation.SignNumberLimit", 200, sP, "The number of signatures reached its maximum.", ""},
		{Tencent, "FailedOperation.SignatureIncorrectOrUnapproved", 200, sP, "The SMS signature is not approved or malformed.", ""},
		{Tencent, "FailedOperation.TemplateAlreadyPassedCheck", 200, sP, "The template was already approved and cannot be modified.", ""},
		{Tencent, "FailedOperation.TemplateIdNotExist", 200, sP, "The template ID does not exist.", ""},
		{Tencent, "FailedOperation.TemplateIncorrectOrUnapproved", 200, sP, "The template is not approved or its content does not match.", ""},
		{Tencent, "FailedOperation.TemplateNumberLimit", 200, sP, "The number of templates reached its maximum.", ""},
		{Tencent, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", 200, sP, "The request does not match the approved template's parameters.", ""},
		{Tencent, "FailedOperation.TemplateUnapprovedOrNotExist", 200, sP, "The template is not approved or does not exist.", ""},
		{Tencent, "InternalError.ConstructUserDataFail", 200, sR, "The backend failed to construct the user parameters.", "fails before anything is dispatched"},
		{Tencent, "InternalError.JsonParseFail", 200, sP, "Failed to parse the user parameters.", "the same parameters fail again"},
		{Tencent, "InternalError.OtherError", 200, sU, "Other error; contact support with the failed phone numbers.", "some numbers of a batch may have been sent"},
		{Tencent, "InternalError.ParseBackendResponseFail", 200, sU, "Failed to parse the carrier's response.", "the carrier received the message: it may have been sent"},
		{Tencent, "InternalError.RequestTimeException", 200, sS, "Abnormal request time: the server clock differs from Tencent's by more than 10 minutes.", "re-sign with a skew-corrected timestamp"},
		{Tencent, "InternalError.RestApiInterfaceNotExist", 200, sP, "The REST API does not exist.", ""},
		{Tencent, "InternalError.SendAndRecvFail", 200, sU, "The API or the SMS send/receive timed out.", "the SMS may have been sent"},
		{Tencent, "InternalError.SigFieldMissing", 200, sP, "The backend request has no Sig field or it is empty.", ""},
		{Tencent, "InternalError.SigVerificationFail", 200, sP, "The backend failed to verify Sig.", ""},
		{Tencent, "InternalError.Timeout", 200, sU, "Sending the SMS timed out.", "the SMS was most likely sent"},
		{Tencent, "InternalError.UnknownError", 200, sU, "Unknown error type.", "nothing proves the SMS was not sent"},
		{Tencent, "InvalidParameter.AppidAndBizId", 200, sP, "The account and the application ID do not match.", ""},
		{Tencent, "InvalidParameter.InvalidParameters", 200, sP, "Invalid parameters.", ""},
		{Tencent, "InvalidParameterValue.BeginTimeVerifyFail", 200, sP, "BeginTime failed validation.", ""},
		{Tencent, "InvalidParameterValue.ContentLengthLimit", 200, sP, "The SMS content is too long.", ""},
		{Tencent, "InvalidParameterValue.EndTimeVerifyFail", 200, sP, "EndTime failed validation.", ""},
		{Tencent, "InvalidParameterValue.ImageInvalid", 200, sP, "The transcoded image has a wrong format.", ""},
		{Tencent, "InvalidParameterValue.IncorrectPhoneNumber", 200, sP, "Malformed phone number.", ""},
		{Tencent, "InvalidParameterValue.InvalidDocumentType", 200, sP, "DocumentType failed validation.", ""},
		{Tencent, "InvalidParameterValue.InvalidInternational", 200, sP, "International failed validation.", ""},
		{Tencent, "InvalidParameterValue.InvalidStartTime", 200, sP, "Invalid start or end time for pulling.", ""},
		{Tencent, "InvalidParameterValue.InvalidUsedMethod", 200, sP, "UsedMethod failed validation.", ""},
		{Tencent, "InvalidParameterValue.MarketingTemplateWithoutUnsubscribe", 200, sP, "A marketing SMS must contain an unsubscribe method.", ""},
		{Tencent, "InvalidParameterValue.MissingSignatureList", 200, sP, "The signature cannot be identified (not approved).", ""},
		{Tencent, "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", 200, sP, "URLs are not allowed in template variables.", ""},
		{Tencent, "InvalidParameterValue.SdkAppIdNotExist", 200, sP, "The SdkAppId does not exist.", ""},
		{Tencent, "InvalidParameterValue.SignAlreadyPassedCheck", 200, sP, "The signature was already approved and cannot be modified.", ""},
		{Tencent, "InvalidParameterValue.SignExistAndUnapproved", 200, sP, "The same signature is already pending review.", ""},
		{Tencent, "InvalidParameterValue.SignNameLengthTooLong", 200, sP, "The signature is too long.", ""},
		{Tencent, "InvalidParameterValue.TemplateParameterFormatError", 200, sP, "Verification-code template variables must be 0-6 digits.", ""},
		{Tencent, "InvalidParameterValue.TemplateParameterLengthLimit", 200, sP, "A template variable exceeds its character limit.", ""},
		{Tencent, "LimitExceeded.AppCountryOrRegionDailyLimit", 200, sP, "The daily limit for the country or region was exceeded.", "a daily quota: retrying today cannot help"},
		{Tencent, "LimitExceeded.AppCountryOrRegionInBlacklist", 200, sP, "The country or region is not in the allowed list.", ""},
		{Tencent, "LimitExceeded.AppDailyLimit", 200, sP, "The application's daily SMS limit was exceeded.", "a daily quota: retrying today cannot help"},
		{Tencent, "LimitExceeded.AppGlobalDailyLimit", 200, sP, "The application's daily international SMS limit was exceeded.", "a daily quota: retrying today cannot help"},
		{Tencent, "LimitExceeded.AppMainlandChinaDailyLimit", 200, sP, "The application's daily mainland China SMS limit was exceeded.", "a daily quota: retrying today cannot help"},
		{Tencent, "LimitExceeded.DailyLimit", 200, sP, "The daily SMS limit (international) was exceeded.", "a daily quota: retrying today cannot help"},
		{Tencent, "LimitExceeded.DeliveryFrequencyLimit", 200, sP, "The delivery hit the frequency limit policy.", "a per-recipient policy, not the client's rate: slowing down does not help"},
		{Tencent, "LimitExceeded.PhoneNumberCountLimit", 200, sP, "More than 200 phone numbers in one request.", ""},
		{Tencent, "LimitExceeded.PhoneNumberDailyLimit", 200, sP, "The daily SMS limit of one phone number was exceeded.", "a daily quota: retrying today cannot help"},
		{Tencent, "LimitExceeded.PhoneNumberOneHourLimit", 200, sP, "The hourly SMS limit of one phone number was exceeded.", "a per-recipient window far longer than any backoff"},
		{Tencent, "LimitExceeded.PhoneNumberSameContentDailyLimit", 200, sP, "The limit of identical content to one phone number was exceeded.", "a daily quota: retrying today cannot help"},
		{Tencent, "LimitExceeded.PhoneNumberThirtySecondLimit", 200, sP, "The 30-second SMS limit of one phone number was exceeded.", "a per-recipient window: the caller decides whether to send again"},
		{Tencent, "MissingParameter.EmptyPhoneNumberSet", 200, sP, "The phone number list is empty.", ""},
		{Tencent, "MissingParameter.MissingSignatureList", 200, sP, "No such signature or template under the account.", ""},
		{Tencent, "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny", 200, sP, "Individual users may not send marketing SMS.", ""},
		{Tencent, "UnauthorizedOperation.RequestIpNotInWhitelist", 200, sP, "The request IP is not in the allowlist.", ""},
		{Tencent, "UnauthorizedOperation.RequestPermissionDeny", 200, sP, "The request has no permission.", ""},
		{Tencent, "UnauthorizedOperation.SdkAppIdIsDisabled", 200, sP, "The SdkAppId is disabled.", ""},
		{Tencent, "UnauthorizedOperation.ServiceSuspendDueToArrears", 200, sP, "Service suspended for arrears.", ""},
		{Tencent, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", 200, sP, "SmsSdkAppId does not belong to the API key's account.", ""},
		{Tencent, "UnsupportedOperation.", 200, sP, "The request is not supported.", "sic: the seed lists the code with a trailing dot"},
		{Tencent, "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone", 200, sP, "A mainland China template cannot be sent to an international number.", ""},
		{Tencent, "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", 200, sP, "A batch mixes mainland China and international numbers.", ""},
		{Tencent, "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone", 200, sP, "An international template cannot be sent to a mainland China number.", ""},
		{Tencent, "UnsupportedOperation.UnsupportedRegion", 200, sP, "SMS to this region is not supported.", ""},
	}
}

// baiduEntries: seed 004 (Baidu AI Cloud common codes and the development
// machine codes).
func baiduEntries() []Entry {
	return []Entry{
		{Baidu, "AccessDenied", 403, sP, "Access denied.", ""},
		{Baidu, "InappropriateJSON", 400, sP, "The JSON you provided was well-formed and valid, but not appropriate for this operation.", ""},
		{Baidu, "InternalError", 500, sR, "We encountered an internal error. Please try again.", "a write is retried only with an idempotency token"},
		{Baidu, "InvalidAccessKeyId", 403, sP, "The Access Key ID you provided does not exist in our records.", ""},
		{Baidu, "InvalidHTTPAuthHeader", 400, sP, "The HTTP authorization header is invalid. Consult the service documentation for details.", ""},
		{Baidu, "InvalidHTTPRequest", 400, sP, "There was an error in the body of your HTTP request.", ""},
		{Baidu, "InvalidURI", 400, sP, "Could not parse the specified URI.", ""},
		{Baidu, "MalformedJSON", 400, sP, "The JSON you provided was not well-formed.", ""},
		{Baidu, "InvalidVersion", 404, sP, "The API version specified was invalid.", ""},
		{Baidu, "OptInRequired", 403, sP, "A subscription for the service is required.", ""},
		{Baidu, "PreconditionFailed", 412, sP, "The specified If-Match header doesn't match the ETag header.", ""},
		{Baidu, "RequestExpired", 400, sS, "Request has expired. Timestamp date is XXX.", "re-sign with a skew-corrected x-bce-date"},
		{Baidu, "IdempotentParameterMismatch", 403, sP, "The request uses the same client token as a previous, but non-identical request.", ""},
		{Baidu, "SignatureDoesNotMatch", 400, sP, "The request signature we calculated does not match the signature you provided. Check your Secret Access Key and signing method.", ""},
		{Baidu, "NotFound", 403, sP, "Resource could not be found", ""},
		{Baidu, "Forbidden", 403, sP, "Operation is not allowed", ""},
		{Baidu, "InvalidParameter", 400, sP, "Invalid parameter", ""},
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
