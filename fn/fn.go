package main

import (
	"context"
	"reflect"

	"google.golang.org/protobuf/proto"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// maxResponseBytes keeps a response under Crossplane's 4 MiB gRPC receive
// limit, with room for framing.
const maxResponseBytes = 4<<20 - 64<<10

// Function publishes Stellar validators as peers.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log logging.Logger
}

// RunFunction runs the directory step or the node step, chosen by the kind of
// the step's input.
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := responseTo(req)

	kind, _ := structpath.String(req.GetInput(), "kind")
	f.log.Debug("Running function", "tag", req.GetMeta().GetTag(), "input", kind)

	switch kind {
	case v1alpha1.DirectoryInputKind:
		runStep(req, rsp, &v1alpha1.DirectoryInput{}, runDirectory)
	case v1alpha1.NodeInputKind:
		runStep(req, rsp, &v1alpha1.NodeInput{}, runNode)
	default:
		fatal(rsp, errors.Errorf("cannot run: input kind %q is neither %s nor %s (%s)",
			kind, v1alpha1.DirectoryInputKind, v1alpha1.NodeInputKind, v1alpha1.Group))
		return rsp, nil
	}

	if size := proto.Size(rsp); size > maxResponseBytes {
		// Crossplane would refuse the whole response; say why instead.
		tooBig := responseTo(req)
		fatal(tooBig, errors.Errorf("cannot return a %d byte response: Crossplane accepts at most 4 MiB", size))
		return tooBig, nil
	}
	return rsp, nil
}

// runStep decodes the step's input into in and runs step with it, or answers
// a Fatal result naming the input kind that could not be read.
func runStep[I any](req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, in *I, step func(*fnv1.RunFunctionRequest, *fnv1.RunFunctionResponse, *I)) {
	if err := getInput(req, in); err != nil {
		fatal(rsp, errors.Wrapf(err, "cannot get %s", reflect.TypeFor[I]().Name()))
		return
	}
	step(req, rsp, in)
}
