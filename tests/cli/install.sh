#!/usr/bin/env bash
# `make install` into a scratch DESTDIR, then a test written and built out
# of tree the README's way (cc my_test.c $(pkg-config --cflags --libs
# ktstr)) and run with --list; no VM needed.  Also: the installed ktstr
# looks for scx-ktstr under its PREFIX (not this tree), another PREFIX
# rebuilds that, and `make uninstall` removes every file.  Prints TAP;
# exits non-zero on failure.
#   usage: tests/cli/install.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
repo=$(cd "$HERE/../.." && pwd)
tmp=$TMP
root=$tmp/root
# tail of a file as TAP diagnostics
tail_diag() { diag "$(tail -n "${2:-15}" "$1")"; }

# --- 1: make install ------------------------------------------------------
if make -C "$repo" BUILD="$B" DESTDIR="$root" PREFIX=/usr install >"$tmp/make.log" 2>&1; then
	ok "make install DESTDIR=\$tmp PREFIX=/usr"
else
	bad "make install DESTDIR=\$tmp PREFIX=/usr" "exit status $?; the end of its output:"
	tail_diag "$tmp/make.log"
fi

# --- 2, 3: the files, and that they are the tree's --------------------------
want=(usr/bin/ktstr usr/lib/libktstr.a usr/lib/pkgconfig/ktstr.pc usr/share/man/man1/ktstr.1)
copies=(docs/ktstr.1:usr/share/man/man1/ktstr.1)
for f in include/ktstr/*.h; do
	want+=("usr/$f")
	copies+=("$f:usr/$f")
done
for f in scx-ktstr/Makefile scx-ktstr/*.c scx-ktstr/*.h; do
	[ -e "$f" ] || continue
	want+=("usr/share/ktstr/$f")
	copies+=("$f:usr/share/ktstr/$f")
done
missing=()
for f in "${want[@]}"; do [ -f "$root/$f" ] || missing+=("$f"); done
[ -x "$root/usr/bin/ktstr" ] || missing+=("usr/bin/ktstr is not executable")
if [ ${#missing[@]} -eq 0 ]; then
	ok "the ${#want[@]} files landed under \$tmp/usr"
else
	bad "files landed under \$tmp/usr" "missing: ${missing[*]}"
fi
differ=()
for c in "${copies[@]}"; do cmp -s "${c%%:*}" "$root/${c#*:}" || differ+=("${c#*:}"); done
if [ ${#differ[@]} -eq 0 ]; then
	ok "headers, man page and scx-ktstr sources are the tree's"
else
	bad "installed copies match the tree" "differ or missing: ${differ[*]}"
fi

# --- 4, 5: pkg-config --------------------------------------------------------
pc() { PKG_CONFIG_PATH=$root/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root pkg-config "$@"; }
if ! command -v pkg-config >/dev/null; then
	bad "pkg-config --modversion ktstr" "pkg-config is not installed (scripts/setup.sh installs it)"
	bad "pkg-config --cflags --libs ktstr" "pkg-config is not installed"
	flags=""
else
	ver=$(pc --modversion ktstr 2>"$tmp/pc.err")
	kver=$("$root/usr/bin/ktstr" version 2>/dev/null)
	if [ -n "$ver" ] && [ "$kver" = "ktstr $ver" ]; then
		ok "pkg-config --modversion ktstr is ktstr's version ($ver)"
	else
		bad "pkg-config --modversion ktstr" "pkg-config: '$ver' $(head -c 200 "$tmp/pc.err")" \
			"ktstr version: '$kver'"
	fi
	flags=$(pc --cflags --libs ktstr 2>"$tmp/pc.err")
	# -lktstr before the libraries it needs; paths inside the sysroot.
	if [[ " $flags " == *" -I$root/usr/include "* && " $flags " == *" -L$root/usr/lib "* &&
		" $flags " == *" -lktstr "*"-lelf "*"-ljansson "*"-lpthread "* ]]; then
		ok "pkg-config --cflags --libs ktstr: $flags"
	else
		bad "pkg-config --cflags --libs ktstr" "got: '$flags' $(head -c 200 "$tmp/pc.err")"
	fi
fi

# --- 6-8: an out-of-tree test, like the README's ------------------------------
cat >"$tmp/my_test.c" <<'EOF'
#include <ktstr/ktstr.h>

KTSTR_TEST(oot_steady, .llcs = 2, .cores = 2, .duration_s = 3)
{
	return ktstr_run_cgroups(ctx, (struct ktstr_cgroup_def[]){
		{ .name = "cg_0", .workers = 2 },
		{ .name = "cg_1", .workers = 2 },
		{ 0 },
	});
}
EOF
# shellcheck disable=SC2086 # $flags is a list of words
if [ -n "$flags" ] && ${CC:-cc} -Wall -Wextra -Werror -o "$tmp/my_test" "$tmp/my_test.c" $flags >"$tmp/cc.log" 2>&1; then
	ok "cc my_test.c \$(pkg-config --cflags --libs ktstr)"
else
	bad "cc my_test.c \$(pkg-config --cflags --libs ktstr)" "flags: '$flags'; compiler output:"
	tail_diag "$tmp/cc.log"
fi
if [ -x "$tmp/my_test" ]; then
	out=$("$tmp/my_test" --list 2>"$tmp/err")
	rc=$?
	if [ $rc -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c .)" = 1 ] && [[ $out == "oot_steady "* ]]; then
		ok "my_test --list lists oot_steady and nothing else"
	else
		bad "my_test --list lists oot_steady and nothing else" "exit $rc; stdout: $(head -c 300 <<<"$out")" \
			"stderr: $(head -c 300 "$tmp/err")"
	fi
	"$tmp/my_test" --bogus >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q -- "--bogus" "$tmp/err"; then
		ok "my_test --bogus exits 2 naming the option"
	else
		bad "my_test --bogus exits 2 naming the option" "exit $rc; stderr: $(head -c 300 "$tmp/err")"
	fi
else
	bad "my_test --list lists oot_steady and nothing else" "no binary"
	bad "my_test --bogus exits 2 naming the option" "no binary"
fi

# --- 9-11: where each ktstr looks for the scx-ktstr sources -------------------
# scx_src KTSTR [SRC_DIR]: the "scx-ktstr src" line of its show-host, run
# with KTSTR_SRC_DIR=SRC_DIR, or without KTSTR_SRC_DIR.
scx_src() {
	if [ $# -gt 1 ]; then
		KTSTR_SRC_DIR=$2 "$1" show-host
	else
		env -u KTSTR_SRC_DIR "$1" show-host
	fi 2>/dev/null </dev/null | sed -n 's/^scx-ktstr src  *//p'
}
got=$(scx_src "$root/usr/bin/ktstr")
if [[ $got == "/usr/share/ktstr/scx-ktstr"* ]]; then
	ok "installed ktstr looks for scx-ktstr in PREFIX/share/ktstr, not the tree"
else
	bad "installed ktstr looks for scx-ktstr in PREFIX/share/ktstr" "show-host: '$got'"
fi
got=$(scx_src "$root/usr/bin/ktstr" "$root/usr/share/ktstr")
if [ "$got" = "$root/usr/share/ktstr/scx-ktstr" ]; then
	ok "KTSTR_SRC_DIR points it at the installed copy, found"
else
	bad "KTSTR_SRC_DIR points it at the installed copy, found" "show-host: '$got'"
fi
if make -s -C "$repo" BUILD="$B" "$B/ktstr" >"$tmp/make2.log" 2>&1; then
	got=$(scx_src "$B/ktstr")
	if [ "$got" = "$repo/scx-ktstr" ]; then
		ok "the in-tree ktstr still uses the tree's scx-ktstr"
	else
		bad "the in-tree ktstr still uses the tree's scx-ktstr" "show-host: '$got'"
	fi
else
	bad "the in-tree ktstr still uses the tree's scx-ktstr" "make $B/ktstr failed:"
	tail_diag "$tmp/make2.log"
fi

# --- 12: another PREFIX rebuilds what depends on it ----------------------------
root2=$tmp/root2
if make -C "$repo" BUILD="$B" DESTDIR="$root2" PREFIX=/opt/kt install >"$tmp/make3.log" 2>&1; then
	got=$(scx_src "$root2/opt/kt/bin/ktstr")
	if [[ $got == "/opt/kt/share/ktstr/scx-ktstr"* ]] &&
		grep -qx 'prefix=/opt/kt' "$root2/opt/kt/lib/pkgconfig/ktstr.pc"; then
		ok "PREFIX=/opt/kt: ktstr and ktstr.pc follow it"
	else
		bad "PREFIX=/opt/kt: ktstr and ktstr.pc follow it" "show-host: '$got'" \
			"pc: $(grep '^prefix=' "$root2/opt/kt/lib/pkgconfig/ktstr.pc" 2>&1)"
	fi
else
	bad "PREFIX=/opt/kt: ktstr and ktstr.pc follow it" "make install failed:"
	tail_diag "$tmp/make3.log"
fi

# --- 13: make uninstall ------------------------------------------------------
if make -s -C "$repo" BUILD="$B" DESTDIR="$root" PREFIX=/usr uninstall >"$tmp/make4.log" 2>&1 &&
	left=$(find "$root" ! -type d) && [ -z "$left" ] && [ ! -e "$root/usr/include/ktstr" ] &&
	[ ! -e "$root/usr/share/ktstr" ]; then
	ok "make uninstall removes every installed file and ktstr's own directories"
else
	bad "make uninstall removes every installed file" "left: $(find "$root" -mindepth 1 | tr '\n' ' ' | head -c 400)"
	tail_diag "$tmp/make4.log" 5
fi

done_testing
