#!/bin/bash
# How fast live capture keeps up: a private Samba (signing mandatory) on a loopback address,
# `smbcheck -i lo` (release build, feature "live") capturing while smbclient puts and gets
# one large file in each dialect; then SIGINT and the report's verdicts and drops.
#
#   scripts/live-rate.sh [MIB [ADDR [DIALECT...]]]     (defaults: 500 127.0.0.7 SMB3_11 SMB3_00)
#
# Prints per dialect the seconds smbclient took and the MB/s moved, then what smbcheck
# captured (packets, bytes, MB/s over the transfers), its drops, and the verdict counts.
# Needs root, samba, smbclient, libpcap-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

mib=${1:-500}
addr=${2:-127.0.0.7}
shift $(( $# < 2 ? $# : 2 ))
dialects=("$@")
[ ${#dialects[@]} -gt 0 ] || dialects=(SMB3_11 SMB3_00)
pass='Secr3t!pass'

cargo build --release --features live -q
work=$(mktemp -d /tmp/smbcheck-live-rate.XXXXXX)
smbcheck_pid=
cleanup() {
  [ -n "$smbcheck_pid" ] && kill -INT "$smbcheck_pid" 2>/dev/null || true
  scripts/samba-server.sh stop "$work/srv" || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work" # smbd writes the share as alice

scripts/samba-server.sh start "$work/srv" "$addr" 'server signing = mandatory' 2>"$work/samba.err" \
  || { cat "$work/samba.err"; exit 1; }
head -c "$((mib << 20))" /dev/urandom >"$work/payload"

SMBCHECK_PASSWORD=$pass target/release/smbcheck -i lo -f "host $addr and tcp port 445" \
  --format json >"$work/report.json" 2>"$work/stderr" &
smbcheck_pid=$!
for _ in $(seq 100); do grep -q 'capturing on' "$work/stderr" && break; sleep 0.1; done
grep -q 'capturing on' "$work/stderr" || { cat "$work/stderr"; exit 1; }

total=0
for d in "${dialects[@]}"; do
  start=$(date +%s.%N)
  smbclient "//$addr/share" -U "alice%$pass" -m "$d" --option='client signing=required' \
    -c "put $work/payload p.bin; get p.bin $work/back" >"$work/smbclient.out" 2>&1 \
    || { cat "$work/smbclient.out"; exit 1; }
  end=$(date +%s.%N)
  secs=$(echo "$end - $start" | bc -l)
  total=$(echo "$total + $secs" | bc -l)
  printf '%-8s put+get %d MiB each way: %.2f s, %.0f MB/s of file data\n' \
    "$d" "$mib" "$secs" "$(echo "2 * $mib * 1048576 / $secs / 1000000" | bc -l)"
  cmp -s "$work/payload" "$work/back" || { echo "$d: file came back different"; exit 1; }
done

# smbcheck's CPU time (utime + stime, in clock ticks), read until it exits.
ticks=0
kill -INT "$smbcheck_pid"
while t=$(awk '{print $14 + $15}' "/proc/$smbcheck_pid/stat" 2>/dev/null); do
  ticks=$t
  sleep 0.05
done
wait "$smbcheck_pid" && status=0 || status=$?
smbcheck_pid=
captured=$(grep 'packets captured' "$work/stderr")
bytes=$(sed -E 's/.*\(([0-9]+) bytes\).*/\1/' <<<"$captured")
echo "$captured"
cpu=$(echo "$ticks / $(getconf CLK_TCK)" | bc -l)
printf 'captured %.0f MB/s over %.2f s of transfers; smbcheck used %.2f s of CPU (%.0f MB per CPU second)\n' \
  "$(echo "$bytes / $total / 1000000" | bc -l)" "$total" "$cpu" "$(echo "$bytes / $cpu / 1000000" | bc -l)"
python3 - "$work/report.json" "$status" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print("exit status", sys.argv[2], " messages", s["messages"], " signed", s["signed"],
      " valid", s["valid"], " invalid", s["invalid"], " unverified", s["unverified"])
for sess in r["sessions"]:
    print("  session", sess["session_id"], sess["dialect"], sess["signing"], sess["verdicts"])
for p in r["problems"]:
    print("  problem", p["kind"], p["detail"])
EOF
