// Package yunrttest emulates the OpenAPI endpoints of Alibaba Cloud
// (Aliyun), Tencent Cloud and Baidu AI Cloud for tests, the way
// net/http/httptest serves net/http's users: point your code (an
// http.Client with the yunrt transport, or an official SDK) at a Server,
// script what the cloud does to each logical request, and assert what
// happened.
//
// A Server answers each attempt of a logical request (named by a key, see
// NewServer) with the next Fault of that key's script: an error code in
// any of the providers' body shapes (JSON, XML, ROA, inside an HTTP 200,
// API Gateway headers, an empty or HTML body), a Retry-After or TimeLeft
// hint, a slow answer, a connection reset or hang-up, or a success. It
// counts attempts and performed side effects per key, so a test can assert
// that an SMS was sent exactly once. WithStrict turns it into a strict
// gateway that checks signatures and timestamps and remembers nonces.
//
// Faults below HTTP (a body cut mid-stream, stalls, TLS and HTTP/2 resets)
// live in package yunrttest/faultnet.
//
// A Server takes no *testing.T and its handlers never fail a test:
// everything it saw is available through Requests.
//
// The command "yunrt serve" runs the same emulator on a port, for SDKs
// of any language.
package yunrttest
