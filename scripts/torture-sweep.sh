#!/bin/bash
# torture-sweep.sh: the project's ground truth for "no false invalid on healthy traffic".
# Runs smbtorture tests one at a time against a private Samba server with mandatory signing,
# captures each test, and checks every capture with smbcheck (and tshark as a peer).
# smbtorture with 'client signing=required' against 'server signing = mandatory': a test that
# passes means both ends accepted every signature in its capture, so smbcheck should call
# none of them invalid.
#
# Usage: sudo bash scripts/torture-sweep.sh [OPTIONS]
#   --out DIR        captures and per-run results (default /work/sweep)
#   --docs DIR       where torture-sweep.md and torture-sweep.tsv go (default docs/ of this repo)
#   --only REGEX     only tests whose name matches REGEX (grep -E, e.g. '^smb2\.session\.')
#   --configs LIST   only these configurations, comma-separated (2.0.2,2.1,3.0,3.0.2,
#                    3.1.1-gmac,3.1.1-cmac,3.1.1-hmac,NT1); an encrypted run counts under the
#                    configuration it was run with
#   --encrypted MODE both (default), yes (only runs with 'server smb encrypt = required'), no
#   --timeout SEC    per-test smbtorture timeout (default 60; the slowest passing test took 38 s)
#   --force          run tests again even if OUT already has their result (default: skip them,
#                    so an interrupted sweep resumes where it stopped)
#   --recheck        run no smbtorture: re-run smbcheck and tshark over the captures already in
#                    OUT (those selected by --only/--configs/--encrypted) and rewrite the table
#   --table          only rewrite the table from the results already in OUT
#   --list           print the plan (test, configuration, encrypted) and exit
#   SMBCHECK=PATH    environment: the smbcheck binary (default target/release/smbcheck)
#
# Needs: root (smbd on 127.0.0.5:445, tcpdump on lo), Debian packages samba, samba-testsuite
# (smbtorture), tcpdump, tshark; python3; scripts/samba-server.sh and scripts/tshark-counts.py
# of this repo; a built smbcheck. 127.0.0.5:445 must be free (the script adds 127.0.0.5 to lo
# if no interface has it). User alice, password 'Secr3t!pass', share 'share'.
#
# Plan: smbtorture --list gives the tests of the groups below. Every smb2.session test runs
# under every SMB2 configuration; the other SMB2 tests are spread round-robin over the SMB2
# configurations; a dozen SMB1 tests run with NT1. Every 10th test of the SMB2 list (plus
# smb2.session reauth1-6, reconnect1/2, bind1/2) runs once more against a server with
# 'server smb encrypt = required', round-robin over the SMB3 configurations. Some tests
# (bind_negative_*, signing-*, encryption-*) choose their own dialect or algorithms; the
# configuration recorded is the one passed to smbtorture.
# smbd is restarted (fresh share, fresh state) before every test: it is stopped with SIGTERM to
# its process group, which frees the port at once, and the next one starts in the other of two
# server directories while the old one's helpers finish exiting (about 1.3 s).
#
# Writes, per run: OUT/pcaps/CONFIG[+enc]/TEST.pcap (the capture, tcpdump on lo, filter
# 'host 127.0.0.5 and tcp port 445'), TEST.log (smbtorture's output), TEST.result (result, exit
# status, seconds, tcpdump drop count), TEST.smbcheck.json (smbcheck --format json),
# TEST.bad.jsonl (smbcheck's jsonl lines of invalid and unverified messages, if any),
# TEST.check.json (the figures of the table). Then DOCS/torture-sweep.md (summary and one row
# per run) and DOCS/torture-sweep.tsv (same columns, tab-separated).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PASS='Secr3t!pass'
ADDR=127.0.0.5
OUT=/work/sweep
DOCS=$ROOT/docs
ONLY=
CONFIGS=
ENCMODE=both
TMO=60
FORCE=0
MODE=run
SMBCHECK=${SMBCHECK:-$ROOT/target/release/smbcheck}
SMB2_CONFIGS=(2.0.2 2.1 3.0 3.0.2 3.1.1-gmac 3.1.1-cmac 3.1.1-hmac)
SMB3_CONFIGS=(3.0 3.0.2 3.1.1-gmac 3.1.1-cmac 3.1.1-hmac)
GROUPS_SMB2=(smb2.session smb2.durable-open smb2.durable-v2-open smb2.replay smb2.multichannel
  smb2.compound smb2.compound_async smb2.credits smb2.lease smb2.oplock smb2.notify smb2.lock
  smb2.ioctl smb2.getinfo smb2.setinfo)
SMB1_TESTS=(raw.oplock.batch1 raw.oplock.exclusive1 raw.lock.lock raw.lock.lockx raw.lock.async
  raw.notify.dir raw.read.readx raw.write.writex raw.open.ntcreatex raw.read.read raw.mkdir
  raw.session.reauth1 raw.context.session1 base.lock.LOCK1)
ENC_SESSION='^smb2\.session\.(reauth[1-6]|reconnect[12]|bind[12])$'
# smb.conf lines besides signing: durable handles need posix locking off; streams for the
# stream tests. Everything else is scripts/samba-server.sh's configuration.
SERVER_OPTS=('server signing = mandatory' 'posix locking = no' 'vfs objects = streams_xattr')

die() { printf 'torture-sweep: %s\n' "$*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$2; shift 2 ;;
    --docs) DOCS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --configs) CONFIGS=$2; shift 2 ;;
    --encrypted) ENCMODE=$2; shift 2 ;;
    --timeout) TMO=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    --recheck) MODE=recheck; shift ;;
    --table) MODE=table; shift ;;
    --list) MODE=list; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
case $ENCMODE in both|yes|no) ;; *) die "--encrypted wants both, yes or no" ;; esac

mkdir -p "$OUT/pcaps" "$DOCS"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/torture-sweep.XXXXXX)
chmod 755 "$WORK"
SRV_PID=
SRV_DIR=
TCPDUMP_PID=
ANALYZE_PID=

# ---------------------------------------------------------------- helper (python)
# plan / analyze / table; python3 stdlib, tshark via scripts/tshark-counts.py
cat >"$WORK/sweep.py" <<'PY'
import collections, datetime, glob, importlib.util, json, os, re, subprocess, sys, time

ROOT = os.environ["SWEEP_ROOT"]
SMB2_CONFIGS = os.environ["SWEEP_SMB2_CONFIGS"].split()
SMB3_CONFIGS = os.environ["SWEEP_SMB3_CONFIGS"].split()
GROUPS = os.environ["SWEEP_GROUPS"].split()
SMB1_TESTS = os.environ["SWEEP_SMB1_TESTS"].split()
ENC_SESSION = re.compile(os.environ["SWEEP_ENC_SESSION"])
CONFIG_ORDER = SMB2_CONFIGS + ["NT1"]


def plan(listfile):
    """(test, config, encrypted) in run order."""
    names = []
    with open(listfile) as f:
        for line in f:
            line = line.rstrip("\n")
            # smbtorture --list prints NAME.LEAF where LEAF repeats the last part of NAME
            if "." not in line or line.startswith("smbtorture "):
                continue
            name = line.rsplit(".", 1)[0]
            names.append(name)
    known = set(names)
    runs = []
    session = [n for n in names if n.startswith("smb2.session.")]
    others = [n for g in GROUPS if g != "smb2.session" for n in names
              if n == g or n.startswith(g + ".")]
    for t in session:
        for c in SMB2_CONFIGS:
            runs.append((t, c, False))
    for i, t in enumerate(others):
        runs.append((t, SMB2_CONFIGS[i % len(SMB2_CONFIGS)], False))
    for t in SMB1_TESTS:
        if t in known:
            runs.append((t, "NT1", False))
        else:
            print(f"note: {t} is not in smbtorture --list, left out", file=sys.stderr)
    # encrypted: every 10th test of the SMB2 list, and the session tests named in ENC_SESSION
    k = 0
    for i, t in enumerate(session + others):
        if i % 10 == 0 or ENC_SESSION.search(t):
            runs.append((t, SMB3_CONFIGS[k % len(SMB3_CONFIGS)], True))
            k += 1
    return runs


def cmd_plan(listfile, only, configs, encmode):
    cfgs = set(c for c in configs.split(",") if c)
    for t, c, e in plan(listfile):
        if only and not re.search(only, t):
            continue
        if cfgs and c not in cfgs:
            continue
        if (encmode == "yes" and not e) or (encmode == "no" and e):
            continue
        print(f"{t}\t{c}\t{'yes' if e else 'no'}")


def load_tshark_counts():
    spec = importlib.util.spec_from_file_location(
        "tshark_counts", os.path.join(ROOT, "scripts", "tshark-counts.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def run_smbcheck(smbcheck, fmt, pcap):
    """(exit status, stdout). Waits for the binary while it is being rebuilt."""
    env = dict(os.environ, SMBCHECK_PASSWORD="Secr3t!pass")
    for attempt in range(40):
        try:
            p = subprocess.run([smbcheck, "--format", fmt, pcap], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError:  # missing or being replaced (ETXTBSY)
            time.sleep(15)
            continue
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    raise SystemExit(f"smbcheck {smbcheck} not usable")


def cmd_analyze(smbcheck, pcap):
    base = pcap[:-len(".pcap")]
    res = {}
    rc, out, err = run_smbcheck(smbcheck, "json", pcap)
    with open(base + ".smbcheck.json", "w") as f:
        f.write(out)
    res["smbcheck_exit"] = rc
    res["smbcheck_stderr"] = err.strip()[:500]
    st = os.stat(smbcheck)
    res["smbcheck_build"] = datetime.datetime.fromtimestamp(st.st_mtime).strftime("%Y-%m-%d %H:%M:%S")
    summ = {}
    try:
        summ = json.loads(out)["summary"]
    except Exception as e:  # noqa
        res["smbcheck_error"] = f"no JSON summary: {e}"
    for k in ("messages", "signed", "valid", "invalid", "unverified", "encrypted", "decrypted"):
        res[k] = summ.get(k)
    reasons = collections.Counter()
    invalid_what = collections.Counter()
    bad_lines = []
    if (res["invalid"] or 0) > 0 or (res["unverified"] or 0) > 0:
        _, jl, _ = run_smbcheck(smbcheck, "jsonl", pcap)
        for line in jl.splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            v = d.get("verdict")
            if v == "unverified":
                reasons[d.get("reason") or "?"] += 1
                bad_lines.append(line)
            elif v == "invalid":
                cmd = d.get("command") or "?"
                side = "rsp" if d.get("response") else "req"
                st = d.get("status") or ""
                invalid_what[f"{cmd} {side}" + (f" {st}" if st and st != "STATUS_SUCCESS" else "")] += 1
                bad_lines.append(line)
    bad = base + ".bad.jsonl"
    if bad_lines:
        with open(bad, "w") as f:
            f.write("\n".join(bad_lines) + "\n")
    elif os.path.exists(bad):
        os.remove(bad)
    res["unverified_reasons"] = dict(reasons)
    res["invalid_what"] = dict(invalid_what)
    # tshark, with the password (SMB2 HMAC/CMAC checked, every GMAC signature marked bad);
    # skipped on huge captures (tshark's JSON of 160 MB took 5 minutes here)
    size = os.path.getsize(pcap)
    if size > 50 * 1024 * 1024:
        res["tshark_error"] = f"skipped: capture of {size >> 20} MiB"
    else:
      try:
        tc = load_tshark_counts()
        s, dialects, signing, ciphers = tc.stats(pcap)
        res["tshark_messages"] = s["smb1"] + s["smb2"] + s["decrypted by tshark"]
        res["tshark_transforms"] = s["smb2 transform"]
        res["tshark_bad"] = s["smb2 bad"]
        res["tshark_good"] = s["smb2 good"]
        res["frames"] = s["frames"]
      except BaseException as e:  # noqa
        res["tshark_error"] = str(e)[:300]
    res["checked_at"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    with open(base + ".check.json", "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)


def read_result(path):
    d = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    return d


def fmt_counter(c):
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


COLUMNS = ["test", "config", "encrypted", "smbtorture", "smbcheck exit", "messages", "signed",
           "valid", "invalid", "unverified (reasons)", "tshark messages", "tshark bad signatures",
           "invalid messages (command, side)", "seconds"]


def cmd_table(out, docs, samba_version, tshark_version):
    group_order = {g: i for i, g in enumerate(GROUPS)}
    rows = []
    for res in glob.glob(os.path.join(out, "pcaps", "*", "*.result")):
        cfgdir = os.path.basename(os.path.dirname(res))
        test = os.path.basename(res)[:-len(".result")]
        enc = cfgdir.endswith("+enc")
        cfg = cfgdir[:-4] if enc else cfgdir
        r = read_result(res)
        chk = {}
        cj = res[:-len(".result")] + ".check.json"
        if os.path.exists(cj):
            with open(cj) as f:
                chk = json.load(f)
        rows.append(dict(test=test, config=cfg, enc=enc, r=r, c=chk))

    def key(x):
        g = ".".join(x["test"].split(".")[:2])
        return (group_order.get(g, len(GROUPS)), x["test"], x["enc"],
                CONFIG_ORDER.index(x["config"]) if x["config"] in CONFIG_ORDER else 99)
    rows.sort(key=key)

    def val(c, k):
        v = c.get(k)
        return "" if v is None else str(v)

    def unv(c):
        u = c.get("unverified")
        if u is None:
            return ""
        rs = c.get("unverified_reasons") or {}
        return f"{u} ({fmt_counter(rs)})" if rs else str(u)

    table = []
    for x in rows:
        r, c = x["r"], x["c"]
        result = r.get("result", "?")
        if r.get("drops", "0") not in ("0", ""):
            result += f" (tcpdump dropped {r['drops']})"
        sc = val(c, "smbcheck_exit")
        if c.get("frames") == 0:
            sc += " (empty capture)"
        elif c.get("smbcheck_error"):
            sc += " (no summary)"
        table.append([x["test"], x["config"], "yes" if x["enc"] else "no", result, sc,
                      val(c, "messages"), val(c, "signed"), val(c, "valid"), val(c, "invalid"),
                      unv(c), val(c, "tshark_messages") or c.get("tshark_error", "")[:40],
                      val(c, "tshark_bad"),
                      fmt_counter(c.get("invalid_what") or {}), r.get("seconds", "")])
    x_rows = list(zip(rows, table))

    # summary
    n = len(rows)
    tests = len(set(x["test"] for x in rows))
    by_result = collections.Counter(x["r"].get("result", "?") for x in rows)
    passed = [(x, t) for x, t in x_rows if x["r"].get("result") == "success"]
    pinv = [(x, t) for x, t in passed if (x["c"].get("invalid") or 0) > 0]
    punv = [(x, t) for x, t in passed if (x["c"].get("unverified") or 0) > 0]
    allinv = [(x, t) for x, t in x_rows if (x["c"].get("invalid") or 0) > 0]
    empty = [x for x in rows if x["c"].get("frames") == 0]
    unchecked = [x for x in rows if not x["c"]
                 or (x["c"].get("smbcheck_error") and x["c"].get("frames") != 0)]
    reasons = collections.Counter()
    for x, _ in punv:
        reasons.update(x["c"].get("unverified_reasons") or {})
    reason_runs = collections.Counter()
    for x, _ in punv:
        for k in (x["c"].get("unverified_reasons") or {}):
            reason_runs[k] += 1
    builds = collections.Counter(x["c"].get("smbcheck_build", "?") for x in rows if x["c"])
    timeouts = [x for x in rows if x["r"].get("result") == "timeout"]
    drops = [x for x in rows if x["r"].get("drops", "0") not in ("0", "")]
    # tshark as a peer: passing non-GMAC, unencrypted runs where tshark finds a bad signature
    tpeer = [x for x, _ in passed if (x["c"].get("tshark_bad") or 0) > 0
             and x["config"] not in ("3.1.1-gmac",) and not x["enc"]]
    times = [x["r"].get("started", "") for x in rows if x["r"].get("started")]
    secs = sum(float(x["r"].get("seconds") or 0) for x in rows)

    def name(x):
        return f"{x['test']} [{x['config']}{' +enc' if x['enc'] else ''}]"

    md = []
    md.append("# smbtorture sweep: smbcheck on healthy, signed traffic\n")
    md.append("Generated by `scripts/torture-sweep.sh` (do not edit by hand; `--recheck` refreshes "
              "the smbcheck and tshark columns from the captures, `--table` only rewrites this "
              "file). Server: Samba with `server signing = mandatory`; client: smbtorture with "
              "`client signing=required`, so a test that passes means both ends accepted every "
              "signature in its capture: smbcheck should report no invalid message there.\n")
    md.append(f"- Written: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S')}; runs made "
              f"{min(times) if times else '?'} .. {max(times) if times else '?'} "
              f"(smbtorture time summed over runs: {secs/60:.1f} min)")
    md.append(f"- Samba: `{samba_version}` (smbd and smbtorture); tshark: `{tshark_version}`")
    md.append("- smbcheck build(s) (binary modification time: runs checked): "
              + ", ".join(f"{k}: {v}" for k, v in sorted(builds.items())))
    md.append(f"- Runs (test x configuration): **{n}**, distinct tests: {tests}; results: "
              + ", ".join(f"{k} {v}" for k, v in sorted(by_result.items())))
    md.append(f"- Passed (smbtorture success): **{len(passed)}**")
    md.append(f"- Passing runs with smbcheck invalid > 0: **{len(pinv)}**"
              + (": " + ", ".join(name(x) for x, _ in pinv) if pinv else ""))
    md.append(f"- Passing runs with smbcheck unverified > 0: **{len(punv)}**"
              + (f" (messages by reason: {fmt_counter(reasons)}; runs by reason: "
                 f"{fmt_counter(reason_runs)}): " + ", ".join(name(x) for x, _ in punv)
                 if punv else ""))
    md.append(f"- Runs of any result with invalid > 0: {len(allinv)}")
    md.append(f"- Timed out: {len(timeouts)}" + (": " + ", ".join(name(x) for x in timeouts) if timeouts else ""))
    if drops:
        md.append(f"- tcpdump dropped packets in: " + ", ".join(name(x) for x in drops))
    if empty:
        md.append(f"- Empty captures (the test stopped before connecting, e.g. skipped): "
                  f"{len(empty)}")
    if unchecked:
        md.append(f"- Not checked by smbcheck (no summary): " + ", ".join(name(x) for x in unchecked))
    md.append(f"- tshark (peer, not ground truth; it cannot check GMAC nor the final session "
              f"setup response): passing, unencrypted, non-GMAC runs where it marks a signature "
              f"bad: {len(tpeer)}")
    md.append("")
    md.append("Configurations: `2.0.2`, `2.1`, `3.0`, `3.0.2` = client min/max protocol SMB2_02, "
              "SMB2_10, SMB3_00, SMB3_02; `3.1.1-gmac` = SMB3_11 (AES-128-GMAC signing), "
              "`3.1.1-cmac` / `3.1.1-hmac` = SMB3_11 with `client smb3 signing algorithms` "
              "AES-128-CMAC / HMAC-SHA256; `NT1` = SMB1. Tests that set their own dialect or "
              "algorithms (bind_negative_*, signing-*, encryption-*) still show the configuration "
              "passed. encrypted = the server had `server smb encrypt = required`. "
              "tshark messages = SMB1 + SMB2 headers tshark dissects (plus those it decrypted); "
              "tshark bad signatures = headers with `smb2.bad_signature` when given the password "
              "(every GMAC-signed message is bad to tshark 4.0). Captures: "
              f"`{out}/pcaps/CONFIG[+enc]/TEST.pcap`.\n")
    md.append("| " + " | ".join(COLUMNS) + " |")
    md.append("|" + "---|" * len(COLUMNS))
    for t in table:
        md.append("| " + " | ".join(s.replace("|", "\\|") for s in t) + " |")
    with open(os.path.join(docs, "torture-sweep.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(docs, "torture-sweep.tsv"), "w") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for t in table:
            f.write("\t".join(s.replace("\t", " ") for s in t) + "\n")
    print(f"table: {n} runs, {len(passed)} passed, {len(pinv)} passing with invalid>0, "
          f"{len(punv)} passing with unverified>0", file=sys.stderr)


def cmd_parse(logfile, rc):
    """smbtorture's result from its output and exit status."""
    rc = int(rc)
    if rc in (124, 137):
        return "timeout"
    seen = collections.Counter()
    with open(logfile, errors="replace") as f:
        for line in f:
            m = re.match(r"^(success|failure|skip|error|xfail|uxsuccess|todo): ", line)
            if m:
                seen[m.group(1)] += 1
    for k in ("error", "failure", "uxsuccess"):
        if seen[k]:
            return "error" if k == "error" else "failure"
    if seen["success"] or seen["xfail"]:
        return "success" if rc == 0 else "failure"
    if seen["skip"] or seen["todo"]:
        return "skip"
    return "error"


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "plan":
        cmd_plan(*a[1:])
    elif a[0] == "analyze":
        cmd_analyze(*a[1:])
    elif a[0] == "table":
        cmd_table(*a[1:])
    elif a[0] == "parse":
        print(cmd_parse(*a[1:]))
PY
export SWEEP_ROOT=$ROOT SWEEP_SMB2_CONFIGS="${SMB2_CONFIGS[*]}" SWEEP_SMB3_CONFIGS="${SMB3_CONFIGS[*]}"
export SWEEP_GROUPS="${GROUPS_SMB2[*]}" SWEEP_SMB1_TESTS="${SMB1_TESTS[*]}" SWEEP_ENC_SESSION=$ENC_SESSION
py() { python3 "$WORK/sweep.py" "$@"; }

# ---------------------------------------------------------------- server and capture
stop_server() {
  [ -n "$SRV_PID" ] || return 0
  # SIGTERM to the whole group: the listening socket goes at once; the helpers of this
  # instance (notifyd, cleanupd) take ~1.3 s more and are waited for before DIR is reused
  # (scripts/samba-server.sh stop signals only the main process and waits for all of it)
  kill -TERM -- "-$SRV_PID" 2>/dev/null || true
  local i
  for i in $(seq 200); do
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$SRV_PID" 2>/dev/null && die "smbd $SRV_PID did not stop"
  echo "$SRV_PID" >"$SRV_DIR/.pgid"
  SRV_PID=
  for i in $(seq 100); do
    ss -ltn "src $ADDR and sport = :445" | grep LISTEN >/dev/null || return 0
    sleep 0.05
  done
  die "something still listens on $ADDR:445 after smbd $SRV_DIR stopped"
}

wait_group_gone() {   # wait_group_gone DIR: the helpers of the smbd last started in DIR exited
  local f=$1/.pgid g i
  [ -f "$f" ] || return 0
  g=$(cat "$f")
  for i in $(seq 200); do
    pgrep -g "$g" >/dev/null || { rm -f "$f"; return 0; }
    sleep 0.05
  done
  die "smbd helpers of process group $g ($1) still running after 10 s"
}

SRV_N=0
start_server() {   # start_server ENCRYPTED(yes|no)
  stop_server
  SRV_N=$(( (SRV_N + 1) % 2 ))
  SRV_DIR=$WORK/srv$SRV_N
  wait_group_gone "$SRV_DIR"
  rm -rf "$SRV_DIR/share" "$SRV_DIR/log"
  local opts=("${SERVER_OPTS[@]}")
  [ "$1" = yes ] && opts+=('server smb encrypt = required')
  "$HERE/samba-server.sh" start "$SRV_DIR" "$ADDR" "${opts[@]}" 2>"$WORK/srv.err" \
    || die "smbd did not start: $(cat "$WORK/srv.err")"
  SRV_PID=$(cat "$SRV_DIR/pid/smbd.pid")
}

start_capture() {   # start_capture PCAP: tcpdump running and listening, or die after 3 tries
  local errf=$WORK/tcpdump.err i try t0
  for try in 1 2 3; do
    rm -f "$errf" "$1"   # a stale file would show 'listening on' before this tcpdump runs
    t0=$(date +%s)
    tcpdump -i lo -Z root -s 0 -B 65536 -U --immediate-mode -w "$1" "host $ADDR and tcp port 445" \
      2>"$errf" &
    TCPDUMP_PID=$!
    # seen on this machine while cargo kept both cores busy: tcpdump running for over 20 s
    # before 'listening on'; give it a minute, then start another
    while [ $(( $(date +%s) - t0 )) -lt 60 ]; do
      grep -q 'listening on' "$errf" 2>/dev/null && break
      kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump exited: $(cat "$errf")"
      sleep 0.02
    done
    if grep -q 'listening on' "$errf" 2>/dev/null; then
      [ $(( $(date +%s) - t0 )) -le 2 ] || log "  tcpdump took $(( $(date +%s) - t0 )) s to start"
      sleep 0.1
      return 0
    fi
    log "  tcpdump did not start in 60 s (try $try): $(ps -o stat=,wchan=,time= -p "$TCPDUMP_PID")"
    end_tcpdump
  done
  die "tcpdump did not start"
}

end_tcpdump() {
  # SIGTERM, not SIGINT: a background job of a script starts with SIGINT ignored, so a SIGINT
  # that comes before tcpdump sets its handler is lost and tcpdump runs on
  local i
  kill -TERM "$TCPDUMP_PID" 2>/dev/null || true
  for i in $(seq 200); do
    kill -0 "$TCPDUMP_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$TCPDUMP_PID" 2>/dev/null || true
  wait "$TCPDUMP_PID" 2>/dev/null || true
  TCPDUMP_PID=
}

stop_capture() {   # sets DROPS: the number of packets tcpdump says the kernel dropped
  local errf=$WORK/tcpdump.err
  end_tcpdump
  DROPS=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$errf")
  [ -n "$DROPS" ] || DROPS=no-statistics
}

cleanup() {
  set +e
  if [ -n "$TCPDUMP_PID" ]; then end_tcpdump; fi
  if [ -n "$ANALYZE_PID" ]; then wait "$ANALYZE_PID" 2>/dev/null; fi
  stop_server
  local d
  for d in "$WORK"/srv*; do [ -d "$d" ] && wait_group_gone "$d"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- one run
cfg_opts() {   # cfg_opts CONFIG: sets OPTS (smbtorture dialect options)
  case $1 in
    2.0.2) OPTS=(--option='client min protocol=SMB2_02' --option='client max protocol=SMB2_02') ;;
    2.1) OPTS=(--option='client min protocol=SMB2_10' --option='client max protocol=SMB2_10') ;;
    3.0) OPTS=(--option='client min protocol=SMB3_00' --option='client max protocol=SMB3_00') ;;
    3.0.2) OPTS=(--option='client min protocol=SMB3_02' --option='client max protocol=SMB3_02') ;;
    3.1.1-gmac) OPTS=(--option='client min protocol=SMB3_11' --option='client max protocol=SMB3_11') ;;
    3.1.1-cmac) OPTS=(--option='client min protocol=SMB3_11' --option='client max protocol=SMB3_11'
                      --option='client smb3 signing algorithms=AES-128-CMAC') ;;
    3.1.1-hmac) OPTS=(--option='client min protocol=SMB3_11' --option='client max protocol=SMB3_11'
                      --option='client smb3 signing algorithms=HMAC-SHA256') ;;
    NT1) OPTS=(--option='client min protocol=NT1' --option='client max protocol=NT1') ;;
    *) die "unknown configuration $1" ;;
  esac
}

analyze_bg() {   # analyze_bg PCAP: smbcheck + tshark on PCAP, one at a time in the background
  if [ -n "$ANALYZE_PID" ]; then wait "$ANALYZE_PID" || log "analysis failed (exit $?)"; fi
  py analyze "$SMBCHECK" "$1" 2>>"$OUT/analyze.err" &
  ANALYZE_PID=$!
}

run_one() {   # run_one TEST CONFIG ENCRYPTED
  local test=$1 cfg=$2 enc=$3 dir base
  dir=$OUT/pcaps/$cfg; [ "$enc" = yes ] && dir=$dir+enc
  mkdir -p "$dir"
  base=$dir/$test
  if [ "$FORCE" = 0 ] && [ -f "$base.result" ]; then return 0; fi
  cfg_opts "$cfg"
  local attempt rc drops t0 t1 result started
  for attempt in 1 2; do
    start_server "$enc"
    rm -f "$base".*
    start_capture "$base.pcap"
    started=$(date '+%Y-%m-%d %H:%M:%S')
    t0=$(date +%s.%N)
    rc=0
    ( cd "$WORK/client" && timeout -k 5 "$TMO" smbtorture "//$ADDR/share" -U "alice%$PASS" \
        --option='client signing=required' --option='torture:target=samba3' "${OPTS[@]}" \
        "$test" ) >"$base.log" 2>&1 </dev/null || rc=$?
    t1=$(date +%s.%N)
    sleep 0.3   # last FIN/ACKs
    stop_capture
    drops=$DROPS
    [ "$drops" = 0 ] && break
    log "  tcpdump: $drops packets dropped, running $test again"
  done
  result=$(py parse "$base.log" "$rc")
  printf 'result=%s\nexit=%s\nseconds=%.1f\ndrops=%s\nstarted=%s\ntimeout=%s\n' \
    "$result" "$rc" "$(echo "$t1 - $t0" | bc)" "$drops" "$started" "$TMO" >"$base.result.tmp"
  mv "$base.result.tmp" "$base.result"
  log "  $result (exit $rc, $(grep ^seconds= "$base.result" | cut -d= -f2) s)"
  analyze_bg "$base.pcap"
}

write_table() {
  py table "$OUT" "$DOCS" "$(smbd --version)" "$(tshark --version | head -1)"
}

# ---------------------------------------------------------------- main
command -v smbtorture >/dev/null || die "smbtorture missing (apt-get install samba-testsuite)"
smbtorture --list 2>/dev/null >"$WORK/list.txt" || true
py plan "$WORK/list.txt" "$ONLY" "$CONFIGS" "$ENCMODE" >"$WORK/plan.tsv"

case $MODE in
  list) cat "$WORK/plan.tsv"; exit 0 ;;
  table) write_table; exit 0 ;;
  recheck)
    [ -x "$SMBCHECK" ] || die "no smbcheck at $SMBCHECK"
    n=0
    while IFS=$'\t' read -r test cfg enc; do
      d=$OUT/pcaps/$cfg; [ "$enc" = yes ] && d=$d+enc
      if [ -f "$d/$test.pcap" ] && [ -f "$d/$test.result" ]; then printf '%s\0' "$d/$test.pcap"; fi
    done <"$WORK/plan.tsv" >"$WORK/recheck.lst"
    n=$(tr -cd '\0' <"$WORK/recheck.lst" | wc -c)
    log "rechecking $n captures with $SMBCHECK"
    xargs -0 -P 2 -n 1 python3 "$WORK/sweep.py" analyze "$SMBCHECK" <"$WORK/recheck.lst"
    write_table
    exit 0 ;;
esac

[ "$(id -u)" = 0 ] || die "run as root (smbd binds port 445, tcpdump captures lo)"
for t in smbd smbpasswd tcpdump tshark python3 bc ss pgrep; do
  command -v "$t" >/dev/null || die "missing $t"
done
[ -x "$SMBCHECK" ] || die "no smbcheck at $SMBCHECK (cargo build --release)"
mkdir -p "$WORK/client"
total=$(wc -l <"$WORK/plan.tsv")
log "plan: $total runs (timeout $TMO s each), out $OUT"
i=0
T0=$(date +%s)
while IFS=$'\t' read -r test cfg enc; do
  i=$((i + 1))
  d=$OUT/pcaps/$cfg; [ "$enc" = yes ] && d=$d+enc
  if [ "$FORCE" = 0 ] && [ -f "$d/$test.result" ]; then
    # done before; checked too unless the sweep was stopped during the check
    if [ ! -f "$d/$test.check.json" ] && [ -f "$d/$test.pcap" ]; then analyze_bg "$d/$test.pcap"; fi
    continue
  fi
  log "[$i/$total] $test $cfg$([ "$enc" = yes ] && echo ' encrypted')"
  run_one "$test" "$cfg" "$enc"
  if [ $((i % 40)) = 0 ]; then write_table; fi
done <"$WORK/plan.tsv"
stop_server
if [ -n "$ANALYZE_PID" ]; then wait "$ANALYZE_PID" || true; ANALYZE_PID=; fi
write_table
log "done in $(( $(date +%s) - T0 )) s"
