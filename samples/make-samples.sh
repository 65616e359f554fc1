#!/bin/bash
# Regenerate the real SMB sample captures in samples/ with a private Samba server on
# 127.0.0.1:445 (Debian packages: samba smbclient samba-testsuite tcpdump tshark).
#
# Usage: sudo bash samples/make-samples.sh [NAME...]
#   With no NAME, every sample is regenerated; otherwise only the named ones (without .pcap).
#
# Needs root (smbd on port 445, tcpdump on lo). Port 445 on 127.0.0.1 must be free.
# User alice, password 'Secr3t!pass', share 'share', workgroup LAB.
# Every capture is of traffic between a real Samba 4.17 server and a real Samba client
# (smbclient or smbtorture); nothing here writes packet bytes itself.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
PASS='Secr3t!pass'
WRONG='Wr0ng!pass'
WORK=$(mktemp -d /tmp/smbcheck-samples.XXXXXX)
chmod 755 "$WORK"   # the share below it is used as alice
SRV=$WORK/srv
SMBD_RUNNING=
TCPDUMP_PID=
ONLY=("$@")

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
  set +e
  if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; fi
  stop_smbd
  rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "run as root (smbd binds port 445, tcpdump captures lo)"
for t in smbd smbpasswd smbclient smbtorture tcpdump tshark; do
  command -v "$t" >/dev/null || die "missing $t (apt-get install samba smbclient samba-testsuite tcpdump tshark)"
done

# ---------------------------------------------------------------- server
# The server itself is scripts/samba-server.sh (smb.conf, user alice, smbd on 127.0.0.1:445).
SRV_ADDR=127.0.0.1
start_smbd() {   # start_smbd [extra smb.conf lines...]; listens on $SRV_ADDR
  stop_smbd
  log "starting smbd on $SRV_ADDR with extra options: ${*:-(none)}"
  "$HERE/../scripts/samba-server.sh" start "$SRV" "$SRV_ADDR" "$@" || die "smbd did not start"
  SMBD_RUNNING=1
}

stop_smbd() {
  [ -n "$SMBD_RUNNING" ] || return 0
  "$HERE/../scripts/samba-server.sh" stop "$SRV" || die "smbd did not stop"
  SMBD_RUNNING=
  # let child smbd processes of closed connections exit before the next capture
  sleep 0.5
}

# ---------------------------------------------------------------- capture
wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local n
  for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}

# capture NAME EXPECT CMD...: run CMD while tcpdump writes $OUT/NAME.pcap, capturing on
# $CAP_IFACE (lo unless set) with the extra tcpdump options in CAP_ARGS.
CAP_IFACE=lo
CAP_ARGS=()
# EXPECT is "ok" (CMD must succeed) or "fail" (CMD must fail, e.g. wrong password) or
# "any" (record whatever happens; the exit status is printed).
capture() {
  local name=$1 expect=$2; shift 2
  wanted "$name" || return 0
  local pcap=$OUT/$name.pcap errf=$WORK/tcpdump-$name.err
  log "$name: $*"
  rm -f "$pcap"
  tcpdump -i "$CAP_IFACE" ${CAP_ARGS[@]+"${CAP_ARGS[@]}"} --immediate-mode -s 0 -B 65536 -U \
    -w "$pcap" 'tcp port 445' 2>"$errf" &
  TCPDUMP_PID=$!
  local i
  for i in $(seq 100); do
    grep -q 'listening on' "$errf" && break
    kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump exited: $(cat "$errf")"
    sleep 0.05
  done
  grep -q 'listening on' "$errf" || die "tcpdump did not start: $(cat "$errf")"
  sleep 0.3
  local rc=0
  ( cd "$WORK/client" && "$@" ) > "$WORK/$name.out" 2>&1 || rc=$?
  sed 's/^/    | /' "$WORK/$name.out" | tail -n 25 >&2
  # let FIN/ACKs and late server packets arrive, then stop tcpdump and wait for the flush
  sleep 1
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  cat "$errf" | grep -v '^tcpdump: listening' | sed 's/^/    tcpdump: /' >&2 || true
  if grep -q '^0 packets dropped by kernel' "$errf"; then :; else
    die "$name: tcpdump reports dropped packets (or no statistics): $(cat "$errf")"
  fi
  echo "    exit status $rc, $(stat -c %s "$pcap") bytes, $(tshark -r "$pcap" 2>/dev/null | wc -l) frames" >&2
  case $expect in
    ok)   [ "$rc" = 0 ] || die "$name: client failed (exit $rc)";;
    fail) [ "$rc" != 0 ] || die "$name: client unexpectedly succeeded";;
    any)  echo "$name exit=$rc" >> "$OUT/.torture-results.tmp";;
  esac
  [ "$(tshark -r "$pcap" 2>/dev/null | wc -l)" -gt 0 ] || die "$name: empty capture"
  chown --reference="$OUT" "$pcap"   # tcpdump writes as user tcpdump
}

# ---------------------------------------------------------------- clients
mkdir -p "$WORK/client"
# small local files for put
printf 'hello from smbcheck sample\n' > "$WORK/client/hello.txt"
head -c 3000 /dev/zero | tr '\0' 'x' > "$WORK/client/small.bin"

# SIGN=required by default; SIGN=desired for the raw NTLMv1 case below
SIGN=required
SMBC=(smbclient //127.0.0.1/share -U "alice%$PASS")
CMDS='ls; put hello.txt hello.txt; put small.bin small.bin; ls; get hello.txt got.txt; del small.bin'

smb1() { "${SMBC[@]}" --option="client signing=$SIGN" --option='client min protocol=NT1' --option='client max protocol=NT1' "$@"; }
smb2() { local d=$1; shift; "${SMBC[@]}" --option="client signing=$SIGN" --option="client min protocol=$d" --option="client max protocol=$d" "$@"; }

rm -f "$OUT/.torture-results.tmp"

# ---- smbclient scenarios, server signing mandatory
start_smbd 'server signing = mandatory'

capture smb1-ntlmv2 ok smb1 -c "$CMDS"
capture smb1-ntlmv1 ok smb1 --option='client ntlmv2 auth=no' -c "$CMDS"
# plain NTLMv1 in NTLMSSP: no extended session security (NTLM2) and no key exchange
capture smb1-ntlmv1-noess ok smb1 --option='client ntlmv2 auth=no' \
  --option='ntlmssp_client:ntlm2=no' --option='ntlmssp_client:keyexchange=no' -c "$CMDS"
# NTLMv1 (with extended session security) over SMB 3.0
capture smb300-ntlmv1 ok smb2 SMB3_00 --option='client ntlmv2 auth=no' -c "$CMDS"
# Raw NTLM (no SPNEGO). With 'client signing=required' the Samba 4.17 client rejects the
# server's signature on the session setup response ("smb1_signing_good: BAD SIG: seq 1",
# NT_STATUS_ACCESS_DENIED), so the working sample uses 'client signing=desired': the session
# setup messages then carry the placeholder "BSRSPYL " and everything after a zero signature,
# although the server has 'server signing = mandatory'. The failing variant is kept too.
SIGN=desired
capture smb1-raw-ntlmv1 ok smb1 --option='client use spnego=no' --option='client ntlmv2 auth=no' -c "$CMDS"
SIGN=required
capture smb1-raw-ntlmv1-required fail smb1 --option='client use spnego=no' --option='client ntlmv2 auth=no' -c "$CMDS"
# Raw NTLMv2 (no SPNEGO): the server answers the session setup with STATUS_INVALID_PARAMETER.
capture smb1-raw-ntlmv2 fail smb1 --option='client use spnego=no' -c "$CMDS"

capture smb202 ok smb2 SMB2_02 -c "$CMDS"
capture smb210 ok smb2 SMB2_10 -c "$CMDS"
capture smb300 ok smb2 SMB3_00 -c "$CMDS"
capture smb302 ok smb2 SMB3_02 -c "$CMDS"
capture smb311 ok smb2 SMB3_11 -c "$CMDS"
capture smb311-cmac ok smb2 SMB3_11 --option='client smb3 signing algorithms=AES-128-CMAC' -c "$CMDS"
capture smb311-hmac ok smb2 SMB3_11 --option='client smb3 signing algorithms=HMAC-SHA256' -c "$CMDS"

capture smb302-encrypted ok smb2 SMB3_02 --option='client smb encrypt=required' -c "$CMDS"
for c in AES-128-CCM AES-128-GCM AES-256-CCM AES-256-GCM; do
  lc=$(echo "$c" | tr 'A-Z' 'a-z' | tr -d '-')   # aes128ccm ...
  capture "smb311-enc-$lc" ok smb2 SMB3_11 --option='client smb encrypt=required' \
    --option="client smb3 encryption algorithms=$c" -c "$CMDS"
done

capture wrong-password fail smbclient //127.0.0.1/share -U "alice%$WRONG" \
  --option='client signing=required' --option='client max protocol=SMB3_11' -c 'ls'
capture smb1-wrong-password fail smbclient //127.0.0.1/share -U "alice%$WRONG" \
  --option='client signing=required' --option='client min protocol=NT1' \
  --option='client max protocol=NT1' -c 'ls'

# ---- smbtorture scenarios (oplock/lease breaks, multichannel), server signing mandatory
TORT=(smbtorture //127.0.0.1/share -U "alice%$PASS" --option='client signing=required'
      --option='torture:target=samba3')
capture smb2-oplock-batch1 ok "${TORT[@]}" smb2.oplock.batch1
capture smb2-lease-break ok "${TORT[@]}" smb2.lease.break
capture smb2-session-bind1 ok "${TORT[@]}" smb2.session.bind1
capture smb2-mc-oplocks-test1 ok "${TORT[@]}" smb2.multichannel.oplocks.test1
capture smb2-mc-leases-test1 ok "${TORT[@]}" smb2.multichannel.leases.test1
capture smb2-mc-num-channels ok "${TORT[@]}" smb2.multichannel.generic.num_channels
# session binding over SMB 3.0 (AES-CMAC signing, which tshark can check too)
capture smb2-session-bind1-smb300 ok "${TORT[@]}" --option='client max protocol=SMB3_00' smb2.session.bind1
# compound requests (smbclient 4.17 sends none in the runs above)
capture smb2-compound-related1 ok "${TORT[@]}" smb2.compound.related1
capture smb2-compound-unrelated1 ok "${TORT[@]}" smb2.compound.unrelated1
capture smb2-compound-async-flush-close ok "${TORT[@]}" smb2.compound_async.flush_close
# an interim STATUS_PENDING response (blocking lock, then cancel/unlock)
capture smb2-lock-async ok "${TORT[@]}" smb2.lock.async
capture smb2-compound-break ok "${TORT[@]}" smb2.compound.compound-break
capture smb1-oplock-batch1 ok "${TORT[@]}" --option='client min protocol=NT1' \
  --option='client max protocol=NT1' raw.oplock.batch1

# ---- the security posture (issue 22): a server that does not require signing
# ('server signing = auto'), maps unknown users to guest and has a guest share and a share
# that asks for encryption ('smb encrypt = desired': SMB2_SHAREFLAG_ENCRYPT_DATA on a 3.x
# connection with a cipher, clear requests still accepted, source3/smbd/smb2_tcon.c).
# smbclient with its default signing (desired, not required).
if wanted smb311-guest || wanted smb311-anonymous || wanted smb311-share-encrypt-desired; then
  mkdir -p "$SRV/pub" "$SRV/sealed"
  chmod 777 "$SRV/pub" "$SRV/sealed"
  start_smbd 'server signing = auto' 'map to guest = bad user' \
    '[pub]' "path = $SRV/pub" 'guest ok = yes' \
    '[sealed]' "path = $SRV/sealed" 'read only = no' 'smb encrypt = desired'
  # an unknown user mapped to guest (SMB2_SESSION_FLAG_IS_GUEST), listing the guest share
  capture smb311-guest ok smbclient //127.0.0.1/pub -U 'nobody%x' -c 'ls'
  # anonymous NTLM (empty user and responses, NTLMSSP_NEGOTIATE_ANONYMOUS) listing shares
  capture smb311-anonymous ok smbclient -U% -L //127.0.0.1
  # alice on the share that asks for encryption: the client encrypts everything after the
  # TREE_CONNECT response, even with 'client smb encrypt = off'
  capture smb311-share-encrypt-desired ok smbclient //127.0.0.1/sealed -U "alice%$PASS" \
    --option='client smb encrypt=off' -c 'ls'
fi

# ---- other link layers and IPv6, the smbclient commands above, server signing mandatory.
# On lo, tcpdump writes Ethernet headers; `-i any` writes Linux cooked v2 headers
# (LINUX_SLL2), `-i any -y LINUX_SLL` the first version. (This machine's kernel has no
# 802.1Q support, so there is no VLAN sample.)
CAP_IFACE=any CAP_ARGS=(-y LINUX_SLL)
capture smb210-sll ok smb2 SMB2_10 -c "$CMDS"
if wanted smb311-ipv6 || wanted smb300-ipv6-sll2; then
  SRV_ADDR=::1
  start_smbd 'server signing = mandatory'
  SMBC=(smbclient //::1/share -U "alice%$PASS")
  CAP_IFACE=lo CAP_ARGS=()
  capture smb311-ipv6 ok smb2 SMB3_11 -c "$CMDS"
  CAP_IFACE=any
  capture smb300-ipv6-sll2 ok smb2 SMB3_00 -c "$CMDS"
fi

stop_smbd

if [ -f "$OUT/.torture-results.tmp" ]; then
  log "smbtorture exit statuses"
  cat "$OUT/.torture-results.tmp" >&2
  rm -f "$OUT/.torture-results.tmp"
fi
log "done; samples in $OUT"
ls -l "$OUT"/*.pcap >&2
