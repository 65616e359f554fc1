#!/bin/bash
# Regenerate the Kerberos sample captures in samples/ (krb-*.pcap) and samples/krb.keytab with
# a private Samba AD DC (Heimdal KDC + smbd) in its own network namespace, run by
# scripts/krb-lab.sh. Debian packages: samba samba-ad-dc krb5-user smbclient samba-testsuite
# tcpdump tshark.
#
# Usage: sudo bash samples/make-krb-samples.sh
#   OUT=/tmp/x sudo -E bash samples/make-krb-samples.sh   write somewhere else
#   KEEP_LAB=1 ...                                         keep the lab dir (full keytab) in /tmp
#   sudo KEYTAB=NAME.keytab bash samples/make-krb-samples.sh SAMPLE...
#                                                          only these samples (names without
#                                                          .pcap), their keys in NAME.keytab
#
# Needs root (ip netns, samba, tcpdump). The DC lives in a network namespace of its own, so
# nothing on the host's 127.0.0.1 (port 88, 389, 445) is touched.
# Always regenerates every Kerberos sample together with samples/krb.keytab: one provisioning
# makes one set of keys, and a capture can only be decrypted with the keys of its own lab.
# Realm KRBLAB.TEST, server dc1.krblab.test, user alice, password 'Secr3t!pass', share 'share'.
#
# Writes to OUT (default samples/):
#   krb-smb210.pcap              SMB 2.1 (HMAC-SHA256), ports 445 and 88 (AS + TGS exchanges)
#   krb-smb300.pcap              SMB 3.0 (AES-CMAC), 445 and 88
#   krb-smb311.pcap              SMB 3.1.1 (AES-GMAC), 445 and 88
#   krb-smb311-aes256gcm.pcap    SMB 3.1.1 encrypted with AES-256-GCM, 445 and 88
#   krb-smb311-rc4.pcap          SMB 3.1.1 signed with AES-CMAC, RC4-HMAC session keys and
#                                subkeys (the ticket stays AES256), 445 and 88
#   krb-smb311-445only.pcap      SMB 3.1.1, port 445 only (the keytab alone gives the keys)
#   krb-multichannel.pcap        smbtorture smb2.session.bind1 with Kerberos (SMB 3.1.1):
#                                two sessions, each bound to the other connection
#   krb-multichannel-smb300.pcap the same over SMB 3.0 (AES-CMAC, which tshark checks)
#   krb-kinit-wrong-password.pcap  kinit with 'Wr0ng!pass', port 88 only: KDC_ERR_PREAUTH_FAILED
#   krb-smb311-mechlistmic.pcap  SMB 3.1.1 with spnego:client_no_optimistic=yes: the AP-REQ
#                                goes in a second round, so both sides send a mechListMIC
#   krb.keytab                   the cifs/dc1.krblab.test, DC1$ and alice keys of this lab only
#                                (not krbtgt's, not Administrator's)
# Every smbclient/smbtorture run uses --option='client signing=required'; the DC has
# 'server signing = mandatory'. At the end it prints scripts/krb-keys.py's view of each capture
# (SessionIds, keys, tshark's signature counts) for samples/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$HERE}
OUT=$(cd "$OUT" && pwd)
LABSH=$ROOT/scripts/krb-lab.sh
PASS='Secr3t!pass'
WRONG='Wr0ng!pass'
WORK=$(mktemp -d /tmp/smbcheck-krb.XXXXXX)
chmod 755 "$WORK"   # the DC's share lies below it and is used as alice
LAB=$WORK/lab
LAB_STARTED=
ONLY=("$@")
KEYTAB=${KEYTAB:-krb.keytab}

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
  set +e
  [ -n "$LAB_STARTED" ] && bash "$LABSH" stop "$LAB"
  if [ "${KEEP_LAB:-0}" = 1 ]; then echo "lab kept in $LAB" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "run as root (ip netns, samba, tcpdump)"
# One provisioning makes one set of keys: a subset must not replace krb.keytab, which holds
# the keys of the other samples.
[ ${#ONLY[@]} -eq 0 ] || [ "$KEYTAB" != krb.keytab ] \
  || die "only some samples: give KEYTAB=another.keytab (krb.keytab holds the others' keys)"
wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local n
  for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}
for t in samba samba-tool smbclient smbtorture kinit ktutil klist tcpdump tshark ip python3; do
  command -v "$t" >/dev/null || die "missing $t (apt-get install samba samba-ad-dc krb5-user smbclient samba-testsuite tcpdump tshark)"
done

log "provisioning and starting the DC in $LAB"
LAB_STARTED=1
bash "$LABSH" start "$LAB" || die "the DC did not start"

# ---------------------------------------------------------------- keytab
# Only the keys the samples need: the service account (the ticket's key, once under the
# ticket's service name, once under the account name) and alice (AS-REP, PA-ENC-TIMESTAMP).
log "$KEYTAB: cifs/dc1.krblab.test, DC1\$, alice"
conf=$LAB/dc/etc/smb.conf
kt=$WORK/krb.keytab
rm -f "$kt"
ktcmds=
for p in cifs/dc1.krblab.test 'DC1$' alice; do
  f=$WORK/kt-$(echo "$p" | tr -c 'A-Za-z0-9\n' _).keytab
  samba-tool domain exportkeytab "$f" --principal="$p" -s "$conf" >/dev/null 2>&1 \
    || die "exportkeytab $p"
  ktcmds+="rkt $f"$'\n'
done
printf '%swkt %s\nquit\n' "$ktcmds" "$kt" | ktutil >/dev/null || die "ktutil"
if klist -k "$kt" | grep -q -i -E 'krbtgt|administrator'; then die "krbtgt/Administrator in $kt"; fi
install -m 644 "$kt" "$OUT/$KEYTAB"
chown --reference="$OUT" "$OUT/$KEYTAB"
klist -k -t -e "$OUT/$KEYTAB" >&2

# ---------------------------------------------------------------- captures
# check NAME MIN: tshark sees at least MIN successful final SESSION_SETUP responses
check_setups() {
  wanted "$1" || return 0
  local pcap=$OUT/$1.pcap n
  n=$(tshark -r "$pcap" -Y 'smb2.cmd == 1 && smb2.flags.response == 1 && smb2.nt_status == 0' \
      2>/dev/null | wc -l)
  [ "$n" -ge "$2" ] || die "$1: $n successful session setups in tshark's view, expected $2"
  # the capture must start at the beginning: a kinit AS-REQ or a TCP SYN
  [ "$(tshark -r "$pcap" -Y 'frame.number == 1 && (kerberos.msg_type == 10 || (tcp.flags.syn == 1 && tcp.flags.ack == 0))' \
       2>/dev/null | wc -l)" = 1 ] || die "$1: tcpdump missed the start"
  echo "    $1: $(tshark -r "$pcap" 2>/dev/null | wc -l) frames, $n successful session setups" >&2
}

# run NAME EXPECT [VAR=value...] -- krb-lab.sh command and arguments after DIR OUT
run() {
  wanted "$1" || return 0
  local name=$1 expect=$2 rc=0 pcap=$OUT/$1.pcap; shift 2
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local sub=$1; shift
  log "$name: ${envs[*]:-} $sub $*"
  env ${envs[@]+"${envs[@]}"} bash "$LABSH" "$sub" "$LAB" "$pcap" "$@" >"$WORK/$name.out" 2>&1 \
    || rc=$?
  sed 's/^/    | /' "$WORK/$name.out" | tail -n 12 >&2
  [ "$rc" != 3 ] || die "$name: tcpdump dropped packets"
  case $expect in
    ok)   [ "$rc" = 0 ] || die "$name: client failed (exit $rc)";;
    fail) [ "$rc" != 0 ] || die "$name: client unexpectedly succeeded";;
  esac
  [ -s "$pcap" ] || die "$name: no capture"
  chown --reference="$OUT" "$pcap"
}

SIGN=--option='client signing=required'

run krb-smb210 ok -- capture "$SIGN" --option='client min protocol=SMB2_10' \
  --option='client max protocol=SMB2_10'
check_setups krb-smb210 1
run krb-smb300 ok -- capture "$SIGN" --option='client min protocol=SMB3_00' \
  --option='client max protocol=SMB3_00'
check_setups krb-smb300 1
run krb-smb311 ok -- capture "$SIGN" --option='client min protocol=SMB3_11' \
  --option='client max protocol=SMB3_11'
check_setups krb-smb311 1
run krb-smb311-aes256gcm ok -- capture "$SIGN" --option='client min protocol=SMB3_11' \
  --option='client max protocol=SMB3_11' --option='client smb encrypt=required' \
  --option='client smb3 encryption algorithms=AES-256-GCM'
check_setups krb-smb311-aes256gcm 1
# RC4: signed with AES-128-CMAC (not the default GMAC) so that tshark can check the RC4 key too
run krb-smb311-rc4 ok KRBLAB_ENCTYPE=rc4 -- capture "$SIGN" \
  --option='client min protocol=SMB3_11' --option='client max protocol=SMB3_11' \
  --option='client smb3 signing algorithms=AES-128-CMAC'
check_setups krb-smb311-rc4 1
run krb-smb311-445only ok 'KRBLAB_FILTER=tcp port 445' -- capture "$SIGN" \
  --option='client min protocol=SMB3_11' --option='client max protocol=SMB3_11'
check_setups krb-smb311-445only 1
! wanted krb-smb311-445only \
  || [ "$(tshark -r "$OUT/krb-smb311-445only.pcap" -Y 'tcp.port == 88 || udp.port == 88' 2>/dev/null | wc -l)" = 0 ] \
  || die "krb-smb311-445only: port 88 traffic captured"
# No optimistic token (Samba's spnego:client_no_optimistic): the server asks for the AP-REQ
# in a second round, and with AES keys both sides then sign the mechTypes list
# (auth/gensec/spnego.c: a negTokenTarg exchange, GENSEC_FEATURE_NEW_SPNEGO).
run krb-smb311-mechlistmic ok -- capture "$SIGN" --option='client min protocol=SMB3_11' \
  --option='client max protocol=SMB3_11' --option='spnego:client_no_optimistic=yes'
check_setups krb-smb311-mechlistmic 1
! wanted krb-smb311-mechlistmic \
  || [ "$(tshark -r "$OUT/krb-smb311-mechlistmic.pcap" -Y 'spnego.mechListMIC' 2>/dev/null | wc -l)" = 2 ] \
  || die "krb-smb311-mechlistmic: not two mechListMICs"

# Multichannel: smbtorture does its own AS exchange (from -U) for each connection; no kinit.
TORT=(smbtorture //dc1.krblab.test/share -s "$LAB/client.conf" --use-kerberos=required
      -U "alice%$PASS" "$SIGN" --option='torture:target=samba3')
run krb-multichannel ok KRBLAB_KINIT=0 -- capture-cmd "${TORT[@]}" smb2.session.bind1
! wanted krb-multichannel || grep -q '^success: bind1' "$WORK/krb-multichannel.out" \
  || die "krb-multichannel: bind1 did not pass"
check_setups krb-multichannel 4
run krb-multichannel-smb300 ok KRBLAB_KINIT=0 -- capture-cmd "${TORT[@]}" \
  --option='client max protocol=SMB3_00' smb2.session.bind1
! wanted krb-multichannel-smb300 || grep -q '^success: bind1' "$WORK/krb-multichannel-smb300.out" \
  || die "krb-multichannel-smb300: bind1 did not pass"
check_setups krb-multichannel-smb300 4

# kinit with a wrong password: PREAUTH_REQUIRED, then PA-ENC-TIMESTAMP made from the wrong key
# and KDC_ERR_PREAUTH_FAILED (24). The command after kinit is `true`.
run krb-kinit-wrong-password fail "KRBLAB_PASS=$WRONG" 'KRBLAB_FILTER=port 88' -- capture-cmd true
! wanted krb-kinit-wrong-password \
  || [ "$(tshark -r "$OUT/krb-kinit-wrong-password.pcap" -Y 'kerberos.error_code == 24' 2>/dev/null | wc -l)" -ge 1 ] \
  || die "krb-kinit-wrong-password: no KDC_ERR_PREAUTH_FAILED"

bash "$LABSH" stop "$LAB"
LAB_STARTED=

made=()
for p in "$OUT"/krb-*.pcap; do wanted "$(basename "$p" .pcap)" && made+=("$p"); done
log "what tshark sees (scripts/krb-keys.py with $OUT/$KEYTAB)"
python3 "$ROOT/scripts/krb-keys.py" --keytab "$OUT/$KEYTAB" "${made[@]}"
log "done; samples in $OUT"
ls -l "${made[@]}" "$OUT/$KEYTAB" >&2
