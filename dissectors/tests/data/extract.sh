#!/bin/bash
# Regenerate the *.hex fixtures listed in fixtures.list with tshark.
# Each fixture is the first NBSS payload (the SMB PDU, NBSS header stripped) of the
# named frame's TCP payload (or of tshark's reassembled TCP data ending in that frame), as hex, after one comment line naming capture and frame.
# usage: extract.sh SAMPLES_DIR ZEEK_DIR
#   SAMPLES_DIR: the samples/*.pcap as committed at b209027, e.g. made with
#     for f in $(git ls-tree --name-only b209027 samples/ | grep pcap); do
#       git show b209027:$f > /tmp/sc/$(basename $f); done
#   ZEEK_DIR: ../shared/captures/zeek
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
samples=$1 zeek=$2
grep -v '^#' "$here/fixtures.list" | while read -r name cap frame; do
  [ -n "$name" ] || continue
  case $cap in
    samples/*) file=$samples/${cap#samples/} ;;
    zeek/*) file=$zeek/${cap#zeek/} ;;
  esac
  # the reassembled TCP data when the PDU spans segments, else the segment's payload
  hex=$(tshark -r "$file" -Y "frame.number==$frame" -T fields -e tcp.reassembled.data -e tcp.payload 2>/dev/null \
        | head -1 | awk -F'\t' '{print ($1 != "" ? $1 : $2)}' | cut -d, -f1)
  python3 - "$hex" "$here/$name.hex" "$cap" "$frame" <<'PY'
import sys
h, out, cap, frame = sys.argv[1:]
b = bytes.fromhex(h)
n = int.from_bytes(b[1:4], 'big')
pdu = b[4:4 + n]
if len(pdu) != n:
    sys.exit(f"{cap} frame {frame}: NBSS frame not complete")
with open(out, 'w') as f:
    f.write(f"# {cap} frame {frame}\n")
    for i in range(0, len(pdu), 32):
        f.write(pdu[i:i + 32].hex() + "\n")
PY
done
