package main

import (
	"strings"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// Results become events; a few hundred bad objects must not flood them or
// the response.
const (
	maxWarningResults = 20
	maxNamesListed    = 10
)

// warnAll adds one Warning result per error, up to maxWarningResults, then
// one that counts the rest.
func warnAll(rsp *fnv1.RunFunctionResponse, errs []error) {
	for i, err := range errs {
		if i == maxWarningResults {
			warning(rsp, errors.Errorf("%d more warnings like the above were left out", len(errs)-i))
			return
		}
		warning(rsp, err)
	}
}

// listNames lists names for a message, shortened to maxNamesListed.
func listNames(names []string) string {
	if len(names) <= maxNamesListed {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNamesListed], ", ") + ", ..."
}
