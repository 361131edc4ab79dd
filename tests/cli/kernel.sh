#!/usr/bin/env bash
# CLI tests for `ktstr kernel clean` on a made-up cache (no VM, no build):
# which kernels it removes, and which source and build trees go with
# them.  TAP output (tests/cli/lib.sh); exits non-zero on failure.
#   usage: tests/cli/kernel.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
need_bin "$K"

C=$TMP/cache
# A cache entry: a bzImage (its content is not checked by list/clean)
# and metadata naming the tree it came from.
entry() { # key built_at srcid|""
	mkdir -p "$C/kernels/$1"
	: >"$C/kernels/$1/bzImage"
	if [ -n "$3" ]; then
		printf '{"key":"%s","version":"6.12.0","built_at":"%s","srcid":"%s"}\n' "$1" "$2" "$3"
	else
		printf '{"key":"%s","version":"6.12.0","built_at":"%s"}\n' "$1" "$2"
	fi >"$C/kernels/$1/metadata.json"
}
tree() { mkdir -p "$C/src/$1/linux" "$C/build/$1/arch"; : >"$C/build/$1.lock"; }
gone() { for p in "$@"; do [ -e "$C/$p" ] && { echo "$p still there"; return 1; }; done; return 0; }
there() { for p in "$@"; do [ -e "$C/$p" ] || { echo "$p missing"; return 1; }; done; return 0; }
kclean() { KTSTR_CACHE_DIR=$C "$K" kernel clean "$@" >"$TMP/out" 2>&1; }

# The srcid a default build would use now (kt_kernel_deb_srcid), when
# Debian's package is installed: its tree must survive.
deb=
if v=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' linux-source-6.12 2>/dev/null) &&
	[ "${v#ii}" != "$v" ] && [ -e /usr/src/linux-source-6.12.tar.xz ]; then
	v=$(echo "${v#ii}" | sed 's/^ *//; s/[^A-Za-z0-9._-]/-/g')
	deb="deb-$v-p$(sha256sum "$(dirname "$0")/../../kernel/ktstr-fixes.patch" | cut -c1-8)"
fi

# --- keep 1: the older kernel, its tree and orphans go; the rest stays ----
rm -rf "$C"
entry new 2026-12-06T00:00:00Z deb-new
entry old 2026-12-01T00:00:00Z deb-old
tree deb-new; tree deb-old; tree deb-orphan; mkdir -p "$C/build/src-mytree-12345678"
[ -n "$deb" ] && tree "$deb"
if kclean; then
	if out=$(gone kernels/old src/deb-old build/deb-old src/deb-orphan build/deb-orphan \
		build/src-mytree-12345678) && out=$(there kernels/new src/deb-new build/deb-new build/deb-new.lock build/deb-orphan.lock); then
		ok "clean: older kernel and the trees no kernel left came from removed (not their locks), the newest kept"
	else
		bad "clean: kernels and trees" "$out" "$(cat "$TMP/out")"
	fi
	grep -q "removed $C/src/deb-orphan" "$TMP/out" && ok "clean: each removed tree is named" ||
		bad "clean: each removed tree is named" "$(cat "$TMP/out")"
else
	bad "clean exits 0" "$(cat "$TMP/out")"
fi
if [ -n "$deb" ]; then
	out=$(there "src/$deb" "build/$deb") && ok "clean: the next default build's tree ($deb) kept" ||
		bad "clean: the next default build's tree kept" "$out"
else
	skip "clean: the next default build's tree kept" "linux-source-6.12 not installed"
fi

# --- clean KEY: that kernel, then its now unused tree --------------------
kclean new && out=$(gone kernels/new src/deb-new build/deb-new) && ok "clean KEY: the kernel and its tree" ||
	bad "clean KEY: the kernel and its tree" "$out" "$(cat "$TMP/out")"
expect "clean KEY: an unknown key is bad input" 2 'no cached kernel "nope"' env KTSTR_CACHE_DIR="$C" "$K" kernel clean nope

# --- a tree whose build holds the lock is kept ---------------------------
if command -v flock >/dev/null; then
	rm -rf "$C"; entry k 2026-12-06T00:00:00Z deb-k; tree busy
	# flock(1) holds the lock while its sleep runs: stop both after.
	flock "$C/build/busy.lock" sleep 30 >/dev/null 2>&1 </dev/null &
	holder=$!
	for _ in $(seq 50); do flock -n "$C/build/busy.lock" true || break; sleep 0.1; done
	kclean
	pkill -P "$holder" 2>/dev/null; kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
	out=$(there src/busy build/busy) && grep -q "kept $C/src/busy: a build holds" "$TMP/out" &&
		ok "clean: a tree under a build's lock is kept, and said so" ||
		bad "clean: a tree under a build's lock is kept" "$out" "$(cat "$TMP/out")"
else
	skip "clean: a tree under a build's lock is kept" "no flock(1)"
fi

# --- a kernel without a recorded srcid keeps every tree -----------------
rm -rf "$C"; entry legacy 2026-12-06T00:00:00Z ""; tree deb-any
kclean && out=$(there src/deb-any build/deb-any) && grep -q "does not record its srcid" "$TMP/out" &&
	ok "clean: a kernel without srcid keeps every tree" || bad "clean: no srcid keeps trees" "$out" "$(cat "$TMP/out")"

# --- --all: everything ----------------------------------------------------
entry k2 2026-12-06T00:00:00Z deb-k2; tree deb-k2
kclean --all && out=$(gone kernels src build) && ok "clean --all: kernels, src and build" ||
	bad "clean --all" "$out" "$(cat "$TMP/out")"

done_testing
