// Command registry serves go-containerregistry's in-memory OCI registry (pkg/registry) over plain HTTP on every
// interface of its container: make e2e-kind runs it on the kind cluster's Docker network, pushes our packages to it
// and Crossplane in the cluster installs them from it. It keeps nothing on disk and dials nothing.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", ":5000", "Address to listen on.")
	flag.Parse()
	s := &http.Server{
		Addr:              *addr,
		Handler:           registry.New(registry.Logger(log.New(os.Stderr, "", log.LstdFlags))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(os.Stderr, "registry listening on %s\n", *addr)
	if err := s.ListenAndServe(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot serve: %v\n", err)
		os.Exit(1)
	}
}
