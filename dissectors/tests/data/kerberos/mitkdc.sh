#!/bin/bash
# Regenerate mitkdc.hex and mitkdc.keytab: AS and TGS exchanges with a throwaway MIT krb5 KDC
# (realm MITLAB.TEST on 127.0.0.1:28888/udp, nothing else touched), captured with tcpdump:
#   alice (password 'Secr3t!pass', aes256/aes128/rc4 keys, preauth required): kinit, kvno
#   bob (password 'Bob!pass2', rc4-hmac key only, client limited to rc4-hmac): kinit, kvno
# Then prints what tshark decrypts with the KDC's keytab (the known answers of the tests).
# Needs root and Debian packages krb5-kdc krb5-admin-server krb5-user tcpdump tshark.
# usage: mitkdc.sh WORKDIR   (WORKDIR is created and must not exist)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$1
mkdir "$work"
cd "$work"
work=$(pwd)

cat > kdc.conf <<EOF
[kdcdefaults]
    kdc_ports = 28888
    kdc_tcp_ports = 28888
[realms]
    MITLAB.TEST = {
        database_name = $work/principal
        key_stash_file = $work/stash
        acl_file = $work/kadm5.acl
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal rc4-hmac:normal
    }
[logging]
    kdc = FILE:$work/kdc.log
EOF
cat > krb5.conf <<EOF
[libdefaults]
    default_realm = MITLAB.TEST
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    allow_rc4 = true
    allow_weak_crypto = true
[realms]
    MITLAB.TEST = {
        kdc = 127.0.0.1:28888
    }
EOF
sed 's/allow_weak_crypto = true/allow_weak_crypto = true\n    default_tkt_enctypes = rc4-hmac\n    default_tgs_enctypes = rc4-hmac\n    permitted_enctypes = rc4-hmac/' \
  krb5.conf > krb5-rc4.conf
touch kadm5.acl
export KRB5_CONFIG=$work/krb5.conf KRB5_KDC_PROFILE=$work/kdc.conf

kdb5_util create -s -r MITLAB.TEST -P masterpw > /dev/null
kadmin.local -q 'addprinc +requires_preauth -pw Secr3t!pass alice' > /dev/null
kadmin.local -q 'addprinc +requires_preauth -e rc4-hmac:normal -pw Bob!pass2 bob' > /dev/null
kadmin.local -q 'addprinc -randkey cifs/srv.mitlab.test' > /dev/null
kadmin.local -q "ktadd -k $work/kdc.keytab -norandkey krbtgt/MITLAB.TEST alice bob cifs/srv.mitlab.test" > /dev/null

krb5kdc -n > kdc.out 2>&1 &
kdc=$!
tcpdump -i lo -U -w kdc.pcap 'udp port 28888' > tcpdump.out 2>&1 &
dump=$!
trap 'kill $kdc $dump 2>/dev/null || true' EXIT
sleep 2
KRB5CCNAME=FILE:$work/cc-alice sh -c "echo 'Secr3t!pass' | kinit alice > /dev/null && kvno cifs/srv.mitlab.test"
KRB5CCNAME=FILE:$work/cc-bob KRB5_CONFIG=$work/krb5-rc4.conf \
  sh -c "echo 'Bob!pass2' | kinit bob > /dev/null 2>&1 && kvno cifs/srv.mitlab.test 2>/dev/null"
sleep 1
kill $dump $kdc
wait $dump $kdc 2>/dev/null || true
trap - EXIT

tshark -r kdc.pcap -d udp.port==28888,kerberos -T fields -e frame.number -e _ws.col.Info -e udp.payload \
  2>/dev/null | python3 -c '
import sys
print("# MIT krb5 1.20 KDC and client, realm MITLAB.TEST (mitkdc.sh): one UDP payload per block")
for line in sys.stdin:
    frame, info, payload = line.rstrip("\n").split("\t")
    b = bytes.fromhex(payload)
    print(f"# frame {frame}: {info}")
    for i in range(0, len(b), 32):
        print(b[i:i + 32].hex())
' > "$here/mitkdc.hex"
cp kdc.keytab "$here/mitkdc.keytab"
chmod 644 "$here/mitkdc.keytab"
tshark -r kdc.pcap -d udp.port==28888,kerberos -o kerberos.decrypt:TRUE -o "kerberos.file:$work/kdc.keytab" -V \
  2>/dev/null | grep -E '^Frame |error-code|salt: |keyvalue|Decrypted keytype' | grep -v '^ *\['
