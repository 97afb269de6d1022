#!/usr/bin/env bash
# docker.sh start|stop STATE_DIR DATA_ROOT RUNCWRAP
#
# start: when no Docker engine answers, installs Debian's docker.io if dockerd is missing and starts a dockerd of
# our own: data root DATA_ROOT (kept, so the images built there are reused by the next run), exec root, socket and
# pid under STATE_DIR. When the host's capability bounding set lacks CAP_SYS_RESOURCE, runc cannot start the
# privileged containers kind needs, so RUNCWRAP (hack/kind/runcwrap) becomes the default runtime. Prints the
# DOCKER_HOST to use, and records in STATE_DIR/started that this script started the engine.
# stop: stops the engine only if start started it.
set -euo pipefail

cmd=$1 state=$2 data_root=${3:-} runcwrap=${4:-}
sock=$state/docker.sock

case $cmd in
start)
	mkdir -p "$state"
	if docker info >/dev/null 2>&1; then
		echo "${DOCKER_HOST:-}"
		exit 0
	fi
	# Ours, kept running by an earlier run (E2E_KIND_KEEP): use it, and leave the record of who started it.
	if DOCKER_HOST=unix://$sock docker info >/dev/null 2>&1; then
		echo "unix://$sock"
		exit 0
	fi
	if ! command -v dockerd >/dev/null; then
		echo "e2e-kind: installing Debian's docker.io (dockerd, containerd, runc)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io >"$state/apt.log" 2>&1 ||
			{ cat "$state/apt.log" >&2; echo "cannot install docker.io" >&2; exit 1; }
	fi
	mkdir -p "$data_root" "$state/exec"
	# No default bridge, no iptables rules, no IP forwarding or masquerading on the host: the containers of this
	# engine reach each other on the networks the test creates and the host reaches them, but nothing they send
	# can leave the machine, and stopping the engine leaves the host's network as it was.
	args=(--data-root "$data_root" --exec-root "$state/exec" -H "unix://$sock" --pidfile "$state/docker.pid"
		--containerd-namespace stellar-peers-kind --containerd-plugins-namespace stellar-peers-kind-plugins
		--bridge none --iptables=false --ip-forward=false --ip-masq=false)
	# CAP_SYS_RESOURCE is capability 24.
	capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
	if (( (16#$capbnd >> 24 & 1) == 0 )); then
		args+=(--add-runtime "runcwrap=$runcwrap" --default-runtime runcwrap)
	fi
	dockerd "${args[@]}" >"$state/dockerd.log" 2>&1 &
	echo started >"$state/started"
	for _ in $(seq 1 120); do
		if DOCKER_HOST=unix://$sock docker info >/dev/null 2>&1; then
			echo "unix://$sock"
			exit 0
		fi
		sleep 0.5
	done
	tail -n 30 "$state/dockerd.log" >&2
	echo "cannot start dockerd: it did not answer within 60 s (log: $state/dockerd.log)" >&2
	exit 1
	;;
stop)
	[ -f "$state/started" ] || exit 0
	if [ -f "$state/docker.pid" ]; then
		pid=$(cat "$state/docker.pid")
		# dockerd bind-mounts its data root onto itself and leaves that mount behind: read where it is first.
		root=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^--data-root$/{n;p}')
		kill "$pid" 2>/dev/null || true
		# dockerd stops its containerd and shims itself; wait so the next run finds the data root free.
		for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		while [ -n "$root" ] && mountpoint -q "$root"; do umount "$root"; done
	fi
	rm -f "$state/started"
	;;
*)
	echo "usage: $0 start|stop STATE_DIR [DATA_ROOT RUNCWRAP]" >&2
	exit 2
	;;
esac
