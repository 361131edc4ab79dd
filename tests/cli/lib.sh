# Shared frame of the CLI tests (tests/cli/*.sh), sourced first by each:
#
#   #!/usr/bin/env bash
#   . "$(dirname "$0")/lib.sh"          # reads $1, the build directory
#   need_bin "$K"
#   expect "help lists --foo" 0 "--foo" "$K" foo --help
#   if need_kernel "one short VM"; then ...; fi
#   done_testing
#
# It sets B (the build directory, absolute; default build), K ($B/ktstr),
# T ($B/ktstr-tests), HERE (tests/cli) and TMP (a scratch directory
# removed on exit), and prints TAP: "TAP version 13", one "ok N - name" or
# "not ok N - name" per check (skips are "ok N - name # SKIP reason"),
# diagnostics as "#" lines, the plan "1..N" at the end (the number of
# checks depends on what is skipped), then "N passed, N failed" (", N
# skipped" when some were).  The exit status is 0 when nothing failed, 1
# otherwise, 2 when the tests could not run (bad usage, binaries missing).
#
# Commands under test run with stdin from /dev/null; their stdout and
# stderr land in $TMP/out and $TMP/err, where later checks may look.

set -u

_script=$(basename "$0" .sh)
case "${1:-}" in
-h | --help)
	echo "usage: $0 [BUILD_DIR]     (default: build)"
	exit 0
	;;
esac
if [ $# -gt 1 ]; then
	echo "usage: $0 [BUILD_DIR]     (default: build)" >&2
	exit 2
fi
if ! B=$(cd "${1:-build}" 2>/dev/null && pwd); then
	echo "Bail out! build directory ${1:-build} missing: run make first"
	exit 2
fi
K=$B/ktstr
T=$B/ktstr-tests
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d "/tmp/ktstr-$_script.XXXXXX") || exit 2

_at_exit=()
# at_exit CMD: run CMD (a string, eval'ed) on exit, before TMP is removed.
at_exit() { _at_exit+=("$1"); }
_cleanup() {
	local c
	for c in ${_at_exit[@]+"${_at_exit[@]}"}; do eval "$c"; done
	rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass=0 fail=0 skip=0
echo "TAP version 13"

# need_bin FILE...: every FILE executable, or bail out (exit 2).
need_bin() {
	local b
	for b in "$@"; do
		if [ ! -x "$b" ]; then
			echo "Bail out! $b missing: run make first"
			exit 2
		fi
	done
}

# diag TEXT...: each line of each TEXT as a TAP diagnostic, so that output
# captured from the binaries (their own "ok 1 ..." lines) stays a comment.
diag() {
	local t
	for t in "$@"; do
		printf '%s\n' "$t" | sed 's/^/#   /'
	done
}

# The name of a check as TAP wants it: '#' would start a directive.
_tapname() { printf '%s' "${1//\#/\\#}"; }

# ok NAME; bad NAME [DIAGNOSTIC...]; skip NAME REASON: one check each.
ok() {
	pass=$((pass + 1))
	echo "ok $((pass + fail + skip)) - $(_tapname "$1")"
}
bad() {
	fail=$((fail + 1))
	echo "not ok $((pass + fail + skip)) - $(_tapname "$1")"
	shift
	diag "$@"
}
skip() {
	skip=$((skip + 1))
	echo "ok $((pass + fail + skip)) - $(_tapname "$1") # SKIP $2"
}

# check NAME CMD...: passes when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name" "failed: $*"; fi
}

# The output of the last command run by expect_status or expect.
_last_output() {
	diag "stdout: $(head -c 600 "$TMP/out" 2>/dev/null)" "stderr: $(head -c 400 "$TMP/err" 2>/dev/null)"
}

# expect_status NAME WANT_RC CMD...: runs CMD; passes when it exits with
# WANT_RC.  Returns 0 when it did, so dependent checks can follow with &&.
expect_status() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, wanted $want: $*"
		_last_output
		return 1
	fi
	ok "$name"
}

# expect NAME WANT_RC PATTERN CMD...: one check that CMD exits with
# WANT_RC and that the extended regex PATTERN matches a line of its
# stdout or stderr.
expect() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, wanted $want: $*"
		_last_output
	elif ! grep -qE -- "$pat" "$TMP/out" "$TMP/err"; then
		bad "$name" "no /$pat/ in the output of: $*"
		_last_output
	else
		ok "$name"
	fi
}

# expect_grep NAME PATTERN [FILE...]: passes when the extended regex
# PATTERN matches a line of the FILEs (default: the last command's stdout
# and stderr).
expect_grep() {
	local name=$1 pat=$2 f
	shift 2
	[ $# -gt 0 ] || set -- "$TMP/out" "$TMP/err"
	if grep -qE -- "$pat" "$@" 2>/dev/null; then
		ok "$name"
	else
		bad "$name" "no /$pat/ in $*"
		for f in "$@"; do diag "$f: $(head -c 400 "$f" 2>/dev/null)"; done
	fi
}

# check_py NAME ARGS... <<'PY': runs the python3 program on stdin with
# ARGS; it passes by printing a line "ok" (an assertion shows why not).
check_py() {
	local name=$1
	shift
	python3 - "$@" >"$TMP/py" 2>&1
	if grep -qx ok "$TMP/py"; then ok "$name"; else bad "$name" "$(tail -5 "$TMP/py")"; fi
}

# have_kernel: whether `ktstr kernel path` finds a kernel ($KTSTR_KERNEL
# or the cache); asked once.
_have_kernel=
have_kernel() {
	if [ -z "$_have_kernel" ]; then
		if "$K" kernel path >/dev/null 2>&1; then _have_kernel=yes; else _have_kernel=no; fi
	fi
	[ "$_have_kernel" = yes ]
}

# need_kernel WHAT: true with a kernel; else WHAT is skipped with the
# reason, and false.
need_kernel() {
	have_kernel && return 0
	skip "$1" "no cached kernel (ktstr kernel build)"
	return 1
}

# need_cmd WHAT CMD: true when CMD is installed; else WHAT is skipped.
need_cmd() {
	command -v "$2" >/dev/null && return 0
	skip "$1" "$2 not installed"
	return 1
}

_summary() {
	echo "1..$((pass + fail + skip))"
	echo "$pass passed, $fail failed$([ "$skip" -gt 0 ] && echo ", $skip skipped")"
}

# skip_all REASON: nothing can be tested here (call it before any
# check); exit 0.
skip_all() {
	echo "1..0 # SKIP $1"
	echo "0 passed, 0 failed"
	exit 0
}

# done_testing: the plan, the summary, and the exit status.
done_testing() {
	_summary
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}
