#!/bin/sh
# Builds the seed corpora of every fuzz target in fuzz/corpus/ (not committed) from the
# real captures: samples/, tests/data/ and, when present, the Zeek traces of
# tests/data/zeek. Usage: fuzz/make-corpus.sh [EXTRA_CAPTURE...]
set -eu
cd "$(dirname "$0")"
root=..
zeek=${ZEEK_CAPTURES:-$root/tests/data/zeek}
captures="$root/samples/*.pcap $root/tests/data/*.pcap* $root/tests/data/bad/*.pcap* $root/tests/data/compressed/*.pcap"
[ -d "$zeek" ] && captures="$captures $zeek/*.pcap $zeek/*.pcapng $zeek/*.cap"
rm -rf corpus
# shellcheck disable=SC2086
cargo run --quiet --release --example seeds -- corpus $captures "$@"
# The capture files themselves (the small ones) seed the reader and the whole pipeline.
mkdir -p corpus/pcap corpus/pipeline
# shellcheck disable=SC2086
for f in $captures "$@"; do
  if [ "$(wc -c < "$f")" -le 65536 ]; then
    cp "$f" corpus/pcap/
    cp "$f" corpus/pipeline/
  fi
done
# The committed seeds too.
for d in seeds/*; do cp "$d"/* "corpus/$(basename "$d")/"; done
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done
