#!/usr/bin/env bash
# ktstr set-up from nothing on Debian 12: installs the packages, builds
# ktstr, builds the guest kernel + sched_ext schedulers into the cache
# (~/.cache/ktstr; a cache hit costs nothing) and, unless --no-demo, runs
# the steady test as a demonstration.  Idempotent.
#   scripts/setup.sh [--deps-only] [--no-demo]
set -euo pipefail
cd "$(dirname "$0")/.."

deps_only=0
demo=1
for a in "$@"; do
	case "$a" in
	--deps-only) deps_only=1 ;;
	--no-demo) demo=0 ;;
	-h|--help) sed -n '2,7p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
	esac
done

PKGS=(build-essential make gcc clang bc flex bison cpio patch zstd xz-utils dwarves
      libelf-dev libssl-dev zlib1g-dev libjansson-dev libbpf-dev libdw-dev
      linux-source-6.12 clang-19 lld-19 llvm-19 libclang-rt-19-dev
      qemu-system-x86 busybox-static acpica-tools python3 bsdutils
      chromium groff-base tmux pkg-config
      # the programs tests/payloads.c runs as payloads (docs/payloads.md)
      stress-ng fio rt-tests)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "setup: need root or sudo to install packages" >&2; exit 1; }
		SUDO=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "setup: all packages present"
fi
((deps_only)) && exit 0

make -j"$(nproc)" all
build/ktstr kernel build
if ((demo)); then
	echo "setup: running the steady test (EEVDF, 1n2l2c1t)"
	build/ktstr-tests steady
fi
