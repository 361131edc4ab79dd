#!/bin/sh
# The dynamic symbols a shared object built from libktstr's objects
# defines must be exactly the functions and objects include/ktstr/*.h
# declares KTSTR_API (libktstr is compiled with -fvisibility=hidden).
# A public function missing from the list was defined without its header
# (so it took the hidden default); an extra one carries a visibility
# attribute of its own.
#   scripts/apicheck.sh SHARED_OBJECT
cd "$(dirname "$0")/.." || exit 2
so=${1:?usage: scripts/apicheck.sh SHARED_OBJECT}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# "KTSTR_API const struct x *name(args..." -> name
sed -n 's/^KTSTR_API \([^(]*\)(.*/\1/p' include/ktstr/*.h | sed 's/.*[ *]//' | sort -u >"$tmp/declared"
# Defined, global, in the dynamic table; the linker's own symbols left out.
nm -D --defined-only "$so" | awk '$2 ~ /^[A-Z]$/ { print $3 }' |
	grep -Ev '^(_init|_fini|_edata|_end|__bss_start|__start_.*|__stop_.*)$' | sort -u >"$tmp/exported"

n=$(wc -l <"$tmp/declared")
if [ "$n" -eq 0 ]; then
	echo "apicheck: no KTSTR_API declarations found in include/ktstr/" >&2
	exit 1
fi
bad=0
for s in $(comm -23 "$tmp/declared" "$tmp/exported"); do
	echo "apicheck: $s is declared KTSTR_API but not exported (defined in a file that does not include its header?)"
	bad=1
done
for s in $(comm -13 "$tmp/declared" "$tmp/exported"); do
	echo "apicheck: $s is exported but no public header declares it KTSTR_API"
	bad=1
done
[ $bad = 0 ] && echo "apicheck: $n KTSTR_API symbols, exactly the exported ones"
exit $bad
