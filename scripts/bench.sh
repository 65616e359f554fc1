#!/bin/bash
# Benchmark: smbcheck against tshark and against the speed of the MAC itself, on large real
# captures that this script makes with a private Samba (Debian packages: samba smbclient
# tcpdump tshark ethtool). Needs root (smbd on port 445, tcpdump, a network namespace).
#
#   scripts/bench.sh [--smoke] [--work DIR] [--addr ADDR] [--runs N] [--no-big] [--no-mtu1500]
#                    [--mtu1500] [--no-rt] [--page-cache read|4k]
#
# Captures (cached in the work dir, default target/bench; delete them to make new ones): a
# 100 MiB file written and read back with smbclient, signing required, in SMB 3.1.1
# (AES-GMAC), SMB 3.0 (AES-CMAC) and SMB 2.1 (HMAC-SHA256), about 200 MB each, and a
# 1000 MiB one in SMB 3.1.1 (about 2 GB) to show that memory stays flat. These go over lo
# (MTU 65536), so they hold TCP segments of up to 64 KiB: a few thousand packets per 200 MB.
# The three 100 MiB transfers are made again with Ethernet-sized frames, as a switch's SPAN
# port or a tap sees them (rows *-mtu1500, 140 000+ packets each): Samba runs in a network
# namespace of its own behind a veth pair with MTU 1500 and no segmentation or receive
# offloads (so no frame is larger than 1514 bytes; the script checks), smbclient and tcpdump
# on the other end. --no-mtu1500 skips them. --smoke uses 4 MiB files and skips the big one
# and the MTU-1500 ones unless --mtu1500 follows it (CI runs it to prove that the script
# still works).
#
# Per capture it prints smbcheck's wall time (best of --runs, timed by hyperfine) and MB/s,
# its CPU time (user + system, all threads; mean of those runs) and peak RSS, tshark's wall and CPU time verifying the
# same file, their ratios, and the crypto bound: the time the same MAC
# takes over the same number of bytes in as many messages on all cores (cargo bench --bench
# mac_bound), with smbcheck's ratio to it. The table is also written to WORK/results.md.
#
# Before a capture is timed, its pages are dropped from the page cache and read back, so
# every run starts from the same state: --page-cache read (the default) reads the file in
# large reads, as any program reading it from disk does (the kernel's readahead then caches
# it in large folios); --page-cache 4k reads it 4 KiB at a time with readahead off, which
# leaves the 4 KiB pages a file has when it was just written in small writes (tcpdump's
# writes are mostly 4 KiB). The mapped reader pays the kernel's page-table work per page:
# about 15 ms more CPU per 200 MB with 4 KiB pages on the machine of README's table.
#
# Every timed command (smbcheck, tshark, the MAC benchmark) runs with a real-time scheduling
# priority (chrt -f 10) so that other work on the machine (builds) does not take its cores
# for the fraction of a second it runs; --no-rt turns that off.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
PASS='Secr3t!pass'
WORK=$HERE/target/bench
ADDR=127.0.0.9
RUNS=3
SMOKE=0
BIG=1
MTU1500=1
# The MTU-1500 link: Samba in namespace $NETNS at $VETH_SRV on veth $VETH-s, the client and
# tcpdump in this namespace at $VETH_CLI on veth $VETH-c.
NETNS=smbcheck-bench
VETH=smbbench
VETH_CLI=10.209.9.1
VETH_SRV=10.209.9.2
RT=(chrt -f 10)
PAGE_CACHE=read
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1; BIG=0; MTU1500=0 ;;
    --work) WORK=$2; shift ;;
    --addr) ADDR=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --no-big) BIG=0 ;;
    --no-mtu1500) MTU1500=0 ;;
    --mtu1500) MTU1500=1 ;;
    --no-rt) RT=() ;;
    --page-cache) PAGE_CACHE=$2; shift
      case $PAGE_CACHE in read|4k) ;; *) echo "--page-cache read or 4k" >&2; exit 2 ;; esac ;;
    *) echo "usage: $0 [--smoke] [--work DIR] [--addr ADDR] [--runs N] [--no-big] [--no-mtu1500] [--mtu1500] [--no-rt] [--page-cache read|4k]" >&2
       exit 2 ;;
  esac
  shift
done

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "run as root (smbd binds port 445, tcpdump captures lo)"
for t in smbd smbclient tcpdump tshark capinfos /usr/bin/time jq chrt python3 hyperfine; do
  command -v "$t" >/dev/null || die "missing $t (apt-get install samba smbclient tcpdump tshark time jq python3 hyperfine)"
done
if [ "$MTU1500" = 1 ]; then
  command -v ethtool >/dev/null || die "missing ethtool (apt-get install ethtool), or --no-mtu1500"
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
TCPDUMP_PID=
NETNS_MADE=0
cleanup() {
  set +e
  if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID"; fi
  stop_servers
  [ "$NETNS_MADE" = 1 ] && ip netns del "$NETNS"
  rm -rf "$WORK"/*.src "$WORK"/*.back
}
# A Samba server per link, in WORK/srv-LINK.
stop_servers() {
  local link
  for link in lo veth; do
    "$HERE/scripts/samba-server.sh" stop "$WORK/srv-$link" 2>/dev/null
    rm -rf "${WORK:?}/srv-$link"
  done
}
trap cleanup EXIT

log "building smbcheck and the MAC benchmark (release)"
(cd "$HERE" && cargo build -q --release --bin smbcheck && cargo bench -q --bench mac_bound --no-run 2>/dev/null)
SMBCHECK=$HERE/target/release/smbcheck
printf '%s\n' "$PASS" > "$WORK/password"
chmod 600 "$WORK/password"

# make_veth: the namespace $NETNS and the veth pair to it, MTU 1500, with the offloads that
# would let the kernel hand tcpdump segments larger than a frame (TSO, GSO, GRO) turned off,
# and checksums computed in software as a NIC would.
make_veth() {
  [ "$NETNS_MADE" = 1 ] && return 0
  ip netns list | grep "^$NETNS\b" >/dev/null && die "network namespace $NETNS exists (another run?)"
  log "making namespace $NETNS, veth $VETH-c ($VETH_CLI) <-> $VETH-s ($VETH_SRV), MTU 1500"
  ip netns add "$NETNS" || die "cannot make network namespace $NETNS"
  NETNS_MADE=1
  ip link add "$VETH-c" mtu 1500 type veth peer name "$VETH-s" mtu 1500 netns "$NETNS" \
    || die "cannot make veth $VETH-c"
  ip addr add "$VETH_CLI/30" dev "$VETH-c"
  ip -n "$NETNS" addr add "$VETH_SRV/30" dev "$VETH-s"
  ethtool -K "$VETH-c" tso off gso off gro off tx off >/dev/null \
    && ip netns exec "$NETNS" ethtool -K "$VETH-s" tso off gso off gro off tx off >/dev/null \
    || die "ethtool cannot turn the offloads of $VETH-c/$VETH-s off"
  ip link set "$VETH-c" up
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" link set "$VETH-s" up
}

# make_capture NAME MAX_PROTOCOL MIB LINK: smbclient writes a MIB-sized file and reads it back,
# over lo (Samba on $ADDR) or over the veth pair (Samba in $NETNS).
make_capture() {
  local name=$1 proto=$2 mib=$3 link=$4 pcap=$WORK/$1.pcap
  [ -s "$pcap" ] && return 0
  local srv=$WORK/srv-$link addr=$ADDR iface=lo netns=()
  if [ "$link" = veth ]; then
    make_veth
    addr=$VETH_SRV iface=$VETH-c netns=(ip netns exec "$NETNS")
  fi
  if [ ! -f "$srv/smb.conf" ]; then
    log "starting Samba on $addr (server signing = mandatory)"
    "${netns[@]}" "$HERE/scripts/samba-server.sh" start "$srv" "$addr" 'server signing = mandatory'
  fi
  log "$name: $mib MiB put and get over $proto on $iface"
  head -c $((mib << 20)) /dev/urandom > "$WORK/$name.src"
  local err=$WORK/$name.tcpdump
  # --immediate-mode: without it the last partly filled buffer block is lost on SIGINT.
  tcpdump -i "$iface" --immediate-mode -s 0 -B 262144 -w "$pcap.tmp" "host $addr and tcp port 445" 2>"$err" &
  TCPDUMP_PID=$!
  local i
  for i in $(seq 100); do
    grep -q 'listening on' "$err" && break
    sleep 0.05
  done
  grep -q 'listening on' "$err" || die "tcpdump did not start: $(cat "$err")"
  smbclient "//$addr/share" -U "alice%$PASS" -m "$proto" --client-protection=sign \
    -c "put $WORK/$name.src big.bin; get big.bin $WORK/$name.back; del big.bin" >/dev/null \
    2>/dev/null || die "$name: smbclient failed"
  sleep 1
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  grep -q '^0 packets dropped by kernel' "$err" || die "$name: tcpdump dropped packets: $(cat "$err")"
  cmp -s "$WORK/$name.src" "$WORK/$name.back" || die "$name: the file read back differs"
  if [ "$link" = veth ]; then
    local biggest
    biggest=$(tcpdump -r "$pcap.tmp" -nn -e 2>/dev/null \
      | awk '{for (i = 1; i < NF; i++) if ($i == "length") { l = $(i + 1) + 0; if (l > m) m = l; break }}
             END {print m + 0}')
    [ "$biggest" -le 1514 ] || die "$name: a frame of $biggest bytes on the MTU-1500 link"
  fi
  rm -f "$WORK/$name.src" "$WORK/$name.back" "$err"
  mv "$pcap.tmp" "$pcap"
}

if [ "$SMOKE" = 1 ]; then MIB=4; else MIB=100; fi
# NAME MAX_PROTOCOL MIB SIGNING LINK
CAPTURES=("smb311-gmac-${MIB}M SMB3_11 $MIB AES-GMAC lo"
          "smb300-cmac-${MIB}M SMB3_00 $MIB AES-CMAC lo"
          "smb210-hmac-${MIB}M SMB2_10 $MIB HMAC-SHA256 lo")
[ "$BIG" = 1 ] && CAPTURES+=("smb311-gmac-1000M SMB3_11 1000 AES-GMAC lo")
[ "$MTU1500" = 1 ] && CAPTURES+=("smb311-gmac-${MIB}M-mtu1500 SMB3_11 $MIB AES-GMAC veth"
                                 "smb300-cmac-${MIB}M-mtu1500 SMB3_00 $MIB AES-CMAC veth"
                                 "smb210-hmac-${MIB}M-mtu1500 SMB2_10 $MIB HMAC-SHA256 veth")
for c in "${CAPTURES[@]}"; do
  read -r name proto mib _ link <<<"$c"
  make_capture "$name" "$proto" "$mib" "$link"
done
stop_servers

# settle_page_cache FILE: drops FILE's pages from the page cache and reads them back in the
# --page-cache way (see the top).
settle_page_cache() {
  python3 - "$PAGE_CACHE" "$1" <<'PY'
import os, sys
mode, path = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
if mode == "4k":
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
size = 4096 if mode == "4k" else 1 << 20
while os.read(fd, size):
    pass
PY
}

# timed_run OUT CMD...: CMD's wall time, the best of $RUNS runs after a warm-up run, timed
# by hyperfine (it times its own fork, exec and wait of CMD: the 2 ms this script and
# /usr/bin/time take to start a timed command are not counted), their mean CPU time (user +
# system, all threads), and the peak RSS of one more run under /usr/bin/time, whose stdout is
# left in OUT. "seconds peak_kib cpu_seconds" go to OUT.time. Nothing may appear on stderr
# (no progress bar when stderr is not a terminal).
timed_run() {
  local out=$1; shift
  "${RT[@]}" hyperfine -N -i --style none --warmup 1 --runs "$RUNS" --export-json "$out.runs" \
    "$(printf '%q ' "$@")" > /dev/null 2>&1 || die "hyperfine $* failed"
  "${RT[@]}" /usr/bin/time -f '%M' -o "$out.t" "$@" > "$out" 2> "$out.err" || [ $? = 1 ] \
    || die "$* failed: $(cat "$out.err")"
  [ -s "$out.err" ] && die "$* wrote to stderr: $(head -c 300 "$out.err")"
  jq -r --arg kib "$(tail -n 1 "$out.t")" '.results[0] | "\(.min) \($kib) \(.user + .system)"' \
    "$out.runs" > "$out.time"
  rm -f "$out.t" "$out.err" "$out.runs"
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
table=$WORK/results.md
{
  echo "| capture | size | packets | signing | smbcheck | MB/s | CPU | peak RSS | tshark | tshark / smbcheck | crypto bound | smbcheck / bound |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$table"
for c in "${CAPTURES[@]}"; do
  read -r name _ _ alg _ <<<"$c"
  pcap=$WORK/$name.pcap
  bytes=$(stat -c %s "$pcap")
  mb=$(awk "BEGIN{printf \"%.0f\", $bytes / 1e6}")
  packets=$(capinfos -M -c "$pcap" | awk '/^Number of packets/ {print $NF}')
  settle_page_cache "$pcap"
  log "$name ($mb MB): smbcheck, best of $RUNS (page cache: $PAGE_CACHE)"
  timed_run "$WORK/$name.json" "$SMBCHECK" --format json --password-file "$WORK/password" "$pcap"
  read -r secs kib cpu < "$WORK/$name.json.time"
  json=$WORK/$name.json
  # The capture must be whole and every signature valid, or the figures mean nothing.
  [ "$(jq -r '.sessions[0].signing' "$json")" = "$alg" ] || die "$name: not signed with $alg"
  [ "$(jq '.summary.invalid + .summary.unverified' "$json")" = 0 ] || die "$name: not all valid"
  [ "$(jq '[.problems[] | select(.kind == "lost-bytes")] | length' "$json")" = 0 ] \
    || die "$name: the capture lost bytes"
  # The verify pool changes nothing: the same messages and verdicts as the sequential engine.
  for threads in 0 2; do
    "$SMBCHECK" --verify-threads $threads --format jsonl --password-file "$WORK/password" "$pcap" \
      > "$WORK/$name.$threads.jsonl" || die "$name: smbcheck --verify-threads $threads failed"
  done
  cmp -s "$WORK/$name.0.jsonl" "$WORK/$name.2.jsonl" \
    || die "$name: the verify pool changes the JSONL report"
  rm -f "$WORK/$name".[02].jsonl
  macs=$(jq '.summary.valid' "$json")
  mac_bytes=$(jq '.summary.verified_bytes' "$json")
  bound=$(cd "$HERE" && "${RT[@]}" cargo bench -q --bench mac_bound -- "$alg" "$mac_bytes" "$macs" 2>/dev/null)
  if [ "$name" = smb311-gmac-1000M ]; then
    tshark_secs=-
    tshark_cpu=-
  else
    log "$name: tshark"
    t0=$EPOCHREALTIME
    "${RT[@]}" /usr/bin/time -f '%U %S' -o "$WORK/$name.tshark.time" tshark -r "$pcap" \
      -o "ntlmssp.nt_password:$PASS" -o smb2.verify_signatures:TRUE -Y smb2.bad_signature \
      > /dev/null 2>&1 || die "$name: tshark failed"
    tshark_secs=$(awk "BEGIN{print $EPOCHREALTIME - $t0}")
    tshark_cpu=$(awk '{print $1 + $2}' "$WORK/$name.tshark.time")
  fi
  awk -v name="$name" -v mb="$mb" -v packets="$packets" -v alg="$alg" -v s="$secs" -v kib="$kib" -v cpu="$cpu" \
    -v ts="$tshark_secs" -v tc="$tshark_cpu" -v b="$bound" 'BEGIN {
      cpu_ratio = (cpu > 0) ? sprintf(" (CPU %.1fx)", tc / cpu) : ""
      ratio = (ts == "-") ? "not run" : sprintf("%.1fx%s", ts / s, cpu_ratio)
      tshark = (ts == "-") ? "not run" : sprintf("%.2f s (CPU %.2f s)", ts, tc)
      printf "| %s | %d MB | %d | %s | %.3f s | %.0f | %.2f s | %.1f MiB | %s | %s | %.3f s | %.2fx |\n",
        name, mb, packets, alg, s, mb / s, cpu, kib / 1024, tshark, ratio, b, s / b
    }' >> "$table"
done

# The progress bar: shown when stderr is a terminal (script(1) gives it one), on the first
# capture, which is above the bar's 4 MiB threshold.
first=$WORK/$(read -r n _ <<<"${CAPTURES[0]}"; echo "$n").pcap
if command -v script >/dev/null; then
  script -qec "$SMBCHECK --password-file $WORK/password $first >/dev/null" /dev/null \
    > "$WORK/terminal.out"
  grep -aq 'MiB/' "$WORK/terminal.out" || die "no progress bar on a terminal"
  rm -f "$WORK/terminal.out"
fi

echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load average before: $LOAD"
cat "$table"
