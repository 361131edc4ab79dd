#!/bin/sh
# Include direction: a file under src/<dir>/ or cli/ may include headers
# of its own folder and of folders in lower layers only (docs/architecture.md).
#   util < proto < {model probe} < {workload vm kernel initramfs} < monitor
#        < {guest runner} < {scenario gauntlet report shell} < cli
# Peers in one layer do not include each other.  Public headers
# (<ktstr/...>) are the API and may be included anywhere.
cd "$(dirname "$0")/.." || exit 2
rank() {
	case "$1" in
	util) echo 0 ;;
	proto) echo 1 ;;
	model|probe) echo 2 ;;
	workload|vm|kernel|initramfs) echo 3 ;;
	monitor) echo 4 ;;
	guest|runner) echo 5 ;;
	scenario|gauntlet|report|shell) echo 6 ;;
	cli) echo 7 ;;
	*) echo unknown ;;
	esac
}
bad=0
for f in $(find src cli -name '*.[ch]' | sort); do
	case "$f" in
	cli/*) from=cli ;;
	*) from=$(echo "$f" | cut -d/ -f2) ;;
	esac
	rf=$(rank "$from")
	if [ "$rf" = unknown ]; then
		echo "$f: folder '$from' has no layer; add it to scripts/layercheck.sh and docs/architecture.md"
		bad=1
		continue
	fi
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		to=${inc%%/*}
		[ "$to" = "$inc" ] && continue # same-folder relative include
		[ "$to" = "$from" ] && continue
		rt=$(rank "$to")
		if [ "$rt" = unknown ] || [ "$rt" -ge "$rf" ]; then
			echo "$f: includes \"$inc\": layer $from ($rf) may not include $to ($rt)"
			bad=1
		fi
	done
done
[ $bad = 0 ] && echo "layercheck: include order ok"
exit $bad
