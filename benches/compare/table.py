#!/usr/bin/python3
"""Tables of benches/compare/run.sh: one row per server, transport and N
from rtsp-load's JSON lines, then the targets of issue 4 checked.

    /usr/bin/python3 benches/compare/table.py ALL.jsonl [--machine FILE] [--notes FILE]
"""

import argparse
import json
import sys

ORDER = {"ours": 0, "ours-glommio": 1, "gst": 2, "live555": 3}
NAMES = {
    "ours": "onvif-rtsp-server (smol)",
    "ours-glommio": "onvif-rtsp-server (glommio)",
    "gst": "gst-rtsp-server 1.22",
    "live555": "live555MediaServer",
}


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                runs.append(json.loads(line))
    runs.sort(key=lambda r: (r["transport"], r["readers_requested"], ORDER.get(r.get("server"), 9)))
    return runs


def fmt(v, spec="{:.1f}"):
    return "n/a" if v is None else spec.format(v)


def rss_per_reader(r):
    idle, peak, n = r.get("server_rss_idle_mib"), r.get("server_rss_peak_mib"), r["readers_requested"]
    if idle is None or peak is None or not n:
        return None
    return (peak - idle) / n


def table(runs):
    out = [
        "| server | transport | N | readers served | delivered Mbit/s (total; per reader min / median) "
        "| RTP sequence gaps | TTFP p50 / p99 ms | server CPU s (% of one core) | server RSS idle / peak MiB "
        "| RSS per reader above idle | load avg at start | media |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        n = r["readers_requested"]
        out.append(
            "| {server} | {t} | {n} | {served} of {n} | {tot} ({mn} / {md}) | {gaps} | {p50} / {p99} | {cpu} ({pct}%) "
            "| {idle} / {peak} | {per} | {load} | {media} |".format(
                server=NAMES.get(r.get("server"), r.get("server", "?")),
                t=r["transport"].upper(),
                n=n,
                served=r["readers_served"],
                tot=fmt(r.get("delivered_mbps")),
                mn=fmt(r.get("reader_mbps_min"), "{:.3f}"),
                md=fmt(r.get("reader_mbps_median"), "{:.3f}"),
                gaps=r.get("rtp_gaps"),
                p50=fmt(r.get("ttfp_ms_p50")),
                p99=fmt(r.get("ttfp_ms_p99")),
                cpu=fmt(r.get("server_cpu_s"), "{:.2f}"),
                pct=fmt(r.get("server_cpu_pct")),
                idle=fmt(r.get("server_rss_idle_mib")),
                peak=fmt(r.get("server_rss_peak_mib")),
                per=fmt(rss_per_reader(r) and rss_per_reader(r) * 1024, "{:.0f} KiB"),
                load=fmt((r.get("loadavg_start") or [None])[0], "{:.2f}"),
                media=r.get("media", ""),
            )
        )
        fails = r.get("failures") or []
        if fails:
            out.append(
                "|  | failures: "
                + "; ".join(f"{f['count']} x {f['error']}" for f in fails)
                + " |  |  |  |  |  |  |  |  |  |  |"
            )
    return "\n".join(out)


def targets(runs, file_mbps):
    """The targets of issue 4 for our server(s), each met or missed."""
    lines = []
    by_key = {}
    for r in runs:
        by_key.setdefault((r["transport"], r["readers_requested"]), []).append(r)
    for (transport, n), group in sorted(by_key.items()):
        peers = [r for r in group if not r.get("server", "").startswith("ours")]
        for r in group:
            if not r.get("server", "").startswith("ours"):
                continue
            name = NAMES.get(r["server"], r["server"])
            checks = []
            served_all = r["readers_served"] == n
            gaps = r.get("rtp_gaps") or 0
            if n <= 300 or n >= 1000:
                ok = served_all and gaps == 0
                checks.append(("all served, zero gaps", ok, f"{r['readers_served']}/{n} served, {gaps} gaps"))
            if n <= 300 and file_mbps:
                mn = r.get("reader_mbps_min") or 0
                ok = mn >= 0.98 * file_mbps
                checks.append(("real time for every reader", ok, f"slowest reader {mn:.3f} Mbit/s, file {file_mbps:.3f}"))
            served_peers = [p for p in peers if p["readers_served"] == n and p.get("server_cpu_s")]
            if served_peers:
                best = min(served_peers, key=lambda p: p["server_cpu_s"])
                ours = r.get("server_cpu_s") or 0
                ok = ours <= best["server_cpu_s"] / 3
                checks.append(
                    (
                        "CPU at most a third of the best peer's",
                        ok,
                        f"{ours:.2f} s vs {NAMES.get(best['server'], best['server'])} {best['server_cpu_s']:.2f} s "
                        f"(ratio {ours / best['server_cpu_s']:.2f})",
                    )
                )
            elif peers:
                checks.append(("CPU at most a third of the best peer's", None, "no peer served every reader"))
            per = rss_per_reader(r)
            if per is not None:
                checks.append(("RSS under 2 MiB per reader above idle", per < 2.0, f"{per * 1024:.0f} KiB per reader"))
            for what, ok, detail in checks:
                verdict = "n/a" if ok is None else ("met" if ok else "**missed**")
                lines.append(f"| {name} | {transport.upper()} | {n} | {what} | {detail} | {verdict} |")
    if not lines:
        return ""
    head = "| server | transport | N | target | measured | verdict |\n|---|---|---|---|---|---|\n"
    return head + "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jsonl")
    ap.add_argument("--machine")
    ap.add_argument("--notes")
    args = ap.parse_args()
    runs = load(args.jsonl)
    file_mbps = None
    if args.machine:
        with open(args.machine) as f:
            text = f.read()
        print("```\n" + text.strip() + "\n```\n")
        for line in text.splitlines():
            if line.startswith("media:"):
                try:
                    file_mbps = int(line.split()[-2]) / 1e6
                except ValueError:
                    pass
    if not runs:
        print("no runs")
        return 1
    print(table(runs))
    t = targets(runs, file_mbps)
    if t:
        print("\nTargets (issue 4):\n")
        print(t)
    if args.notes:
        with open(args.notes) as f:
            notes = [line.strip() for line in f if line.strip()]
        if notes:
            print("\nNotes:\n")
            for n in notes:
                print(f"- {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
