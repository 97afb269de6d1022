package main

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// What the node step runs, given the checker's verdict.
type runMode int

const (
	// runRendered: core accepts the rendered config; compose it.
	runRendered runMode = iota
	// runKept: core would refuse the rendered config, but the ConfigMap holds
	// one it accepts: keep that config and the StatefulSet as they are, so a
	// running node keeps running until the claim is fixed.
	runKept
	// runNone: core would refuse the rendered config and none was accepted
	// before: no config, no StatefulSet, no PeerSync. Nothing crash-loops.
	runNone
)

// maxConditionFindings bounds a condition's message.
const maxConditionFindings = 10

// runPlan is what the node step composes of the node's config.
type runPlan struct {
	mode runMode
	// config is what the config ConfigMap holds, "" for no ConfigMap.
	config string
	// statefulSetSpec is the observed StatefulSet's spec, for runKept.
	statefulSetSpec *structpb.Struct
}

// planRun decides what runs. A config ConfigMap only ever holds a config
// the checker accepts, so that a pod that restarts never reads a refused
// one. The observed config is checked again: one composed before this check
// existed may be one core refuses.
func planRun(req *fnv1.RunFunctionRequest, resource, key string, cc *coreConfig, v verdict) runPlan {
	if !v.refused {
		return runPlan{mode: runRendered, config: v.rendered}
	}
	observed := req.GetObserved().GetResources()
	prev := structpath.StringOr(observed[resource].GetResource(), "", "data", key)
	if prev == "" || slices.ContainsFunc(stellarcfg.Check(prev, cc.opts), func(p stellarcfg.Problem) bool { return p.Fatal }) {
		return runPlan{mode: runNone}
	}
	p := runPlan{mode: runKept, config: prev}
	if resource == resourceCoreConfig {
		spec := structpath.Object(observed[resourceStatefulSet].GetResource(), "spec")
		if spec == nil {
			// A config without its StatefulSet runs nothing to keep.
			return runPlan{mode: runNone}
		}
		p.statefulSetSpec = keptSpec(spec)
	}
	return p
}

// keptSpec is a copy of an observed StatefulSet's spec to apply again as it
// is, without what the API server adds to volume claim templates.
func keptSpec(spec *structpb.Struct) *structpb.Struct {
	out, _ := proto.Clone(spec).(*structpb.Struct)
	for _, t := range structpath.Field(out, "volumeClaimTemplates").GetListValue().GetValues() {
		delete(t.GetStructValue().GetFields(), "status")
	}
	return out
}

// reportConfig says what the checker found: a Warning result for each
// finding, on the composite and the claim, and the CoreConfig condition. A
// refused config is not a Fatal result: Crossplane would then apply nothing
// at all (internal/controller/apiextensions/composite/composition_functions.go
// returns a PipelineFatalError before any desired state is applied, v2.4.0),
// so a StatefulSet that crash-loops on a refused config would stay, and the
// node's peers and status would stop following the directory.
func reportConfig(rsp *fnv1.RunFunctionResponse, n *node, v verdict, p runPlan) {
	errs := make([]error, len(v.findings))
	for i, f := range v.findings {
		errs[i] = errors.New(n.describe + ": " + f.String())
	}
	for i, err := range errs {
		if i == maxWarningResults {
			claimResult(rsp, fnv1.Severity_SEVERITY_WARNING, fmt.Sprintf("%d more warnings like the above were left out", len(errs)-i))
			break
		}
		claimResult(rsp, fnv1.Severity_SEVERITY_WARNING, err.Error())
	}

	var b strings.Builder
	for i, f := range v.findings {
		if i == maxConditionFindings {
			fmt.Fprintf(&b, "; and %d more", len(v.findings)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	listed := b.String()
	status, reason := fnv1.Status_STATUS_CONDITION_TRUE, "Accepted"
	var msg string
	switch {
	case p.mode == runKept:
		status, reason = fnv1.Status_STATUS_CONDITION_FALSE, "Refused"
		msg = listed + ". The node keeps its last accepted config and StatefulSet until this is fixed."
	case p.mode == runNone && n.captiveCore():
		status, reason = fnv1.Status_STATUS_CONDITION_FALSE, "Refused"
		msg = listed + ". No captive-core config is composed until this is fixed."
	case p.mode == runNone:
		status, reason = fnv1.Status_STATUS_CONDITION_FALSE, "Refused"
		msg = listed + ". No StatefulSet is composed until this is fixed."
	case len(v.findings) > 0:
		reason = "AcceptedWithWarnings"
		msg = listed
	}
	if n.captiveCore() && p.mode != runNone {
		msg = strings.TrimSpace(fmt.Sprintf("%s Horizon and SorobanRpc are not run by this composition: run stellar/stellar-horizon or stellar/stellar-rpc "+
			"with the captive-core config in ConfigMap %s/%s (key %s).", msg, n.claimNamespace, n.claimName+captiveSuffix, captiveKey))
	}
	c := &fnv1.Condition{Type: conditionCoreConfig, Status: status, Reason: reason, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
	if msg != "" {
		c.Message = &msg
	}
	rsp.Conditions = append(rsp.Conditions, c)
}

// claimResult adds a result for the composite and its claim: the user reads
// the claim.
func claimResult(rsp *fnv1.RunFunctionResponse, s fnv1.Severity, message string) {
	rsp.Results = append(rsp.Results, &fnv1.Result{Severity: s, Message: message, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()})
}
