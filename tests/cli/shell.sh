#!/usr/bin/env bash
# CLI tests of `ktstr shell`: help and bad input (no VM), then a few short
# VMs: --exec exit status and output, --include-files (a script and a
# dynamically linked program), --scheduler, and an interactive session
# driven through tmux (a command, `exit`, Ctrl-], SIGINT), each checking
# that the host terminal is restored.  TAP output (tests/cli/lib.sh);
# exits non-zero on failure.
#   usage: tests/cli/shell.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
SESS=ktstr-shelltest-$$
at_exit 'tmux kill-session -t "$SESS" 2>/dev/null'
need_bin "$K"

# --- help and bad input (no VM) ------------------------------------------------
for f in --topo --scheduler --args --include-files --memory --kernel --vmm --exec --verbose --help; do
	expect "shell help lists $f" 0 "^ +(-[a-z], )?$f[ =]" "$K" shell --help
done
expect "ktstr help lists shell" 0 "^  shell " "$K" help
expect "interactive needs a terminal" 2 "stdin is not a terminal" "$K" shell
expect "bad --topo" 2 "shell --topo.*evenly" "$K" shell --topo 2n3l1c1t --exec true
expect "bad --memory" 2 "shell --memory" "$K" shell --memory 100 --exec true
expect "bad --vmm" 2 "shell --vmm" "$K" shell --vmm xen --exec true
expect "--args needs --scheduler" 2 "--args needs --scheduler" "$K" shell --args -v --exec true
expect "stray argument" 2 "unexpected argument" "$K" shell --exec true extra
expect "missing include file" 2 "include-files: .*No such file" "$K" shell --include-files "$TMP/nope" --exec true
expect "unknown bare name" 2 "neither a file here nor a program" "$K" shell --include-files no-such-prog-xyz --exec true
expect "include under /proc refused" 2 "mounts over" "$K" shell --include-files /proc/cpuinfo --exec true
expect "unknown scheduler" 2 "not among the schedulers" "$K" shell --scheduler scx_nope --exec true
long=$(head -c 2000 /dev/zero | tr '\0' 'x')
expect "--exec too long" 2 "too long" "$K" shell --exec "echo $long"

need_kernel "shell VMs" || done_testing

# --- --exec ------------------------------------------------------------------------
nice "$K" shell --exec 'exit 3' >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check "--exec 'exit 3' exits 3" [ "$rc" -eq 3 ]
nice "$K" shell --topo 1n1l2c1t --exec 'cat /proc/cpuinfo | grep -c processor' >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check "--exec on 1n1l2c1t prints 2 (exit $rc)" [ "$rc" -eq 0 -a "$(cat "$TMP/out")" = "2" ]
[ "$rc" -eq 0 ] || diag "stderr: $(tail -c 300 "$TMP/err")"
# included files at their host path, ELF with its libraries; stdout is
# the command's alone (no \r, no banner)
mkdir -p "$TMP/inc/sub"
printf '#!/bin/sh\necho "hello from $(basename "$0") $1"\nexit 7\n' >"$TMP/inc/sub/hello.sh"
chmod +x "$TMP/inc/sub/hello.sh"
if command -v tmux >/dev/null; then tm=$(command -v tmux); else tm=""; fi
nice "$K" shell --include-files "$TMP/inc" ${tm:+--include-files tmux} \
	--exec "$TMP/inc/sub/hello.sh world; s=\$?; ${tm:+tmux -V;} exit \$s" >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check "--include-files: script ran at its host path, status 7 (exit $rc)" [ "$rc" -eq 7 ]
check "--include-files: its output, unmangled" [ "$(head -1 "$TMP/out")" = "hello from hello.sh world" ]
if [ -n "$tm" ]; then
	check "--include-files tmux (bare name, ELF + libraries) runs" grep -qE '^tmux [0-9]' "$TMP/out"
fi
check "no carriage returns in --exec output" [ "$(grep -c $'\r' "$TMP/out")" -eq 0 ]
# a scheduler started first
if nice "$K" shell --topo 1n1l2c1t --scheduler scx_simple --exec 'cat /sys/kernel/sched_ext/root/ops' \
	>"$TMP/out" 2>"$TMP/err" </dev/null; then
	check "--scheduler scx_simple is attached before the command" [ "$(cat "$TMP/out")" = "simple" ]
else
	bad "--scheduler scx_simple" "$(tail -c 300 "$TMP/out") $(tail -c 300 "$TMP/err")"
fi

# --- interactive, through tmux ------------------------------------------------------
need_cmd "interactive shell" tmux || done_testing

# wait_for PATTERN SECONDS: until the pane shows PATTERN
wait_for() {
	local i
	for i in $(seq 1 $(($2 * 5))); do
		tmux capture-pane -p -t "$SESS" 2>/dev/null | grep -qE -- "$1" && return 0
		sleep 0.2
	done
	return 1
}
# wait_gone SECONDS: until the session has ended
wait_gone() {
	local i
	for i in $(seq 1 $(($1 * 5))); do
		tmux has-session -t "$SESS" 2>/dev/null || return 0
		sleep 0.2
	done
	return 1
}
# start: a session running ktstr shell; its pid, exit status and the
# terminal settings afterwards land in $TMP.
start() {
	rm -f "$TMP/pid" "$TMP/rc" "$TMP/stty"
	tmux new-session -d -s "$SESS" -x 100 -y 30 \
		"sh -c 'echo \$\$ >$TMP/pid; exec nice $K shell'; echo \$? >$TMP/rc; stty -a >$TMP/stty"
}
restored() { grep -qE '(^| )icanon' "$TMP/stty" && grep -qE '(^| )echo( |$)' "$TMP/stty"; }

start
if wait_for 'ktstr:/root# *$' 60; then
	ok "interactive: prompt"
	tmux send-keys -t "$SESS" 'echo $((6*7))' Enter
	if wait_for '^42 *$' 20; then ok "interactive: echo \$((6*7)) prints 42"; else
		bad "interactive: echo \$((6*7)) prints 42" "$(tmux capture-pane -p -t "$SESS" | tail -5)"
	fi
	tmux send-keys -t "$SESS" 'exit' Enter
	if wait_gone 30; then ok "interactive: exit ends the session"; else bad "interactive: exit ends the session"; fi
	check "interactive: exit status 0 ($(cat "$TMP/rc" 2>/dev/null))" [ "$(cat "$TMP/rc" 2>/dev/null)" = 0 ]
	check "interactive: terminal restored after exit" restored
else
	bad "interactive: prompt" "$(tmux capture-pane -p -t "$SESS" 2>/dev/null | tail -5)"
fi
tmux kill-session -t "$SESS" 2>/dev/null

start
if wait_for 'ktstr:/root# *$' 60; then
	tmux send-keys -t "$SESS" 'C-]'
	if wait_gone 30; then ok "Ctrl-] ends the session"; else bad "Ctrl-] ends the session"; fi
	check "Ctrl-]: exit status 0" [ "$(cat "$TMP/rc" 2>/dev/null)" = 0 ]
	check "Ctrl-]: terminal restored" restored
else
	bad "Ctrl-] session: prompt" "$(tmux capture-pane -p -t "$SESS" 2>/dev/null | tail -5)"
fi
tmux kill-session -t "$SESS" 2>/dev/null

start
if wait_for 'ktstr:/root# *$' 60 && [ -s "$TMP/pid" ]; then
	kill -INT "$(cat "$TMP/pid")"
	if wait_gone 30; then ok "SIGINT ends the session"; else bad "SIGINT ends the session"; fi
	check "SIGINT: exit status 130" [ "$(cat "$TMP/rc" 2>/dev/null)" = 130 ]
	check "SIGINT: terminal restored" restored
else
	bad "SIGINT session: prompt" "$(tmux capture-pane -p -t "$SESS" 2>/dev/null | tail -5)"
fi

done_testing
