package main

import (
	"fmt"
	"time"

	"github.com/go-json-experiment/json"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// The SDK's request and response helpers link its resource package, and with
// it every client-go API type and scheme: 20 MB of binary and 12 MiB of memory
// resident from startup, a quarter of the server's peak at 1,000 nodes. These
// are the few of them the function uses, giving the same responses.

// responseTTL is how long Crossplane may reuse a response: the SDK's default.
const responseTTL = time.Minute

// responseTo is the SDK's response.To with its default TTL.
func responseTo(req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta:    &fnv1.ResponseMeta{Tag: req.GetMeta().GetTag(), Ttl: durationpb.New(responseTTL)},
		Desired: req.GetDesired(),
		Context: req.GetContext(),
	}
}

// getInput is the SDK's request.GetInput for a typed input.
func getInput(req *fnv1.RunFunctionRequest, into any) error {
	b, err := protojson.Marshal(req.GetInput())
	if err != nil {
		err = errors.Wrapf(err, "cannot marshal %T to JSON", req.GetInput())
	} else {
		err = errors.Wrapf(json.Unmarshal(b, into, json.RejectUnknownMembers(true)), "cannot unmarshal JSON from %T into %T", req.GetInput(), into)
	}
	return errors.Wrapf(err, "cannot get function input %T from %T", into, req)
}

// Results and conditions target the composite, as the SDK's do by default.

func fatal(rsp *fnv1.RunFunctionResponse, err error) {
	addResult(rsp, fnv1.Severity_SEVERITY_FATAL, err.Error())
}

func warning(rsp *fnv1.RunFunctionResponse, err error) {
	addResult(rsp, fnv1.Severity_SEVERITY_WARNING, err.Error())
}

func normalf(rsp *fnv1.RunFunctionResponse, format string, a ...any) {
	addResult(rsp, fnv1.Severity_SEVERITY_NORMAL, fmt.Sprintf(format, a...))
}

func addResult(rsp *fnv1.RunFunctionResponse, s fnv1.Severity, message string) {
	rsp.Results = append(rsp.Results, &fnv1.Result{Severity: s, Message: message, Target: fnv1.Target_TARGET_COMPOSITE.Enum()})
}

// setCondition adds a condition; message is optional.
func setCondition(rsp *fnv1.RunFunctionResponse, typ string, s fnv1.Status, reason string, message *string) {
	rsp.Conditions = append(rsp.Conditions, &fnv1.Condition{Type: typ, Status: s, Reason: reason, Message: message, Target: fnv1.Target_TARGET_COMPOSITE.Enum()})
}
