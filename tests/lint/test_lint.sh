#!/bin/bash
# The tree's own rules, checked on every `make test` (docs/architecture.md
# says why each holds):
#  1. nothing names a path outside the checkout (a user clones it alone);
#  2. no source file of src/ or tools/ is longer than 600 lines;
#  3. a module includes only the public headers of the others (its own
#     internal headers are its business);
#  4. no two headers of src/ include each other, directly or round about;
#  5. the files of src/sip and src/api call each other in one direction
#     only (read off the object files' symbols: who defines, who uses).
# SRC (the source tree) and BIN (the build folder) come from ctest.
set -u
: "${SRC:?}" "${BIN:?}"
cd "$SRC" || exit 1
bad=0
problem() { echo "FAIL: $*"; bad=1; }

# the project's files: git's list in a clone, else what is on disk
if git rev-parse --show-toplevel >/dev/null 2>&1; then
	files=$(git ls-files --cached --others --exclude-standard)
else
	files=$(find . -type f ! -path './build*' ! -path '*/node_modules/*' \
		! -path './.git/*' | sed 's|^\./||')
fi

# 1. paths outside the checkout. The patterns are spelt in pieces so this
# file does not match itself.
up='\.\.'
outside="$up/shared|/work/|(\\\$SRC|\\\$\{SRC\}|SOURCE_DIR\})/$up(/|\"|\$)"
hits=$(printf '%s\n' "$files" | grep -v '^tests/lint/' |
	grep -vE '\.(md|png|wav|xml)$' |
	xargs -r grep -nIE "$outside" 2>/dev/null | head -n 20)
[ -z "$hits" ] || problem "paths outside the checkout:
$hits"

# 2. file sizes
while read -r n f; do
	[ "$f" = total ] && continue
	[ "$n" -gt 600 ] && problem "$f has $n lines (at most 600)"
done < <(printf '%s\n' "$files" | grep -E '^(src|tools)/.*\.[ch]$' |
	xargs -r wc -l)

# 3. internal headers. Each module's public headers: what the others may
# include.
public="apps/apps.h api/api.h cluster/cluster.h conf/conf.h conf/conf_remote.h conf/conf_video.h conf/floor.h conf/mediapol.h conf/part.h conf/policy.h floorctl/floorctl.h main/config.h
media/media.h mixer/mixer.h mscp/mscp.h notify/notify.h sip/sip.h store/store.h
users/users.h video/video.h video/h224.h video/vcodec.h video/vpack.h
video/vpkt.h"
for f in $(printf '%s\n' "$files" | grep -E '^src/[a-z]+/.*\.[ch]$'); do
	mod=$(echo "$f" | cut -d/ -f2)
	while read -r inc; do
		imod=${inc%%/*}
		[ "$imod" = "$mod" ] && continue
		[ "$imod" = util ] && continue      # util: one header each
		case " $(echo $public) " in
		*" $inc "*) ;;
		*) problem "$f includes $inc, internal to $imod/" ;;
		esac
	done < <(sed -n 's/^#include "\([a-z]*\/[a-z_]*\.h\)".*/\1/p' "$f")
done

# 4 and 5: cycles in a graph given as "from to" lines on stdin
cycles() {
	python3 -c '
import sys, collections
g = collections.defaultdict(set)
for ln in sys.stdin:
    a, b = ln.split()
    if a != b:
        g[a].add(b)
index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in sorted(g[v]):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        scc = []
        while True:
            w = stack.pop(); on.discard(w); scc.append(w)
            if w == v: break
        if len(scc) > 1:
            out.append(" ".join(sorted(scc)))
sys.setrecursionlimit(10000)
for v in sorted(list(g)):
    if v not in index:
        visit(v)
print("\n".join(out))
'
}

hdr_edges() {
	for f in $(printf '%s\n' "$files" | grep -E '^src/.*\.h$'); do
		sed -n 's/^#include "\([a-z]*\/[a-z_]*\.h\)".*/\1/p' "$f" |
			sed "s|^|${f#src/} |"
	done
}
c=$(hdr_edges | cycles)
[ -z "$c" ] || problem "headers that include each other: $c"

# who uses a symbol another file of the same folder defines
call_edges() {
	local dir=$1 o
	for o in "$dir"/*.o; do
		nm "$o" | awk -v f="$(basename "$o" .c.o)" \
			'$2 ~ /^[TDBR]$/ {print "D", f, $3} $1 == "U" {print "U", f, $2}'
	done | awk '$1 == "D" {def[$3] = $2} $1 == "U" {use[NR] = $2 " " $3}
		END {for (i in use) {split(use[i], u, " ");
			if (u[2] in def) print u[1], def[u[2]]}}' | sort -u
}
for mod in sip api; do
	objdir="$BIN/CMakeFiles/caucus_core.dir/src/$mod"
	ls "$objdir"/*.o >/dev/null 2>&1 ||
		{ problem "no object files in $objdir (build first)"; continue; }
	c=$(call_edges "$objdir" | cycles)
	[ -z "$c" ] || problem "src/$mod: files that call each other: $c"
done

[ "$bad" -eq 0 ] && echo "PASS: outside paths, sizes, internal headers," \
	"header and call cycles"
exit "$bad"
