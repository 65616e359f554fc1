#!/bin/bash
# (Copied from the lab's breakretry.sh for issue 23; the captures samples/smb2-mc-*-breakretry*.pcap were
# made with it, see samples/README.md.)
# Captures of Samba 4.17's multichannel oplock/lease break retry (smbtorture smb2.multichannel.*),
# all inside a private network namespace so that smbd, smbtorture, tcpdump and iptables never touch
# the host network (the iptables DROP rules the tests insert live in the namespace's own tables).
#
#   breakretry.sh start            create namespace $NS, start smbd on 127.0.0.3:445 inside it
#   breakretry.sh run TEST LABEL [extra smbtorture args...]
#                                      tcpdump (in the namespace, lo, tcp port 445) -> $OUT/LABEL.pcap,
#                                      smbtorture TEST under `timeout 300`; log in $OUT/LABEL.log,
#                                      rc + tcpdump stats in $OUT/LABEL.meta
#   breakretry.sh stop             stop smbd, delete the namespace (and with it every iptables rule)
#
# Server: scripts/samba-server.sh's (standalone, alice / Secr3t!pass, share `share`, kernel
# oplocks = no) plus server signing = mandatory, kernel share modes = no, posix locking = no,
# smb2 leases = yes, durable handles = yes, strict locking = no; _NO_WINBINDD=1 for smbd.
# Environment: BRLAB_NS (default brlab-br1), BRLAB_SRV (server dir, default ./brlab-srv),
# BRLAB_OUT (where captures go; default the current directory).
set -eu
NS=${BRLAB_NS:-brlab-br1}
SRV=$(realpath -m "${BRLAB_SRV:-brlab-srv}")
OUT=$(realpath -m "${BRLAB_OUT:-.}")
HOST=127.0.0.3
nsx() { ip netns exec "$NS" "$@"; }

cmd=${1:?start|run|stop}; shift
case $cmd in
start)
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  mkdir -p "$OUT"
  # The server of scripts/samba-server.sh (alice, share `share`), started inside the namespace,
  # with what the break-retry tests need on top.
  nsx env _NO_WINBINDD=1 "$(dirname "$0")/samba-server.sh" start "$SRV" "$HOST" \
    'server signing = mandatory' 'kernel share modes = no' 'posix locking = no' \
    'smb2 leases = yes' 'durable handles = yes' 'strict locking = no'
  echo "namespace $NS; smbd pid $(cat "$SRV/pid/smbd.pid")"
  ;;
run)
  test=${1:?test}; label=${2:?label}; shift 2
  pcap=$OUT/$label.pcap log=$OUT/$label.log meta=$OUT/$label.meta
  mkdir -p "$OUT"; rm -f "$pcap"
  nsx iptables -F; nsx iptables -X   # leftovers of an earlier test (namespace tables only)
  # started directly (not through the nsx function): `ip netns exec` execs tcpdump, so $! is tcpdump itself
  ip netns exec "$NS" tcpdump -n -s 0 -B 16384 -i lo -w "$pcap" 'tcp port 445' 2>"$OUT/$label.tcpdump.err" &
  tpid=$!
  # sampler: every 0.5 s the namespace's iptables counters (the DROP rules the test inserts) and the
  # port-445 sockets with their queues (ss -tni), gzip'ed to $OUT/LABEL.sample.gz
  ip netns exec "$NS" bash -c 'while :; do echo "=== $(date +%s.%N)"; iptables -S -v 2>&1 | grep -E "DROP|SAMBA"; ss -tni "( sport = :445 or dport = :445 )" | grep -v "^State"; sleep 0.5; done' > "$OUT/$label.sample" 2>&1 &
  spid=$!
  sleep 2
  set +e
  start=$(date +%s)
  nsx timeout 300 smbtorture "//$HOST/share" -U 'alice%Secr3t!pass' \
      --option='client signing=required' \
      --option=torture:use_iptables=yes --option=torture:iptables_command=/usr/sbin/iptables \
      "$@" "$test" >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  set -e
  sleep 2
  kill -TERM "$tpid"; wait "$tpid" || true
  kill -TERM "$spid"; wait "$spid" 2>/dev/null || true
  gzip -f "$OUT/$label.sample"
  {
    echo "test=$test"; echo "label=$label"; echo "args=$*"; echo "rc=$rc"; echo "seconds=$((end-start))"
    cat "$OUT/$label.tcpdump.err"
    echo "iptables after run:"; nsx iptables -S 2>&1
  } >"$meta"
  rm -f "$OUT/$label.tcpdump.err"
  echo "rc=$rc ($((end-start)) s)"; grep -E 'packets (captured|received|dropped)' "$meta"
  tail -3 "$log"
  ;;
stop)
  "$(dirname "$0")/samba-server.sh" stop "$SRV" || true
  ip netns del "$NS" 2>/dev/null || true
  ;;
*) echo "usage: $0 start|run TEST LABEL [args]|stop" >&2; exit 2;;
esac
