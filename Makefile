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
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(TOOLS_DIR)/actionlint-$(ACTIONLINT_VERSION)/actionlint
# promrules (tools/promrules) checks Prometheus rule files with Prometheus's own rulefmt and PromQL parser.
PROMETHEUS_VERSION := v0.316.0
PROMRULES := $(TOOLS_DIR)/promrules-$(PROMETHEUS_VERSION)/promrules

TOOL_BINARIES := $(ETCD) $(KUBE_APISERVER) $(KUBE_CONTROLLER_MANAGER) $(CROSSPLANE) $(CROSSPLANE_CRDS)/.copied $(CROSSPLANE_CLI) $(CONTROLLER_GEN) $(ANGRYJET) $(GOLANGCI_LINT) $(ACTIONLINT) $(PROMRULES)

# The e2e harness finds the binaries through these variables.
export E2E_ETCD := $(ETCD)
export E2E_KUBE_APISERVER := $(KUBE_APISERVER)
export E2E_KUBE_CONTROLLER_MANAGER := $(KUBE_CONTROLLER_MANAGER)
export E2E_CROSSPLANE := $(CROSSPLANE)
export E2E_CROSSPLANE_CRDS := $(CROSSPLANE_CRDS)
export E2E_CROSSPLANE_CLI := $(CROSSPLANE_CLI)
# The monitoring tests (test/monitoring) check examples/monitoring with it.
export STELLAR_PEERS_PROMRULES := $(PROMRULES)

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

$(ACTIONLINT):
	cd tools/actionlint && go build -o $@ github.com/rhysd/actionlint/cmd/actionlint

$(PROMRULES): tools/promrules/main.go tools/promrules/go.mod
	cd tools/promrules && go build -o $@ .

# ---------------------------------------------------------------------------------------------------------
# Code generation

GENERATED := apis package/function/input package/provider/crds docs/reference.md
# The field reference covers every XRD and CRD in these folders; a new file in them is picked up as it is.
REFERENCE_SOURCES := apis/stellarpeers package/function/input package/provider/crds

.PHONY: generate
generate: $(CONTROLLER_GEN) $(ANGRYJET) ## Regenerate deepcopy, managed methods, CRDs and docs/reference.md.
	CONTROLLER_GEN=$(CONTROLLER_GEN) ANGRYJET=$(ANGRYJET) go generate -tags generate ./apis/
	go run ./hack/fieldref -out docs/reference.md $(REFERENCE_SOURCES)

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
	go vet -tags scale ./test/e2e/scale/

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run --build-tags e2e ./...
	$(GOLANGCI_LINT) run --build-tags scale ./test/e2e/scale/

# actionlint also runs shellcheck on `run:` steps when shellcheck is on PATH; it is optional.
.PHONY: lint-workflows
lint-workflows: $(ACTIONLINT) ## Lint the GitHub Actions workflows.
	$(ACTIONLINT) -no-color .github/workflows/*.yaml

.PHONY: check
check: fmt-check vet check-generate lint lint-workflows ## Static checks: gofmt, vet, generated code, lint, workflows.

.PHONY: unit
unit: tools xpkg xpkg-all ## Unit tests (the crossplane CLI and package tests need the pinned binaries and the packages).
	go test -count=1 ./...

E2E_RUN_DIR ?= $(CURDIR)/_output/e2e
export E2E_RUN_DIR

.PHONY: e2e
e2e: tools xpkg ## End-to-end tests on a local real control plane.
	@rc=0; go test -tags e2e -count=1 -timeout 30m -v ./test/e2e/... || rc=$$?; \
	hack/reap.sh "$(E2E_RUN_DIR)"; exit $$rc

.PHONY: test
test: tools check unit fuzz e2e ## Everything CI checks.

# Issue 7, item 4: the provider against SCALE_NODES (500) simulated nodes, and the directory following a bulk add
# of as many validators with Crossplane's default circuit breaker and with raised settings. Slow (about 20
# minutes) and a benchmark, so not part of `make test`; it writes its figures into bench/RESULTS.md.
.PHONY: bench-scale
bench-scale: tools ## Provider and directory at fleet scale on a local control plane (slow; writes bench/RESULTS.md).
	@rc=0; SCALE_RESULTS=$(CURDIR)/bench/RESULTS.md go test -tags scale -count=1 -timeout 90m -v ./test/e2e/scale/ || rc=$$?; \
	hack/reap.sh "$(E2E_RUN_DIR)"; exit $$rc

# Issue 12, item 4: N = 6, 20 and 100 validator claims applied in one burst, as an Argo CD sync does, with
# Crossplane's default circuit breaker. A benchmark (a few minutes), so not part of `make test`; it writes its
# figures into bench/RESULTS.md and ends with the line for 20 claims.
.PHONY: bench-gitops
bench-gitops: tools xpkg ## GitOps bulk apply of 6, 20 and 100 claims on a local control plane (writes bench/RESULTS.md).
	@mkdir -p _output; rc=0; SCALE_RESULTS=$(CURDIR)/bench/RESULTS.md go test -tags scale -count=1 -timeout 60m -v \
		-run '^TestGitOpsBulkApply$$' ./test/e2e/scale/ > _output/bench-gitops.log 2>&1 || rc=$$?; \
	hack/reap.sh "$(E2E_RUN_DIR)"; \
	if [ $$rc -ne 0 ]; then grep -E -- '--- FAIL|_test.go:[0-9]+: ' _output/bench-gitops.log; echo "log: _output/bench-gitops.log"; exit $$rc; fi; \
	sed -nE 's/^ +gitops_test.go:[0-9]+: ([0-9]+ claims at once: all listed.*)/\1/p' _output/bench-gitops.log; \
	sed -nE 's/^ +gitops_test.go:[0-9]+: (20 claims at once: connected in .*)/\1/p' _output/bench-gitops.log | tail -n 1

.PHONY: demo
demo: tools ## Boot a local control plane and show peer discovery working.
	@rc=0; go run ./hack/demo || rc=$$?; hack/reap.sh "$(E2E_RUN_DIR)"; exit $$rc

.PHONY: clean
clean: ## Remove test output (keeps the tool cache).
	rm -rf _output

# ---------------------------------------------------------------------------------------------------------
# Packages (issue 5): runtime images built without Docker, and the Function, Provider and Configuration .xpkg
# files built with the pinned `crossplane xpkg build`. Each package is built from a clean root under
# _output/xpkg/root/ (xpkg build takes every YAML below its root), and nothing is rebuilt unless its inputs change.

PACKAGE_VERSION ?= v0.1.0
# `make publish REGISTRY=...` builds for that registry: the Configuration's dependsOn names its packages there.
PACKAGE_REGISTRY ?= $(or $(REGISTRY),ghcr.io/stellarpeers)
PACKAGE_ARCH ?= amd64
# The arches `make xpkg-all` and `make publish` build the Function and Provider for; published, each is an index.
PACKAGE_ARCHES ?= amd64 arm64
XPKG_DIR := $(CURDIR)/_output/xpkg
IMAGE_DIR := $(CURDIR)/_output/images
BIN_DIR := $(CURDIR)/_output/bin/linux_$(PACKAGE_ARCH)

# Runtime images and the packages embedding them carry their arch in their names, so building another arch never
# reuses an artifact of the wrong one.
FUNCTION_XPKG := $(XPKG_DIR)/function-stellar-peers-$(PACKAGE_VERSION)-linux-$(PACKAGE_ARCH).xpkg
PROVIDER_XPKG := $(XPKG_DIR)/provider-stellar-core-$(PACKAGE_VERSION)-linux-$(PACKAGE_ARCH).xpkg
CONFIGURATION_XPKG := $(XPKG_DIR)/configuration-stellar-peers-$(PACKAGE_VERSION).xpkg
FUNCTION_IMAGE := $(IMAGE_DIR)/function-stellar-peers-$(PACKAGE_VERSION)-linux-$(PACKAGE_ARCH).tar
PROVIDER_IMAGE := $(IMAGE_DIR)/provider-stellar-core-$(PACKAGE_VERSION)-linux-$(PACKAGE_ARCH).tar
# arch_xpkgs lists a package's per-arch files for PACKAGE_ARCHES, comma separated as `xpkg push -f` takes them.
comma := ,
empty :=
space := $(empty) $(empty)
arch_xpkgs = $(subst $(space),$(comma),$(foreach a,$(PACKAGE_ARCHES),$(XPKG_DIR)/$(1)-$(PACKAGE_VERSION)-linux-$(a).xpkg))

# The package tests (test/packages) read the built packages through these.
export STELLAR_PEERS_FUNCTION_XPKG := $(FUNCTION_XPKG)
export STELLAR_PEERS_PROVIDER_XPKG := $(PROVIDER_XPKG)
export STELLAR_PEERS_CONFIGURATION_XPKG := $(CONFIGURATION_XPKG)
export STELLAR_PEERS_PACKAGE_VERSION := $(PACKAGE_VERSION)
export STELLAR_PEERS_PACKAGE_ARCHES := $(PACKAGE_ARCHES)
export STELLAR_PEERS_FUNCTION_XPKGS := $(call arch_xpkgs,function-stellar-peers)
export STELLAR_PEERS_PROVIDER_XPKGS := $(call arch_xpkgs,provider-stellar-core)

# Conservative inputs of the runtime binaries: any non-test Go file of the module outside tests and tools.
RUNTIME_GO_SOURCES := go.mod go.sum $(shell find fn provider internal apis -name '*.go' ! -name '*_test.go' 2>/dev/null)
IMAGE_TOOL_SOURCES := hack/image/main.go
IMAGE_LABELS = --label org.opencontainers.image.source=https://github.com/stellarpeers/stellar-peers \
	--label org.opencontainers.image.version=$(PACKAGE_VERSION) \
	--label org.opencontainers.image.revision=$$(git rev-parse HEAD 2>/dev/null || echo unknown)

.PHONY: images
images: $(FUNCTION_IMAGE) $(PROVIDER_IMAGE) ## Build the runtime image tarballs (no Docker).

.PHONY: xpkg
xpkg: $(FUNCTION_XPKG) $(PROVIDER_XPKG) $(CONFIGURATION_XPKG) ## Build the three .xpkg packages into _output/xpkg (PACKAGE_ARCH).

.PHONY: runtime-xpkgs
runtime-xpkgs: $(FUNCTION_XPKG) $(PROVIDER_XPKG)

.PHONY: xpkg-all
xpkg-all: $(CONFIGURATION_XPKG) ## Build the Function and Provider for every arch in PACKAGE_ARCHES, and the Configuration.
	@for a in $(PACKAGE_ARCHES); do $(MAKE) --no-print-directory runtime-xpkgs PACKAGE_ARCH=$$a; done

# Pushes with the pinned CLI and the local docker credentials (`docker login` first). Several files pushed to one
# tag become an OCI index whose manifests carry each package's platform, which Crossplane resolves per node.
.PHONY: publish
publish: xpkg-all ## Push the packages to REGISTRY: Function and Provider as linux/amd64 and linux/arm64 indexes.
	@test -n "$(REGISTRY)" || { echo "publish: set REGISTRY, e.g. make publish REGISTRY=ghcr.io/example"; exit 1; }
	$(CROSSPLANE_CLI) xpkg push -f $(call arch_xpkgs,function-stellar-peers) $(REGISTRY)/function-stellar-peers:$(PACKAGE_VERSION)
	$(CROSSPLANE_CLI) xpkg push -f $(call arch_xpkgs,provider-stellar-core) $(REGISTRY)/provider-stellar-core:$(PACKAGE_VERSION)
	$(CROSSPLANE_CLI) xpkg push -f $(CONFIGURATION_XPKG) $(REGISTRY)/configuration-stellar-peers:$(PACKAGE_VERSION)

$(BIN_DIR)/function-stellar-peers: $(RUNTIME_GO_SOURCES)
	GOOS=linux GOARCH=$(PACKAGE_ARCH) go build -trimpath -ldflags "-s -w" -o $@ ./fn

$(BIN_DIR)/provider-stellar-core: $(RUNTIME_GO_SOURCES)
	GOOS=linux GOARCH=$(PACKAGE_ARCH) go build -trimpath -ldflags "-s -w" -o $@ ./provider

$(FUNCTION_IMAGE): $(BIN_DIR)/function-stellar-peers $(IMAGE_TOOL_SOURCES)
	@mkdir -p $(@D)
	go run ./hack/image --binary=$< --entrypoint=/usr/local/bin/function-stellar-peers \
		--ref=$(PACKAGE_REGISTRY)/function-stellar-peers-runtime:$(PACKAGE_VERSION) --arch=$(PACKAGE_ARCH) \
		--expose=9443/tcp --label org.opencontainers.image.title=function-stellar-peers $(IMAGE_LABELS) --out=$@

$(PROVIDER_IMAGE): $(BIN_DIR)/provider-stellar-core $(IMAGE_TOOL_SOURCES)
	@mkdir -p $(@D)
	go run ./hack/image --binary=$< --entrypoint=/usr/local/bin/provider-stellar-core \
		--ref=$(PACKAGE_REGISTRY)/provider-stellar-core-runtime:$(PACKAGE_VERSION) --arch=$(PACKAGE_ARCH) \
		--label org.opencontainers.image.title=provider-stellar-core $(IMAGE_LABELS) --out=$@

# xpkg build also reads an examples folder (default ./examples, relative to the working directory): point it at an
# empty one so the packages carry only their own objects.
XPKG_NO_EXAMPLES := $(XPKG_DIR)/root/no-examples
XPKG_BUILD = mkdir -p $(XPKG_NO_EXAMPLES) && $(CROSSPLANE_CLI) xpkg build --examples-root=$(XPKG_NO_EXAMPLES)

FUNCTION_ROOT := $(XPKG_DIR)/root/function-linux-$(PACKAGE_ARCH)
PROVIDER_ROOT := $(XPKG_DIR)/root/provider-linux-$(PACKAGE_ARCH)

$(FUNCTION_XPKG): $(CROSSPLANE_CLI) $(FUNCTION_IMAGE) package/function/crossplane.yaml $(wildcard package/function/input/*.yaml)
	rm -rf $(FUNCTION_ROOT) && mkdir -p $(FUNCTION_ROOT)/input
	cp package/function/crossplane.yaml $(FUNCTION_ROOT)/
	cp package/function/input/*.yaml $(FUNCTION_ROOT)/input/
	$(XPKG_BUILD) --package-root=$(FUNCTION_ROOT) --embed-runtime-image-tarball=$(FUNCTION_IMAGE) -o $@

$(PROVIDER_XPKG): $(CROSSPLANE_CLI) $(PROVIDER_IMAGE) package/provider/crossplane.yaml $(wildcard package/provider/crds/*.yaml)
	rm -rf $(PROVIDER_ROOT) && mkdir -p $(PROVIDER_ROOT)/crds
	cp package/provider/crossplane.yaml $(PROVIDER_ROOT)/
	cp package/provider/crds/*.yaml $(PROVIDER_ROOT)/crds/
	$(XPKG_BUILD) --package-root=$(PROVIDER_ROOT) --embed-runtime-image-tarball=$(PROVIDER_IMAGE) -o $@

# The registry the Configuration was last built for: rewritten only when PACKAGE_REGISTRY changes, so the package
# is rebuilt then and only then.
REGISTRY_STAMP := $(XPKG_DIR)/configuration-registry.txt
.PHONY: FORCE
$(REGISTRY_STAMP): FORCE
	@mkdir -p $(@D); if [ "$$(cat $@ 2>/dev/null)" != "$(PACKAGE_REGISTRY)" ]; then echo "$(PACKAGE_REGISTRY)" > $@; fi

# crossplane.yaml names its dependencies in ghcr.io/stellarpeers; the package names them in PACKAGE_REGISTRY.
$(CONFIGURATION_XPKG): $(CROSSPLANE_CLI) crossplane.yaml $(wildcard apis/stellarpeers/*.yaml) $(REGISTRY_STAMP)
	rm -rf $(XPKG_DIR)/root/configuration && mkdir -p $(XPKG_DIR)/root/configuration/apis
	sed 's|package: ghcr.io/stellarpeers/|package: $(PACKAGE_REGISTRY)/|' crossplane.yaml > $(XPKG_DIR)/root/configuration/crossplane.yaml
	cp apis/stellarpeers/*.yaml $(XPKG_DIR)/root/configuration/apis/
	$(XPKG_BUILD) --package-root=$(XPKG_DIR)/root/configuration -o $@

# ---------------------------------------------------------------------------------------------------------
# Fuzzing (issue 8): each fuzz target runs for a bounded time in `make test`, after its seed corpus has run in
# `make unit`. A failure writes the input to the package's testdata/fuzz/<Target>/, where `go test` replays it.

FUZZ_TIME ?= 15s
# Go minimizes each input that finds new coverage for up to 60 s by default, reporting none of those executions
# until it ends: a 15 s slot then showed "execs: 6" on a fresh clone, having spent it all minimizing the first
# find. One second keeps minimized failures small and leaves the slot to fuzzing.
FUZZ_MINIMIZE_TIME ?= 1s
FUZZ_TARGETS := ./internal/peers:FuzzExtractArbitraryObject ./internal/peers:FuzzExtractFields \
	./internal/stellarcore:FuzzParsers ./fn:FuzzDecodeRequestPieces ./internal/stellarcfg:FuzzCheck

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZ_TIME each (default 15s).
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZ_TIME))"; \
		out=$$(go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZ_TIME) -fuzzminimizetime=$(FUZZ_MINIMIZE_TIME) $$pkg 2>&1) || { echo "$$out"; exit 1; }; \
		echo "$$out" | grep -E 'execs: ' | tail -n 1; \
	done

# ---------------------------------------------------------------------------------------------------------
# Benchmark (issue 7): our function against function-go-templating, the same RunFunction requests over gRPC,
# figures into bench/RESULTS.md. Slow (minutes), so not part of `make test`; `make unit` only checks, at 10 nodes,
# that both render the same ConfigMap (bench.TestOutputsMatch), which is why it builds function-go-templating.

GO_TEMPLATING_VERSION := v0.12.3
GO_TEMPLATING := $(TOOLS_DIR)/function-go-templating-$(GO_TEMPLATING_VERSION)/function-go-templating
BENCH_DIR := $(CURDIR)/_output/bench
export STELLAR_PEERS_GO_TEMPLATING := $(GO_TEMPLATING)

# Both functions are built as their images ship them (CGO_ENABLED=0 is exported above, stripped and trimmed), so
# the figures are those of what runs in a cluster.
$(GO_TEMPLATING):
	cd tools/function-go-templating && go build -trimpath -ldflags "-s -w" -o $@ github.com/crossplane-contrib/function-go-templating

unit: $(GO_TEMPLATING)

.PHONY: bench
bench: $(GO_TEMPLATING) ## Benchmark against function-go-templating (slow; writes bench/RESULTS.md).
	go build -trimpath -ldflags "-s -w" -o $(BENCH_DIR)/function-stellar-peers ./fn
	go run ./bench/cmd/bench --ours=$(BENCH_DIR)/function-stellar-peers --theirs=$(GO_TEMPLATING) \
		--results=bench/RESULTS.md --command="make bench"

# ---------------------------------------------------------------------------------------------------------
# E2E on kind (issue 6): the discovery scenario on a kind cluster, Crossplane installed with its Helm chart, our
# packages installed from the .xpkg files. Needs a Docker engine and helm on PATH; kind itself is the pinned build
# below, never downloaded. The test package has the build tag `kind`, so `make e2e` never compiles it.

KIND_VERSION := v0.33.0
KIND := $(TOOLS_DIR)/kind-$(KIND_VERSION)/kind
CROSSPLANE_CHART := $(TOOLS_DIR)/crossplane-$(CROSSPLANE_VERSION)/chart

$(KIND):
	cd tools/kind && go build -o $@ sigs.k8s.io/kind

# Crossplane's Helm chart comes from the same pinned module as the core binary.
$(CROSSPLANE_CHART)/.copied:
	mkdir -p $(CROSSPLANE_CHART)
	cd tools/crossplane && cp -r $$(go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)/cluster/charts/crossplane/. $(CROSSPLANE_CHART)/
	chmod -R u+w $(CROSSPLANE_CHART)
	touch $@

.PHONY: kind-preflight
kind-preflight:
	@if ! docker info >/dev/null 2>&1; then \
		echo "e2e-kind: no Docker engine answers here (docker info failed); kind needs one. Use 'make e2e' for the local control plane."; \
		exit 1; \
	fi
	@command -v helm >/dev/null || { echo "e2e-kind: helm is not on PATH; Crossplane is installed with its Helm chart."; exit 1; }

.PHONY: e2e-kind
e2e-kind: kind-preflight $(KIND) $(CROSSPLANE_CHART)/.copied images xpkg ## End-to-end tests on a kind cluster (needs Docker and helm).
	E2E_KIND=$(KIND) E2E_CROSSPLANE_CHART=$(CROSSPLANE_CHART) \
		E2E_KIND_FUNCTION_IMAGE=$(FUNCTION_IMAGE) E2E_KIND_PROVIDER_IMAGE=$(PROVIDER_IMAGE) \
		go test -tags kind -count=1 -timeout 30m -v ./test/e2e/kind/...
