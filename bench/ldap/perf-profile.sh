#!/bin/bash
# A CPU profile of a Node LDAP server under ldclt's bind case (PERF_CASE=search: the search case) from the kernel's cpu-clock
# (samples only while the process runs on a CPU, kernel time included), with exact JIT symbols
# (node --perf-prof, perf inject --jit). `node --cpu-prof` samples wall time instead: on a loaded
# machine the server is often preempted inside a socket write (the write wakes ldclt), so
# writeBuffer shows ~30% of "self time" there against ~10% of CPU here.
#
#   bench/ldap/perf-profile.sh <name> <conc> <samples> -- <node args…>   (the LDAP port is appended)
#   e.g. bench/ldap/perf-profile.sh fd 8 3 -- --openssl-config=data/openssl/forestd.cnf dist/src/cli/main.js \
#          serve --data /tmp/d --host 127.0.0.1 --ldaps-port 0 --gc-port 0 --gcs-port 0 --ldap-port
# Writes /tmp/<name>.script (perf script -F ip,sym of the measured window, warm-up excluded) and
# prints CPU µs per bind. Where perf inject --jit leaves JS frames as [unknown] (seen with Debian 12's perf), run with
# PERF_NODE_FLAG=--perf-basic-prof (a /tmp/perf-PID.map that perf script reads itself: names without line-exact code); summarize with: node dist/bench/perf-summary.js /tmp/<name>.script
# Needs perf (linux-perf) and ldclt (bench/ldap/install-tools.sh); users CN=userNNNN,OU=Bench,DC=example,DC=com.
set -euo pipefail
OUT=$1; C=$2; N=$3; shift 4
LDCLT=${LDCLT:-/var/cache/forestd-bench/usr/bin/ldclt}
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DIR=$(mktemp -d /tmp/perf-profile.XXXXXX)
# node runs in $DIR (where --perf-prof writes its jit dumps): make relative file arguments absolute first,
# including the value of an --option=PATH, so that the example below works from the repository's root
ARGS=()
for a in "$@"; do
  case "$a" in
    --*=*) v=${a#*=}; [ -e "$v" ] && a="${a%%=*}=$(realpath "$v")" ;;
    *) [ -e "$a" ] && a=$(realpath "$a") ;;
  esac
  ARGS+=("$a")
done
set -- "${ARGS[@]}"
(cd "$DIR" && exec perf record -k mono -e cpu-clock -F 2000 -g -o "$DIR/raw.data" node ${PERF_NODE_FLAG:---perf-prof} --interpreted-frames-native-stack "$@" "$PORT" >"$DIR/server.log" 2>&1) &
PP=$!
for _ in $(seq 100); do PID=$(pgrep -P $PP node || true); [ -n "$PID" ] && (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.2; done
case "${PERF_CASE:-bind}" in
  bind) L=("$LDCLT" -H "ldap://127.0.0.1:$PORT" -n "$C" -t 30 -D CN=userXXXX,OU=Bench,DC=example,DC=com -w BenchPass1 -e bindeach,bindonly,randombinddn,randombinddnlow=1000,randombinddnhigh=9999,sampinterval=2) ;;
  # bench:ldap's search case (ldclt.ts): as the Administrator, one subtree search by sAMAccountName a request
  search) L=("$LDCLT" -H "ldap://127.0.0.1:$PORT" -n "$C" -t 30 -D CN=Administrator,CN=Users,DC=example,DC=com -w 'Adm1n-Passw0rd!' -b OU=Bench,DC=example,DC=com -s subtree -e esearch,random,sampinterval=2,attrlist=cn:sn:givenName:displayName:mail:description -r 1000 -R 9999 -f sAMAccountName=userXXXX) ;;
  *) echo "PERF_CASE: bind or search" >&2; exit 2 ;;
esac
"${L[@]}" -N 2 >/dev/null 2>&1 || true   # warm-up
# the server and its read processes (serve --worker-mode process)
ticks() { local t=0 p; for p in $PID $(cat /proc/$PID/task/*/children 2>/dev/null); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
T0=$(ticks); UP0=$(cut -d' ' -f1 /proc/uptime)
"${L[@]}" -N "$N" >"$DIR/ldclt.log" 2>&1 || true
T1=$(ticks); UP1=$(cut -d' ' -f1 /proc/uptime)
TOT=$(grep 'Global average rate' "$DIR/ldclt.log" | grep -o 'total: *[0-9]*' | grep -o '[0-9]*$')
echo "$OUT: $TOT ${PERF_CASE:-bind} ops, $(( (T1 - T0) * 10000 / TOT )) CPU µs/op (ticks of 10 ms), load $(cut -d' ' -f1 /proc/loadavg)"
kill -INT "$PID"; wait $PP || true
perf inject --jit -i "$DIR/raw.data" -o "$DIR/perf.data" 2>/dev/null
perf script -i "$DIR/perf.data" --time "$UP0,$UP1" -F ip,sym 2>/dev/null >"/tmp/$OUT.script"
rm -rf "$DIR"
echo "/tmp/$OUT.script"
