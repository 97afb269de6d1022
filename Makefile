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
	go vet -tags kind ./test/e2e/kind/

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run --build-tags e2e ./...
	$(GOLANGCI_LINT) run --build-tags scale ./test/e2e/scale/
	$(GOLANGCI_LINT) run --build-tags kind ./test/e2e/kind/

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
IMAGE_TOOL_SOURCES := hack/image/main.go hack/internal/ociimage/ociimage.go
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
# E2E on kind (issue 14): the discovery loop on a real kind cluster. This machine reaches no image registry, so
# everything the cluster runs is built here from pinned sources and cached under $(KIND_CACHE), keyed by version:
# a kind node image for Kubernetes $(KUBE_VERSION) (Debian bookworm by mmdebstrap, kind's node files, kubelet,
# kubeadm, kubectl), the control-plane, CoreDNS, pause, kube-proxy and kube-router images, Crossplane's
# image, an OCI registry image and the simulated stellar-core image. When no Docker engine answers, one is started
# for the run (hack/kind/docker.sh: Debian's docker.io, its own data root under $(KIND_CACHE), stopped afterwards).
# Our packages are pushed to the registry, which runs on the cluster's Docker network, and installed with
# `crossplane xpkg install`. The test package has the build tag `kind`, so `make e2e` never compiles it.

KIND_VERSION := v0.33.0
KIND := $(TOOLS_DIR)/kind-$(KIND_VERSION)/kind
HELM_VERSION := v3.22.0
HELM := $(TOOLS_DIR)/helm-$(HELM_VERSION)/helm
COREDNS_VERSION := v1.13.1
COREDNS := $(TOOLS_DIR)/coredns-$(COREDNS_VERSION)/coredns
CNI_PLUGINS_VERSION := v1.9.1
CNI_PLUGINS := $(TOOLS_DIR)/cni-plugins-$(CNI_PLUGINS_VERSION)
# kube-router's network policy controller enforces NetworkPolicy (hack/kind/kube-router.yaml says why not
# kube-network-policies).
KUBE_ROUTER_VERSION := v2.1.0
KUBE_ROUTER := $(TOOLS_DIR)/kube-router-$(KUBE_ROUTER_VERSION)/kube-router
REGISTRY_VERSION := v0.22.1
REGISTRY_BIN := $(TOOLS_DIR)/registry-$(REGISTRY_VERSION)/registry
KUBE_BIN := $(TOOLS_DIR)/kubernetes-$(KUBE_VERSION)
CROSSPLANE_CHART := $(TOOLS_DIR)/crossplane-$(CROSSPLANE_VERSION)/chart
# kubeadm v1.35 names etcd 3.6.6-0; we run the etcd `make tools` pins and tell kubeadm its tag.
ETCD_IMAGE_TAG := $(patsubst v%,%,$(ETCD_VERSION))-0
PAUSE_VERSION := 3.10.1

KIND_CACHE := $(CACHE_DIR)/kind
KIND_IMAGES := $(KIND_CACHE)/images
KIND_OUT := $(CURDIR)/_output/kind
# Bump when the node's package list or build steps change, so the cached root file systems are rebuilt.
ROOTFS_VERSION := bookworm-1
NODE_ROOTFS := $(KIND_CACHE)/rootfs-node-$(ROOTFS_VERSION).tar
IPTABLES_ROOTFS_VERSION := bookworm-2
IPTABLES_ROOTFS := $(KIND_CACHE)/rootfs-iptables-$(IPTABLES_ROOTFS_VERSION).tar
NODE_PACKAGES := systemd,systemd-sysv,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,procps,containerd,runc
# kind's Dockerfile (images/base): the systemd units a container must not start, no kernel log in the journal.
NODE_ROOTFS_HOOK := find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete; \
	rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/* \
	/lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*; \
	echo ReadKMsg=no >> /etc/systemd/journald.conf
# The Docker engine we start when none answers keeps its images here, so a second run finds the node image loaded.
KIND_DOCKER_ROOT := $(KIND_CACHE)/docker-data
KIND_RUNCWRAP := $(KIND_CACHE)/bin/runcwrap
KIND_IMAGE_TOOL := $(KIND_CACHE)/bin/image
CROSSPLANE_IMAGE_BIN := $(KIND_CACHE)/bin/crossplane-$(CROSSPLANE_VERSION)
# The capability check of hack/kind/docker.sh: 1 when the bounding set lacks CAP_SYS_RESOURCE (bit 24).
KIND_CAPFIX := $(shell c=$$(awk '/^CapBnd:/ {print $$2}' /proc/self/status 2>/dev/null); echo $$(( (16#$${c:-1000000} >> 24 & 1) ^ 1 )))
KIND_NODE_IMAGE := $(KIND_IMAGES)/kind-node-$(KUBE_VERSION)-$(ROOTFS_VERSION)-capfix$(KIND_CAPFIX).tar
KIND_NODE_REF := stellar-peers.local/kind-node:$(KUBE_VERSION)

img = $(KIND_IMAGES)/$(1).tar
KIND_CONTROL_PLANE_IMAGES := $(call img,kube-apiserver-$(KUBE_VERSION)) $(call img,kube-controller-manager-$(KUBE_VERSION)) \
	$(call img,kube-scheduler-$(KUBE_VERSION)) $(call img,kube-proxy-$(KUBE_VERSION)-$(IPTABLES_ROOTFS_VERSION)) \
	$(call img,etcd-$(ETCD_IMAGE_TAG)) $(call img,coredns-$(COREDNS_VERSION)) $(call img,pause-$(PAUSE_VERSION))
KIND_KUBE_ROUTER_IMAGE := $(call img,kube-router-$(KUBE_ROUTER_VERSION)-$(IPTABLES_ROOTFS_VERSION))
KIND_CROSSPLANE_IMAGE := $(call img,crossplane-$(CROSSPLANE_VERSION))
KIND_REGISTRY_IMAGE := $(call img,registry-$(REGISTRY_VERSION))
KIND_CORESIM_IMAGE := $(KIND_OUT)/images/coresim.tar
# The simulated core's tag is the stellar-core version the test's claims name: a node's image tag is its version.
CORESIM_TAG := 23.0.1

# The cluster's Docker network, created by the test with this subnet, and the registry's fixed address on it. An
# RFC 1918 address is what Crossplane (go-containerregistry) dials over plain HTTP without any flag.
KIND_NETWORK ?= stellar-peers-kind
KIND_SUBNET ?= 172.31.250.0/24
KIND_REGISTRY ?= 172.31.250.250:5000
KIND_XPKG_DIR := $(KIND_OUT)/xpkg
# A -run pattern for the kind tests, e.g. KIND_RUN=TestNetworkPolicy E2E_KIND_REUSE=1 on a cluster a run kept.
KIND_RUN ?= .

$(KIND):
	cd tools/kind && go build -o $@ sigs.k8s.io/kind

$(HELM):
	cd tools/helm && go build -trimpath -ldflags "-X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION)" -o $@ helm.sh/helm/v3/cmd/helm

$(COREDNS):
	cd tools/coredns && go build -trimpath -o $@ github.com/coredns/coredns

$(CNI_PLUGINS)/.built:
	cd tools/cni-plugins && for p in main/ptp ipam/host-local main/loopback meta/portmap; do \
		go build -trimpath -o $(CNI_PLUGINS)/ github.com/containernetworking/plugins/plugins/$$p; done
	touch $@

$(KUBE_ROUTER):
	cd tools/kube-router && go build -trimpath -o $@ github.com/cloudnativelabs/kube-router/v2/cmd/kube-router

$(REGISTRY_BIN): tools/registry/main.go
	cd tools/registry && go build -trimpath -o $@ .

$(KUBE_BIN)/kubelet $(KUBE_BIN)/kubeadm $(KUBE_BIN)/kubectl $(KUBE_BIN)/kube-scheduler $(KUBE_BIN)/kube-proxy:
	cd tools/kubernetes && go build -ldflags "$(KUBE_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/$(@F)

# Crossplane's image carries its version, which the Configuration's `crossplane.version` constraint is checked against.
$(CROSSPLANE_IMAGE_BIN):
	cd tools/crossplane && go build -ldflags "-s -w -X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$(CROSSPLANE_VERSION)" \
		-o $@ github.com/crossplane/crossplane/v2/cmd/crossplane

# Crossplane's Helm chart comes from the same pinned module as the core binary.
$(CROSSPLANE_CHART)/.copied:
	mkdir -p $(CROSSPLANE_CHART)
	cd tools/crossplane && cp -r $$(go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)/cluster/charts/crossplane/. $(CROSSPLANE_CHART)/
	chmod -R u+w $(CROSSPLANE_CHART)
	touch $@

$(KIND_RUNCWRAP): hack/kind/runcwrap/main.go
	go build -trimpath -o $@ ./hack/kind/runcwrap

$(KIND_IMAGE_TOOL): hack/kind/image/main.go hack/internal/ociimage/ociimage.go
	go build -trimpath -o $@ ./hack/kind/image

# mmdebstrap comes from Debian's packages, installed on first use.
NEED_MMDEBSTRAP = command -v mmdebstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y mmdebstrap >/dev/null

$(NODE_ROOTFS):
	@mkdir -p $(@D)
	@$(NEED_MMDEBSTRAP)
	mmdebstrap --format=tar --variant=minbase --include=$(NODE_PACKAGES) --customize-hook='chroot "$$1" sh -c "$(NODE_ROOTFS_HOOK)"' \
		bookworm $@.tmp > $(KIND_CACHE)/mmdebstrap-node.log 2>&1 || { tail -n 20 $(KIND_CACHE)/mmdebstrap-node.log; exit 1; }
	mv $@.tmp $@

$(IPTABLES_ROOTFS):
	@mkdir -p $(@D)
	@$(NEED_MMDEBSTRAP)
	mmdebstrap --format=tar --variant=minbase --include=iptables,ipset,conntrack,nftables bookworm $@.tmp > $(KIND_CACHE)/mmdebstrap-iptables.log 2>&1 || \
		{ tail -n 20 $(KIND_CACHE)/mmdebstrap-iptables.log; exit 1; }
	mv $@.tmp $@

# Static binaries run as root, as kubeadm's static pods expect of their images.
static_image = $(KIND_IMAGE_TOOL) --ref $(1) --out $@ --file $(2)=$(3) --entrypoint $(3)

$(call img,kube-apiserver-$(KUBE_VERSION)): $(KIND_IMAGE_TOOL) $(KUBE_APISERVER)
	$(call static_image,registry.k8s.io/kube-apiserver:$(KUBE_VERSION),$(KUBE_APISERVER),/usr/local/bin/kube-apiserver)
$(call img,kube-controller-manager-$(KUBE_VERSION)): $(KIND_IMAGE_TOOL) $(KUBE_CONTROLLER_MANAGER)
	$(call static_image,registry.k8s.io/kube-controller-manager:$(KUBE_VERSION),$(KUBE_CONTROLLER_MANAGER),/usr/local/bin/kube-controller-manager)
$(call img,kube-scheduler-$(KUBE_VERSION)): $(KIND_IMAGE_TOOL) $(KUBE_BIN)/kube-scheduler
	$(call static_image,registry.k8s.io/kube-scheduler:$(KUBE_VERSION),$(KUBE_BIN)/kube-scheduler,/usr/local/bin/kube-scheduler)
# kube-proxy runs iptables: its image is a Debian root file system with iptables, ipset, conntrack and nftables.
$(call img,kube-proxy-$(KUBE_VERSION)-$(IPTABLES_ROOTFS_VERSION)): $(KIND_IMAGE_TOOL) $(KUBE_BIN)/kube-proxy $(IPTABLES_ROOTFS)
	$(call static_image,registry.k8s.io/kube-proxy:$(KUBE_VERSION),$(KUBE_BIN)/kube-proxy,/usr/local/bin/kube-proxy) --base-layer $(IPTABLES_ROOTFS)
$(call img,etcd-$(ETCD_IMAGE_TAG)): $(KIND_IMAGE_TOOL) $(ETCD)
	$(call static_image,registry.k8s.io/etcd:$(ETCD_IMAGE_TAG),$(ETCD),/usr/local/bin/etcd)
$(call img,coredns-$(COREDNS_VERSION)): $(KIND_IMAGE_TOOL) $(COREDNS)
	$(call static_image,registry.k8s.io/coredns/coredns:$(COREDNS_VERSION),$(COREDNS),/coredns)
$(call img,pause-$(PAUSE_VERSION)): $(KIND_IMAGE_TOOL) hack/kind/pause/main.go
	go build -trimpath -ldflags "-s -w" -o $(KIND_CACHE)/bin/pause ./hack/kind/pause
	$(call static_image,registry.k8s.io/pause:$(PAUSE_VERSION),$(KIND_CACHE)/bin/pause,/pause)
# kube-router runs iptables and ipset: the same Debian layer as kube-proxy.
$(KIND_KUBE_ROUTER_IMAGE): $(KIND_IMAGE_TOOL) $(KUBE_ROUTER) $(IPTABLES_ROOTFS)
	$(call static_image,stellar-peers.local/kube-router:$(KUBE_ROUTER_VERSION),$(KUBE_ROUTER),/usr/local/bin/kube-router) --base-layer $(IPTABLES_ROOTFS)
$(call img,registry-$(REGISTRY_VERSION)): $(KIND_IMAGE_TOOL) $(REGISTRY_BIN)
	$(call static_image,stellar-peers.local/registry:$(REGISTRY_VERSION),$(REGISTRY_BIN),/registry) --user 65532:65532

# Crossplane's image as its nix build lays it out: /bin/crossplane, its CRDs and webhook configurations (which
# `crossplane core init` applies), a passwd naming the nonroot user it runs as.
$(KIND_CROSSPLANE_IMAGE): $(KIND_IMAGE_TOOL) $(CROSSPLANE_IMAGE_BIN)
	@mkdir -p $(KIND_CACHE)/crossplane-etc
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > $(KIND_CACHE)/crossplane-etc/passwd
	printf 'root:x:0:\nnonroot:x:65532:\n' > $(KIND_CACHE)/crossplane-etc/group
	printf 'hosts: files dns\n' > $(KIND_CACHE)/crossplane-etc/nsswitch.conf
	cd tools/crossplane && src=$$(go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2) && \
	$(KIND_IMAGE_TOOL) --ref xpkg.crossplane.io/crossplane/crossplane:$(CROSSPLANE_VERSION) --out $@ --user 65532 \
		--file $(CROSSPLANE_IMAGE_BIN)=/bin/crossplane --entrypoint /bin/crossplane \
		--dir $$src/cluster/crds=/crds --dir $$src/cluster/webhookconfigurations=/webhookconfigurations \
		--dir $(KIND_CACHE)/crossplane-etc=/etc --dir $(KIND_CACHE)/crossplane-etc=/home/nonroot

# The simulated stellar-core (hack/kind/coresim) as /usr/local/bin/stellar-core, with Debian's static busybox as
# /bin/sh for the init container our StatefulSet runs.
BUSYBOX_DEB_DIR := $(KIND_CACHE)/busybox-static
$(BUSYBOX_DEB_DIR)/bin/busybox:
	rm -rf $(BUSYBOX_DEB_DIR) && mkdir -p $(BUSYBOX_DEB_DIR)/deb
	cd $(BUSYBOX_DEB_DIR)/deb && apt-get download busybox-static >/dev/null && dpkg-deb -x busybox-static_*.deb $(BUSYBOX_DEB_DIR)

$(KIND_CORESIM_IMAGE): $(KIND_IMAGE_TOOL) $(RUNTIME_GO_SOURCES) hack/kind/coresim/main.go $(BUSYBOX_DEB_DIR)/bin/busybox
	GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "-s -w" -o $(KIND_OUT)/bin/stellar-core ./hack/kind/coresim
	$(KIND_IMAGE_TOOL) --ref stellar-peers.local/stellar-core-sim:$(CORESIM_TAG) --out $@ --user 65532:65532 \
		--file $(KIND_OUT)/bin/stellar-core=/usr/local/bin/stellar-core --file $(BUSYBOX_DEB_DIR)/bin/busybox=/bin/busybox \
		$(foreach c,sh cat printf [ test,--symlink /bin/$(c)=busybox) --entrypoint /usr/local/bin/stellar-core

$(KIND_NODE_IMAGE): hack/kind/node-image.sh $(wildcard hack/kind/node/*) $(NODE_ROOTFS) $(KIND_IMAGE_TOOL) $(KIND_RUNCWRAP) \
		$(KUBE_BIN)/kubelet $(KUBE_BIN)/kubeadm $(KUBE_BIN)/kubectl $(CNI_PLUGINS)/.built $(KIND_CONTROL_PLANE_IMAGES)
	cd tools/kind && hack=$(CURDIR)/hack/kind && $$hack/node-image.sh $@ $(NODE_ROOTFS) \
		$$(go list -m -f '{{.Dir}}' sigs.k8s.io/kind)/images/base/files $(KUBE_BIN) $(CNI_PLUGINS) $(KIND_RUNCWRAP) \
		$(KIND_CAPFIX) $(KIND_IMAGE_TOOL) $(KIND_CONTROL_PLANE_IMAGES)

.PHONY: kind-images
kind-images: $(KIND_NODE_IMAGE) $(KIND_KUBE_ROUTER_IMAGE) $(KIND_CROSSPLANE_IMAGE) $(KIND_REGISTRY_IMAGE) $(KIND_CORESIM_IMAGE) images ## Build every image the kind cluster runs (cached).

# The packages as the kind test pushes them: the Configuration names its dependencies in the cluster's registry.
.PHONY: kind-xpkg
kind-xpkg:
	@$(MAKE) --no-print-directory xpkg XPKG_DIR=$(KIND_XPKG_DIR) PACKAGE_REGISTRY=$(KIND_REGISTRY)/stellarpeers

.PHONY: e2e-kind
e2e-kind: $(KIND) $(HELM) $(CROSSPLANE_CLI) $(KUBE_BIN)/kubectl $(CROSSPLANE_CHART)/.copied $(KIND_RUNCWRAP) kind-images kind-xpkg ## End-to-end tests on a kind cluster built here (starts a Docker engine if none answers).
	@mkdir -p $(KIND_OUT); \
	host=$$(hack/kind/docker.sh start $(KIND_OUT)/docker $(KIND_DOCKER_ROOT) $(KIND_RUNCWRAP)) || exit 1; \
	if [ -n "$$host" ]; then export DOCKER_HOST=$$host; fi; rc=0; \
	E2E_KIND=$(KIND) E2E_HELM=$(HELM) E2E_CROSSPLANE_CHART=$(CROSSPLANE_CHART) E2E_KIND_KUBECTL=$(KUBE_BIN)/kubectl E2E_KIND_NETPOL_MANIFEST=$(CURDIR)/hack/kind/kube-router.yaml \
	E2E_KIND_NODE_IMAGE=$(KIND_NODE_IMAGE) E2E_KIND_NODE_REF=$(KIND_NODE_REF) E2E_KIND_ETCD_TAG=$(ETCD_IMAGE_TAG) \
	E2E_KIND_IMAGES="$(KIND_KUBE_ROUTER_IMAGE) $(KIND_CROSSPLANE_IMAGE) $(KIND_CORESIM_IMAGE)" \
	E2E_KIND_REGISTRY_IMAGE=$(KIND_REGISTRY_IMAGE) E2E_KIND_REGISTRY=$(KIND_REGISTRY) \
	E2E_KIND_NETWORK=$(KIND_NETWORK) E2E_KIND_SUBNET=$(KIND_SUBNET) E2E_KIND_OUT=$(KIND_OUT) \
	E2E_KIND_FUNCTION_XPKG=$(KIND_XPKG_DIR)/$(notdir $(FUNCTION_XPKG)) E2E_KIND_PROVIDER_XPKG=$(KIND_XPKG_DIR)/$(notdir $(PROVIDER_XPKG)) \
	E2E_KIND_CONFIGURATION_XPKG=$(KIND_XPKG_DIR)/$(notdir $(CONFIGURATION_XPKG)) \
		go test -tags kind -count=1 -timeout 40m -v -run '$(KIND_RUN)' ./test/e2e/kind/... || rc=$$?; \
	if [ -z "$${E2E_KIND_KEEP:-}" ]; then hack/kind/docker.sh stop $(KIND_OUT)/docker; fi; exit $$rc

# `make demo`'s story on the kind cluster: the discovery loop of make e2e-kind, showing the peers ConfigMap and each
# node's config, core state, PeerSync and connections as it goes (the test's "demo:" lines); the full log is kept.
.PHONY: demo-kind
demo-kind: ## Show peer discovery on a kind cluster built here (make e2e-kind's TestDiscoveryLoop, its tables).
	@mkdir -p $(KIND_OUT); rc=0; \
	$(MAKE) --no-print-directory e2e-kind KIND_RUN=TestDiscoveryLoop > $(KIND_OUT)/demo.log 2>&1 || rc=$$?; \
	sed -nE 's/^ +demo: ?//p; s/^ +[a-z_]+_test\.go:[0-9]+: ((first sync|convergence|connects for).*)/   \1/p; s/^(setup: .*)/   \1/p' $(KIND_OUT)/demo.log; \
	if [ $$rc -ne 0 ]; then grep -E -- '--- FAIL|_test\.go:[0-9]+: ' $(KIND_OUT)/demo.log | tail -n 20; echo "log: $(KIND_OUT)/demo.log"; fi; \
	exit $$rc
