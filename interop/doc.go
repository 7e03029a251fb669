// Package interop proves yunrt underneath the official Go SDKs of Tencent
// Cloud, Aliyun (the darabonba SDKs and the old alibaba-cloud-sdk-go) and
// Baidu AI Cloud.
//
// It is a module of its own, so that the main module never depends on an
// SDK, and it holds tests only: each SDK client is pointed at yunrt's
// provider emulator (internal/testserver) over loopback and sends through
// yunrt, with the SDK's own retries off; the same scenarios are run with the
// SDK's own retries on and no yunrt, as the baseline. TestInteropTable prints
// the comparison, and with -update writes it to testdata/table.md:
//
//	go test -run TestInteropTable -update .
package interop
