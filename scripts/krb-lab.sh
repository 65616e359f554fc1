#!/bin/bash
# A private Samba AD DC (Heimdal KDC + SMB server) in its own network namespace, for real
# Kerberos-authenticated SMB captures. Realm KRBLAB.TEST, DC dc1.krblab.test (127.0.0.1 inside
# the namespace), user alice / password 'Secr3t!pass', share `share`.
# Adapted from the lab's kerberos.sh (../shared/lab/kerberos.sh) so that the project stands alone.
# Changes: `server signing = mandatory` and `server multi channel support = yes` in the DC's
# smb.conf; the DC runs with DIR/dc/winbindd bind-mounted over /run/samba/winbindd in its own
# mount namespace, so that a standalone smbd elsewhere on the host never finds this DC's
# winbindd (clients find winbindd only at that compiled-in path; a standalone smbd that asks
# the DC's winbindd for SID-to-uid lookups refuses every logon); an /etc/netns/NS/hosts file so
# that dc1.krblab.test resolves inside the namespace (smbtorture has no -I); tcpdump with
# --immediate-mode, a drop check and no stale "listening" line from the last capture's log (the
# original could start the client before tcpdump listened); the `exec` and `capture-cmd`
# commands; KRBLAB_PASS.
# Needs root and Debian packages: samba samba-ad-dc krb5-user smbclient tcpdump (tshark to check;
# samba-testsuite for smbtorture).
#
# Usage:
#   krb-lab.sh start DIR        provision (first time only, ~30 s) and start the DC; writes
#                               DIR/krb5.conf, DIR/krb5-rc4.conf, DIR/client.conf and
#                               DIR/krb.keytab (all keys: DC1$, alice, Administrator, krbtgt, ...)
#   krb-lab.sh capture DIR OUT.pcap [smbclient options...]
#                               tcpdump inside the namespace, then kinit alice (AS exchange) and
#                               one smbclient run with Kerberos (TGS exchange + SMB)
#   krb-lab.sh capture-cmd DIR OUT.pcap CMD [ARGS...]
#                               the same with CMD (run inside the namespace, in DIR, with the
#                               lab's KRB5_CONFIG and KRB5CCNAME) instead of smbclient
#   krb-lab.sh exec DIR CMD [ARGS...]
#                               run CMD inside the namespace (in DIR, same environment)
#   krb-lab.sh stop DIR         stop the DC and delete the namespace (DIR is kept)
# OUT.pcap is relative to the current directory.
#
# Environment for capture / capture-cmd:
#   KRBLAB_FILTER  capture filter (default 'tcp port 445 or port 88'; 'tcp port 445' for SMB only)
#   KRBLAB_CMDS    smbclient -c commands (default: put, ls, get and rm of a small file)
#   KRBLAB_KINIT   1 (default): fresh kinit inside the capture; 0: reuse the ticket cache
#                  (no AS exchange; no KDC traffic at all if it already holds the cifs ticket)
#   KRBLAB_PASS    password given to kinit (default alice's, 'Secr3t!pass')
#   KRBLAB_ENCTYPE rc4: ask for RC4-HMAC session keys (tickets stay AES256: the KDC picks the
#                  ticket key from the service account); default: AES256 everywhere
# Example:
#   krb-lab.sh capture DIR smb311.pcap --option='client max protocol=SMB3_11' \
#     --option='client signing=required'
#   tshark -r smb311.pcap -o kerberos.decrypt:TRUE -o kerberos.file:DIR/krb.keytab -Y kerberos
set -eu
cmd=${1:?usage: krb-lab.sh start|capture|capture-cmd|exec|stop DIR ...}
dir=$(realpath -m "${2:?DIR missing}"); shift 2
realm=KRBLAB.TEST domain=KRBLAB host=dc1 fqdn=dc1.krblab.test
user=alice pass='Secr3t!pass' adminpass='Adm1n!pass2024'
ns=krblab-$(printf %s "$dir" | md5sum | cut -c1-8)
conf=$dir/dc/etc/smb.conf
inns() { ip netns exec "$ns" "$@"; }
if [ "${KRBLAB_ENCTYPE:-}" = rc4 ]; then
  export KRB5_CONFIG=$dir/krb5-rc4.conf KRB5CCNAME=FILE:$dir/alice-rc4.ccache
else
  export KRB5_CONFIG=$dir/krb5.conf KRB5CCNAME=FILE:$dir/alice.ccache
fi

# capture_run OUT.pcap CMD...: tcpdump inside the namespace around [kinit +] CMD
capture_run() {
  local out filter tpid rc=0 i
  out=$(realpath -m "$1"); shift
  filter=${KRBLAB_FILTER:-tcp port 445 or port 88}
  # remove the last capture's log first: the shell truncates it only once the background job
  # runs, and an old "listening" line must not be taken for this tcpdump's
  rm -f "$out" "$dir/tcpdump.log"
  # not through inns: $! must be tcpdump itself (ip netns exec execs it)
  ip netns exec "$ns" tcpdump -i lo -s 0 -B 65536 --immediate-mode -U -Z root -w "$out" \
    "$filter" >"$dir/tcpdump.log" 2>&1 &
  tpid=$!
  trap 'kill $tpid 2>/dev/null || true' EXIT
  for i in $(seq 240); do grep -qs listening "$dir/tcpdump.log" && break; sleep 0.25; done
  grep -qs listening "$dir/tcpdump.log" \
    || { echo "tcpdump did not start within 60 s: $(cat "$dir/tcpdump.log" 2>/dev/null)" >&2; exit 1; }
  sleep 0.3
  if [ "${KRBLAB_KINIT:-1}" = 1 ]; then
    kdestroy -q 2>/dev/null || true
    printf '%s\n' "${KRBLAB_PASS:-$pass}" | inns kinit $user@$realm >/dev/null || rc=$?
  fi
  (cd "$dir" && inns timeout 300 "$@") || rc=$?
  sleep 1
  kill -INT "$tpid"; wait "$tpid" 2>/dev/null || true
  trap - EXIT
  grep -E 'captured|dropped' "$dir/tcpdump.log" >&2 || true
  grep -q '^0 packets dropped by kernel' "$dir/tcpdump.log" \
    || { echo "tcpdump dropped packets (or gave no statistics)" >&2; exit 3; }
  return $rc
}

case $cmd in
start)
  mkdir -p "$dir"
  if [ ! -f "$dir/dc/private/sam.ldb" ]; then
    rm -rf "$dir/dc"
    samba-tool domain provision --use-rfc2307 --realm=$realm --domain=$domain \
      --server-role=dc --dns-backend=SAMBA_INTERNAL --adminpass="$adminpass" \
      --host-name=$host --host-ip=127.0.0.1 --targetdir="$dir/dc" \
      --option='interfaces=lo' --option='bind interfaces only=yes' >"$dir/provision.log" 2>&1 \
      || { tail -20 "$dir/provision.log"; exit 1; }
    # Replace the generated smb.conf: keep every path in DIR, no DNS server (and so no
    # forwarder taken from resolv.conf), no printing, no log in /var/log.
    mkdir -p "$dir"/dc/{run,log,cache,ncalrpc,share}
    chmod 777 "$dir/dc/share"
    cat >"$conf" <<CONF
[global]
	netbios name = DC1
	realm = $realm
	workgroup = $domain
	server role = active directory domain controller
	interfaces = lo
	bind interfaces only = yes
	server services = -dns -nbt -wrepl -ntp_signd -dnsupdate
	prefork children = 1
	idmap_ldb:use rfc2307 = yes
	private dir = $dir/dc/private
	binddns dir = $dir/dc/bind-dns
	state directory = $dir/dc/state
	cache directory = $dir/dc/cache
	lock directory = $dir/dc
	pid directory = $dir/dc/run
	ncalrpc dir = $dir/dc/ncalrpc
	log file = $dir/dc/log/log.%m
	logging = file
	log level = 1
	disable spoolss = yes
	load printers = no
	printcap name = /dev/null
	server signing = mandatory
	server multi channel support = yes
[sysvol]
	path = $dir/dc/state/sysvol
	read only = no
[netlogon]
	path = $dir/dc/state/sysvol/krblab.test/scripts
	read only = no
[share]
	path = $dir/dc/share
	read only = no
CONF
    samba-tool user create $user "$pass" -s "$conf" >/dev/null
    samba-tool user setexpiry $user --noexpiry -s "$conf" >/dev/null
  fi
  for rc4 in 0 1; do
    {
    printf '[libdefaults]\n\tdefault_realm = %s\n\tdns_lookup_realm = false\n' $realm
    printf '\tdns_lookup_kdc = false\n\trdns = false\n'
    # RC4 variant: MIT kinit reads default_tkt/tgs_enctypes, Samba's Heimdal reads default_etypes
    [ $rc4 = 1 ] && printf '\t%s = arcfour-hmac-md5\n' default_tkt_enctypes default_tgs_enctypes \
      default_etypes && printf '\tallow_weak_crypto = true\n'
    printf '[realms]\n\t%s = {\n\t\tkdc = 127.0.0.1\n\t\tadmin_server = 127.0.0.1\n\t}\n' $realm
    printf '[domain_realm]\n\t.krblab.test = %s\n\tkrblab.test = %s\n' $realm $realm
    } >"$dir/krb5$([ $rc4 = 1 ] && echo -rc4).conf"
  done
  cat >"$dir/client.conf" <<CONF
[global]
	workgroup = $domain
	realm = $realm
	client use kerberos = required
	log file = $dir/client.log
CONF
  echo hello from kerberos lab >"$dir/hello.txt"
  rm -f "$dir/krb.keytab"
  samba-tool domain exportkeytab "$dir/krb.keytab" -s "$conf" >/dev/null 2>&1
  # ip netns exec bind-mounts /etc/netns/NS/hosts over /etc/hosts inside the namespace
  mkdir -p "/etc/netns/$ns"
  printf '127.0.0.1 localhost\n127.0.0.1 %s %s\n' $fqdn $host >"/etc/netns/$ns/hosts"
  ip netns list | grep -qw "$ns" || ip netns add "$ns"
  inns ip link set lo up
  if [ -f "$dir/dc/run/samba.pid" ] && kill -0 "$(cat "$dir/dc/run/samba.pid")" 2>/dev/null; then
    echo "already running: samba pid $(cat "$dir/dc/run/samba.pid")"; exit 0
  fi
  mkdir -p "$dir/dc/winbindd" /run/samba/winbindd
  # ip netns exec gives the command a mount namespace of its own: the bind mount stays in it
  inns sh -c 'mount --bind "$1" /run/samba/winbindd && exec samba -s "$2"' sh \
    "$dir/dc/winbindd" "$conf"
  for i in $(seq 30); do
    inns bash -c '</dev/tcp/127.0.0.1/445 && </dev/tcp/127.0.0.1/88' 2>/dev/null && break
    sleep 1
  done
  echo "samba pid $(cat "$dir/dc/run/samba.pid"), netns $ns"
  ;;
capture)
  out=${1:?OUT.pcap missing}; shift
  cmds=${KRBLAB_CMDS:-put hello.txt; ls; get hello.txt /dev/null; rm hello.txt}
  capture_run "$out" smbclient "//$fqdn/share" -I 127.0.0.1 -s "$dir/client.conf" \
     --use-kerberos=required --use-krb5-ccache="$KRB5CCNAME" "$@" -c "$cmds"
  ;;
capture-cmd)
  out=${1:?OUT.pcap missing}; shift
  capture_run "$out" "${@:?CMD missing}"
  ;;
exec)
  cd "$dir"
  exec ip netns exec "$ns" "${@:?CMD missing}"
  ;;
stop)
  if [ -f "$dir/dc/run/samba.pid" ]; then
    pid=$(cat "$dir/dc/run/samba.pid")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns"
  rmdir /etc/netns 2>/dev/null || true
  ;;
*) echo "usage: krb-lab.sh start|capture|capture-cmd|exec|stop DIR ..." >&2; exit 2 ;;
esac
