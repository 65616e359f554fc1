#!/bin/sh
# Regenerates the damaged captures of tests/data/bad/ from real samples (see README.md).
# Needs editcap (Wireshark) and python3. Usage: tests/data/bad/make-bad.sh [SAMPLES_DIR]
# The committed files were made from the samples whose md5sums README.md lists.
set -eu
S=${1:-$(dirname "$0")/../../../samples}
cd "$(dirname "$0")"

# patch FILE OUT PYTHON-EXPR: runs the expression with b = bytearray of FILE, writes b to OUT.
# rec(n) is the byte offset of classic-pcap record n (1-based);
# pl(n) the offset of the TCP payload of frame n (Ethernet, IPv4).
patch() {
  python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
src, dst, expr = sys.argv[1:]
b = bytearray(open(src, "rb").read())
def rec(n):
    off = 24
    for _ in range(n - 1):
        off += 16 + struct.unpack_from("<I", b, off + 8)[0]
    return off
def pl(n):
    ip = rec(n) + 16 + 14
    tcp = ip + (b[ip] & 15) * 4
    return tcp + (b[tcp + 12] >> 4) * 4
def epb(n):  # offset of the n-th enhanced packet block of a pcapng file
    off, k = 0, 0
    while True:
        t, l = struct.unpack_from("<II", b, off)
        if t == 6:
            k += 1
            if k == n:
                return off
        off += l
exec(expr)
open(dst, "wb").write(b)
PY
}

: > empty.pcap
echo "this is not a capture, just text" > not-a-capture.pcap
head -c 5000 "$S/smb311.pcap" > truncated-mid-record.pcap
editcap -F pcap -s 64 "$S/smb311.pcap" snap64-smb311.pcap
editcap -F pcap -s 96 "$S/smb311.pcap" snap96-smb311.pcap
editcap -F pcap -s 96 "$S/smb300-ipv6-sll2.pcap" snap96-smb300-ipv6-sll2.pcap
editcap -r "$S/smb300-ipv6-sll2.pcap" nosyn.pcap 3-88
editcap -F pcap -s 96 nosyn.pcap snap96-nosyn-smb300-ipv6-sll2.pcap
rm nosyn.pcap
editcap -F pcap -s 150 "$S/smb2-compound-break.pcap" snap150-smb2-compound-break.pcap
editcap -F pcap -s 200 "$S/smb311.pcap" snap200-smb311.pcap
editcap -F pcap -s 200 "$S/smb1-ntlmv2.pcap" snap200-smb1-ntlmv2.pcap
editcap -F pcap -r "$S/smb311.pcap" /tmp/smb311-40.pcap 1-40
editcap -F pcap -r "$S/smb210.pcap" /tmp/smb210-40.pcap 1-40
patch /tmp/smb311-40.pcap huge-record-length.pcap 'struct.pack_into("<I", b, rec(20) + 8, 0x7ffffff0)'
patch /tmp/smb311-40.pcap huge-first-record-length.pcap 'struct.pack_into("<I", b, rec(1) + 8, 0x7ffffff0)'
patch /tmp/smb311-40.pcap unknown-linktype.pcap 'struct.pack_into("<I", b, 20, 0xbeef)'
editcap -F pcapng /tmp/smb311-40.pcap /tmp/smb311-40.pcapng
patch /tmp/smb311-40.pcapng huge-block-length.pcapng 'struct.pack_into("<I", b, epb(20) + 4, 0x7ffffff0)'
editcap -F pcap "$S/smb311.pcap" lossy-smb311.pcap 22 23 36
patch /tmp/smb210-40.pcap nbss-huge-length-smb210.pcap 'struct.pack_into(">I", b, pl(12), 0x00ffffff)'
patch /tmp/smb210-40.pcap bad-nextcommand-smb210.pcap 'struct.pack_into("<I", b, pl(4) + 4 + 20, 0xfffffff8)'
patch /tmp/smb210-40.pcap ntlm-absurd-offset-smb210.pcap \
  'i = b.find(b"NTLMSSP\x00\x03\x00\x00\x00"); struct.pack_into("<HHI", b, i + 20, 0xffff, 0xffff, 0xfffffff0)'
rm -f /tmp/smb311-40.pcap /tmp/smb311-40.pcapng /tmp/smb210-40.pcap
# Lost packets all through a capture (every 7th/11th frame from the 9th/15th on) and bit flips
# in TCP payloads (byte 40 of the payload of every 9th frame from the 12th, bit 2).
editcap -F pcap "$S/smb1-ntlmv2.pcap" lossy-smb1-ntlmv2.pcap $(seq 9 7 200)
editcap -F pcap "$S/smb2-mc-num-channels.pcap" lossy-mc-num-channels.pcap $(seq 15 11 507)
patch "$S/smb311.pcap" bitflip-smb311.pcap '
for n in range(12, 86, 9):
    ip = rec(n) + 16 + 14
    total = struct.unpack_from(">H", b, ip + 2)[0]
    tcp = ip + (b[ip] & 15) * 4
    if total - (tcp - ip) - (b[tcp + 12] >> 4) * 4 > 40:
        b[pl(n) + 40] ^= 0x04'
