# stellar-peers: make demo (the main job) and make test (everything CI checks).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Heavy tool binaries are built from pinned wrapper modules under tools/ into a
# git-ignored cache keyed by version, so a second run reuses them.
CACHE_DIR ?= $(CURDIR)/.cache
TOOLS_DIR := $(CACHE_DIR)/tools

ETCD_VERSION := v3.6.16
KUBE_VERSION := v1.35.3
CROSSPLANE_VERSION := v2.4.0
CROSSPLANE_CLI_VERSION := v2.5.0
CODEGEN_VERSION := ct-v0.20.0-xt-60e57f817ad1

ETCD := $(TOOLS_DIR)/etcd-$(ETCD_VERSION)/etcd
KUBE_APISERVER := $(TOOLS_DIR)/kubernetes-$(KUBE_VERSION)/kube-apiserver
KUBE_CONTROLLER_MANAGER := $(TOOLS_DIR)/kubernetes-$(KUBE_VERSION)/kube-controller-manager
CROSSPLANE := $(TOOLS_DIR)/crossplane-$(CROSSPLANE_VERSION)/crossplane
CROSSPLANE_CRDS := $(TOOLS_DIR)/crossplane-$(CROSSPLANE_VERSION)/crds
CROSSPLANE_CLI := $(TOOLS_DIR)/crossplane-cli-$(CROSSPLANE_CLI_VERSION)/crossplane
CONTROLLER_GEN := $(TOOLS_DIR)/codegen-$(CODEGEN_VERSION)/controller-gen
ANGRYJET := $(TOOLS_DIR)/codegen-$(CODEGEN_VERSION)/angryjet
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint

TOOL_BINARIES := $(ETCD) $(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) $(CROSSPLANE) $(CROSSPLANE_CRDS)/.copied $(CROSSPLANE_CLI) $(CONTROLLER_GEN) $(ANGRYJET) $(GOLANGCI_LINT)

# The e2e harness finds the binaries through these variables.
export E2E_ETCD := $(ETCD)
export E2E_KUBE_APISERVER := $(KUBE_APISERVER)
export E2E_KUBE_CONTROLLER_MANAGER := $(KUBE_CONTROLLER_MANAGER)
export E2E_CROSSPLANE := $(CROSSPLANE)
export E2E_CROSSPLANE_CRDS := $(CROSSPLANE_CRDS)
export E2E_CROSSPLANE_CLI := $(CROSSPLANE_CLI)

# The crossplane-tools pseudo-version has no checksum database entry; its hash is pinned in tools/codegen/go.sum.
export GONOSUMDB := github.com/crossplane/crossplane-tools
# Tests that need the pinned binaries fail, rather than skip, when run through make.
export STELLAR_PEERS_REQUIRE_TOOLS := 1
export CGO_ENABLED := 0

KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35

.PHONY: help
help: ## Show the targets.
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: tools
tools: $(TOOL_BINARIES) ## Build the pinned tool binaries into the cache (skips what is built).

$(ETCD):
	cd tools/etcd && go build -o $@ go.etcd.io/etcd/server/v3

$(KUBE_APISERVER):
	cd tools/kubernetes && go build -ldflags "$(KUBE_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(KUBE_CONTROLLER_MANAGER):
	cd tools/kubernetes && go build -ldflags "$(KUBE_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-controller-manager

$(CROSSPLANE):
	cd tools/crossplane && go build -o $@ github.com/crossplane/crossplane/v2/cmd/crossplane

# Crossplane's own CRDs come from the same pinned module as the core binary.
$(CROSSPLANE_CRDS)/.copied:
	mkdir -p $(CROSSPLANE_CRDS)
	cd tools/crossplane && cp $$(go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)/cluster/crds/*.yaml $(CROSSPLANE_CRDS)/
	chmod u+w $(CROSSPLANE_CRDS)/*.yaml
	touch $@

$(CROSSPLANE_CLI):
	cd tools/crossplane-cli && go build -o $@ github.com/crossplane/cli/v2/cmd/crossplane

$(CONTROLLER_GEN):
	cd tools/codegen && go build -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(ANGRYJET):
	cd tools/codegen && go build -o $@ github.com/crossplane/crossplane-tools/cmd/angryjet

$(GOLANGCI_LINT):
	cd tools/golangci-lint && go build -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

# ---------------------------------------------------------------------------------------------------------
# Code generation

GENERATED := apis package/function/input package/provider/crds

.PHONY: generate
generate: $(CONTROLLER_GEN) $(ANGRYJET) ## Regenerate deepcopy, managed methods and CRDs.
	CONTROLLER_GEN=$(CONTROLLER_GEN) ANGRYJET=$(ANGRYJET) go generate -tags generate ./apis/

# check-generate regenerates and fails if anything changed, so stale committed output cannot pass CI.
.PHONY: check-generate
check-generate: $(CONTROLLER_GEN) $(ANGRYJET)
	@before=$$(find $(GENERATED) -type f -print0 | sort -z | xargs -0 sha256sum); \
	$(MAKE) --no-print-directory generate >/dev/null; \
	after=$$(find $(GENERATED) -type f -print0 | sort -z | xargs -0 sha256sum); \
	if [ "$$before" != "$$after" ]; then \
		diff <(echo "$$before") <(echo "$$after") || true; \
		echo "generated code was stale: it has been regenerated, review and commit it"; exit 1; fi

# ---------------------------------------------------------------------------------------------------------
# Checks and tests

.PHONY: fmt-check
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^tools/') $$(git ls-files --others --exclude-standard '*.go' | grep -v '^tools/')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet:
	go vet ./...
	go vet -tags e2e ./test/e2e/...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run --build-tags e2e ./...

.PHONY: check
check: fmt-check vet check-generate lint ## Static checks: gofmt, vet, generated code, lint.

.PHONY: unit
unit: tools ## Unit tests (the crossplane CLI tests need the pinned binaries).
	go test -count=1 ./...

E2E_RUN_DIR ?= $(CURDIR)/_output/e2e
export E2E_RUN_DIR

.PHONY: e2e
e2e: tools ## End-to-end tests on a local real control plane.
	@rc=0; go test -tags e2e -count=1 -timeout 30m -v ./test/e2e/... || rc=$$?; \
	hack/reap.sh "$(E2E_RUN_DIR)"; exit $$rc

.PHONY: test
test: tools check unit e2e ## Everything CI checks.

.PHONY: demo
demo: tools ## Boot a local control plane and show peer discovery working.
	@rc=0; go run ./hack/demo || rc=$$?; hack/reap.sh "$(E2E_RUN_DIR)"; exit $$rc

.PHONY: clean
clean: ## Remove test output (keeps the tool cache).
	rm -rf _output
