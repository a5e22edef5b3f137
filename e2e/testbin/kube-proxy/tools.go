//go:build tools

// Package tools keeps kube-proxy in the module graph so `go mod tidy` does not drop it.
package tools

import _ "k8s.io/kubernetes/cmd/kube-proxy"
