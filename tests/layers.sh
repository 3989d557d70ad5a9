#!/usr/bin/env bash
# layers.sh BUILD_DIR - checks the call graph between chainsim's source files.
#
# The graph is read from the compiled objects: a file calls (or takes the
# address of) a function or object another file defines when its object
# file has an undefined symbol that the other defines (nm). From it:
#   1. no two files call each other in a loop, directly or through others
#      (tsort finds every cycle);
#   2. every call between folders points down the layers:
#        core/                knows nothing of sim/ or analysis/;
#        sim/engine/          core only (hashing for the digest);
#        sim/scenario/        core, and the network profiles' table
#                             (sim/net/profile.c, a leaf);
#        sim/record/          sim/scenario, the embedded schema and views;
#        sim/net/             sim/engine, sim/scenario, sim/record;
#        sim/node/            core, sim/engine, sim/net, sim/scenario, sim/record;
#        sim/ (top)           all of sim/ and core/;
#        analysis/            sim/scenario, sim/record (merge writes with it);
#        sim/main.c           anything.
# Prints the file-level edges with --print. Exits 1 on a violation.
set -euo pipefail
build=${1:?usage: layers.sh BUILD_DIR [--print]}
mapfile -t objs < <(find "$build/CMakeFiles" -path '*/chainsim*.dir/*' -name '*.o' | sort)
[ "${#objs[@]}" -gt 10 ] || { echo "layers: no object files under $build" >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
edges=$(for o in "${objs[@]}"; do
  f=${o#*.dir/}; f=${f%.o}
  # objects of sources that no longer exist (a build folder older than a
  # move or a removal) are not part of the program
  case $f in *_sql.c) ;; *) [ -f "$src/$f" ] || continue ;; esac
  nm "$o" | awk -v f="$f" '$1 ~ /^[0-9a-f]+$/ && $2 ~ /[TDBRC]/ {print "D", f, $3} $1 == "U" {print "U", f, $2}'
done | awk '
  $1 == "D" { def[$3] = $2; next }
  { n++; uf[n] = $2; us[n] = $3 }
  END { for (i = 1; i <= n; i++) if ((us[i] in def) && def[us[i]] != uf[i]) print uf[i], def[us[i]] }' | sort -u)
[ "${2:-}" = --print ] && printf '%s\n' "$edges"

status=0
if ! loops=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) || [ -n "$loops" ]; then
  echo "layers: files that call each other in a loop:" >&2
  printf '%s\n' "$loops" >&2
  status=1
fi

folder() { # the layer of a source file
  case $1 in
    core/*) echo core ;;
    sim/main.c|sim/cmd/*) echo main ;; # command entries and the tools they share (guard, inspect)
    sim/net/profile.c) echo profile ;;
    sim/*/*) echo "${1%/*}" ;;
    sim/*) echo sim ;;
    analysis/*) echo analysis ;;
    *_sql.c) echo schema ;;
    *) echo other ;;
  esac
}
allowed() { # from-layer to-layer
  [ "$1" = "$2" ] && return 0
  case "$1:$2" in
    main:*) return 0 ;;
    sim:core|sim:sim/*|sim:profile) return 0 ;;
    sim/engine:core) return 0 ;;
    sim/scenario:core|sim/scenario:profile) return 0 ;;
    sim/record:sim/scenario|sim/record:schema) return 0 ;;
    sim/net:sim/engine|sim/net:sim/scenario|sim/net:sim/record|sim/net:profile) return 0 ;;
    sim/node:core|sim/node:sim/engine|sim/node:sim/net|sim/node:sim/scenario|sim/node:sim/record) return 0 ;;
    analysis:sim/scenario|analysis:sim/record) return 0 ;;
  esac
  return 1
}
nedges=0
while read -r from to; do
  [ -n "$from" ] || continue
  nedges=$((nedges + 1))
  a=$(folder "$from"); b=$(folder "$to")
  if ! allowed "$a" "$b"; then
    echo "layers: $from calls $to: $a may not depend on $b" >&2
    status=1
  fi
done <<< "$edges"
nfiles=$(printf '%s\n' "$edges" | tr ' ' '\n' | sort -u | wc -l)
if [ "$status" -eq 0 ]; then
  echo "layers: $nfiles files, $nedges calls between files: no loop, every call points down the layers"
fi
exit "$status"
