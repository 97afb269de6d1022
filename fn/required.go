package main

import (
	"iter"

	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// requiredItems returns what Crossplane resolved for a requirement, and
// whether it has resolved it yet. A requirement that matched nothing is
// resolved and empty. The deprecated extra_resources field is read too.
func requiredItems(req *fnv1.RunFunctionRequest, name string) ([]*fnv1.Resource, bool) {
	if rs, ok := req.GetRequiredResources()[name]; ok {
		return rs.GetItems(), true
	}
	if rs, ok := req.GetExtraResources()[name]; ok { //nolint:staticcheck // Older Crossplane answers here.
		return rs.GetItems(), true
	}
	return nil, false
}

// objects yields the objects of resources without copying them.
func objects(rs []*fnv1.Resource) iter.Seq[*structpb.Struct] {
	return func(yield func(*structpb.Struct) bool) {
		for _, r := range rs {
			if !yield(r.GetResource()) {
				return
			}
		}
	}
}

// require sets one resource requirement on the response.
func require(rsp *fnv1.RunFunctionResponse, name string, sel *fnv1.ResourceSelector) {
	if rsp.GetRequirements() == nil {
		rsp.Requirements = &fnv1.Requirements{}
	}
	if rsp.Requirements.Resources == nil {
		rsp.Requirements.Resources = map[string]*fnv1.ResourceSelector{}
	}
	rsp.Requirements.Resources[name] = sel
}
