//go:build generate

// Code generation for the API types, run by `make generate` (go generate -tags generate ./apis/) with the
// pinned tools `make tools` builds: CONTROLLER_GEN and ANGRYJET name them.

// Deepcopy methods for every API package.
//go:generate ${CONTROLLER_GEN} object:headerFile=../hack/boilerplate.go.txt paths=./...

// crossplane-runtime method sets (managed resource, provider configs, usages).
//go:generate ${ANGRYJET} generate-methodsets --header-file=../hack/boilerplate.go.txt ./core/...

// The provider's CRDs and the function's input CRDs.
//go:generate ${CONTROLLER_GEN} crd:crdVersions=v1 paths=./core/... output:crd:artifacts:config=../package/provider/crds
//go:generate ${CONTROLLER_GEN} crd:crdVersions=v1 paths=./fn/... output:crd:artifacts:config=../package/function/input

package apis
