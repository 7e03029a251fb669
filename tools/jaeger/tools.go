//go:build tools

// Package tools pins the Jaeger v2 binary that scripts/jaeger.sh builds
// for the end-to-end trace test and the README screenshot. It is never
// compiled: the blank import only keeps the module in go.mod. Build with
//
//	go build -o bin/jaeger github.com/jaegertracing/jaeger/cmd/jaeger
package tools

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
