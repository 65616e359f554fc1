#!/bin/bash
# A private Samba server for tests and benchmarks (Debian packages: samba smbclient).
#
#   scripts/samba-server.sh start DIR ADDR [extra smb.conf lines...]
#   scripts/samba-server.sh stop DIR
#
# `start` writes DIR/smb.conf, adds the user alice (password 'Secr3t!pass', workgroup LAB)
# and starts smbd on ADDR:445 (a loopback address such as 127.0.0.7, so that several servers
# can run at once; an address an interface already has is used as it is), with a writable share
# named `share` at DIR/share. ADDR may be IPv6 (::1, or an address of a namespace's veth).
# The extra lines go to [global]; a line `[name]` starts a share of its own (give its
# `path`), whose section the lines after it fill. Needs root.
# `stop` stops the smbd started in DIR. Both exit non-zero with a one-line reason on failure.
set -euo pipefail

PASS='Secr3t!pass'
die() { echo "samba-server: $*" >&2; exit 1; }

# grep reads all its input (no -q): with pipefail, a writer cut off by an early exit would
# turn a match into a failure (SIGPIPE). ss wants an IPv6 address in brackets.
listening() {
  local addr=$1
  case $addr in *:*) addr="[$addr]" ;; esac
  ss -ltn "src $addr and sport = :445" | grep LISTEN >/dev/null
}

start() {
  local dir=$1 addr=$2; shift 2
  [ "$(id -u)" = 0 ] || die "needs root (smbd binds port 445)"
  command -v smbd >/dev/null || die "smbd missing (apt-get install samba)"
  listening "$addr" && die "something already listens on $addr:445"
  # Samba binds only addresses an interface has: give lo this one if no interface has it
  # (run under `ip netns exec NS` with an address of that namespace's veth, lo is left alone).
  local prefix=32
  case $addr in *:*) prefix=128 ;; esac
  ip -o addr show | grep " $addr/" >/dev/null || ip addr add "$addr/$prefix" dev lo \
    || die "cannot add $addr to lo"
  mkdir -p "$dir"/{private,lock,state,cache,pid,log,share,ncalrpc}
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir"; chmod 777 "$dir/share"
  {
    cat <<CONF
[global]
  workgroup = LAB
  netbios name = LABSRV
  server role = standalone server
  interfaces = $addr
  bind interfaces only = yes
  smb ports = 445
  private dir = $dir/private
  lock directory = $dir/lock
  state directory = $dir/state
  cache directory = $dir/cache
  pid directory = $dir/pid
  ncalrpc dir = $dir/ncalrpc
  log file = $dir/log/%m.log
  log level = 1
  passdb backend = tdbsam:$dir/private/passdb.tdb
  disable spoolss = yes
  load printers = no
  printcap name = /dev/null
  server min protocol = NT1
  ntlm auth = ntlmv1-permitted
  server multi channel support = yes
  kernel oplocks = no
CONF
    local l
    for l in "$@"; do echo "  $l"; done
    cat <<CONF
[share]
  path = $dir/share
  read only = no
  guest ok = no
CONF
  } >"$dir/smb.conf"
  id alice >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin alice
  printf '%s\n%s\n' "$PASS" "$PASS" | smbpasswd -c "$dir/smb.conf" -s -a alice >/dev/null \
    || die "smbpasswd failed"
  smbd -s "$dir/smb.conf" -D || die "smbd did not start (see $dir/log)"
  local i
  for i in $(seq 100); do
    listening "$addr" && return 0
    sleep 0.1
  done
  die "smbd is not listening on $addr:445 (see $dir/log)"
}

stop() {
  local dir=$1 pid i
  [ -f "$dir/pid/smbd.pid" ] || return 0
  dir=$(cd "$dir" && pwd)
  pid=$(cat "$dir/pid/smbd.pid")
  # smbd starts samba-dcerpcd on demand (named pipes such as srvsvc for a share list), which
  # outlives it: stop those of this server's smb.conf too, by their process ids.
  local helpers
  helpers=$(pgrep -f -- "samba-dcerpcd --configfile=$dir/smb.conf" || true)
  kill "$pid" $helpers 2>/dev/null || return 0
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "smbd $pid did not stop"
}

case "${1:-}" in
  start) [ $# -ge 3 ] || die "usage: $0 start DIR ADDR [smb.conf lines...]"; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR ADDR [smb.conf lines...] | stop DIR" ;;
esac
