#!/usr/bin/env python3
"""Turn `midisift-bench --benchmark_format=json` output into a Markdown table and an SVG chart.

    build/bin/midisift-bench ../shared/corpus --benchmark_format=json > bench.json
    bench/report.py bench.json --svg bench/throughput.svg > table.md

Every throughput is also given as a ratio to the mmap I/O baseline (BM_IoMapTouch) of the same
run, and arena parse as a ratio to heap parse per size class, because the machine is shared and
absolute figures drift between runs. Standard library only.
"""
import argparse
import json
import sys
from xml.sax.saxutils import escape

CLASSES = ["lt4KB", "4to64KB", "gt64KB", "all"]
STRATEGIES = ["Arena", "Heap", "Pool"]


def mb_s(b):
    return b.get("bytes_per_second", 0.0) / 1e6


def load(path):
    with open(path) as f:
        data = json.load(f)
    # With --benchmark_repetitions, keep the medians; otherwise the single runs.
    rows = [b for b in data["benchmarks"] if b.get("aggregate_name", "median") == "median"]
    by_name = {}
    for b in rows:
        name = b.get("run_name", b["name"])
        by_name[name] = b
    return data["context"], by_name


def find(by_name, prefix):
    for name, b in by_name.items():
        if name.startswith(prefix):
            return b
    return None


def table(context, by_name):
    io_map = find(by_name, "BM_IoMapTouch")
    base = mb_s(io_map) if io_map else None
    out = []
    out.append(f"Machine: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz, "
               f"{context.get('host_name', '')}; run {context.get('date', '')}; corpus {context.get('corpus', '')}.")
    out.append("")
    out.append("| suite | size class | MB/s | events/s (M) | × I/O (mmap) | arena ÷ heap |")
    out.append("|---|---|---:|---:|---:|---:|")

    def ratio(x):
        return f"{x / base:.2f}" if base else "n/a"

    for name in ("BM_IoMapTouch", "BM_IoReadTouch"):
        b = find(by_name, name)
        if b:
            out.append(f"| {name} | all | {mb_s(b):.0f} | | {ratio(mb_s(b))} | |")
    for k, cls in enumerate(CLASSES):
        heap = find(by_name, f"BM_Parse<Heap>/{k}/")
        for s in STRATEGIES:
            b = find(by_name, f"BM_Parse<{s}>/{k}/")
            if not b:
                continue
            ev = b.get("items_per_second", 0.0) / 1e6
            vs_heap = f"{mb_s(b) / mb_s(heap):.2f}" if heap and s == "Arena" else ""
            out.append(f"| BM_Parse<{s}> | {cls} | {mb_s(b):.0f} | {ev:.0f} | {ratio(mb_s(b))} | {vs_heap} |")
    peer = find(by_name, "BM_PeerMinimidiView")
    ours = find(by_name, "BM_PeerMidisiftArena")
    if peer and ours:
        files = escape(peer.get("label", ""))
        out.append(f"| minimidi view (peer; the {files} both read) | peer set | {mb_s(peer):.0f} | | "
                   f"{ratio(mb_s(peer))} | |")
        out.append(f"| BM_Parse<Arena> on the same files, {mb_s(ours) / mb_s(peer):.2f}x minimidi | peer set | "
                   f"{mb_s(ours):.0f} | {ours.get('items_per_second', 0.0) / 1e6:.0f} | {ratio(mb_s(ours))} | |")
    b = find(by_name, "BM_Analyze")
    if b:
        out.append(f"| BM_Analyze (facts only) | all | {mb_s(b):.0f} | | {ratio(mb_s(b))} | |")
    full = find(by_name, "BM_AnalyzeFull")
    parse_all = find(by_name, "BM_Parse<Arena>/3/")
    if full:
        vs_parse = f", {mb_s(parse_all) / mb_s(full):.1f}x the CPU time of parsing" if parse_all else ""
        out.append(f"| BM_AnalyzeFull (full analysis{vs_parse}) | all | {mb_s(full):.0f} | | {ratio(mb_s(full))} | |")
    md5 = find(by_name, "BM_Md5")
    if md5:
        vs_parse = f", {mb_s(parse_all) / mb_s(md5):.2f}x the CPU time of parsing" if parse_all else ""
        out.append(f"| BM_Md5 (the `md5` column alone{vs_parse}) | all | {mb_s(md5):.0f} | | {ratio(mb_s(md5))} | |")
    for name, b in by_name.items():
        if name.startswith("BM_ScanEndToEnd"):
            out.append(f"| scan end to end ({escape(b.get('label', ''))}, peak RSS "
                       f"{b.get('peak_rss_MB', 0):.0f} MB) | all | {mb_s(b):.0f} | | {ratio(mb_s(b))} | |")
    out.append("")
    out.append("| memory (steady state, whole corpus) | upstream allocations per file | bytes reserved (MB) |")
    out.append("|---|---:|---:|")
    for s in ("Arena", "HeapCounted", "Pool"):
        b = find(by_name, f"BM_Memory<{s}>")
        if b:
            out.append(f"| {s} | {b.get('upstream_allocs_per_file', 0):.2f} | {b.get('reserved_MB', 0):.1f} |")
    return "\n".join(out) + "\n"


def svg(by_name):
    """Grouped bars: parse throughput per size class and strategy, with the mmap baseline as a line."""
    colours = {"Arena": "#1b9e77", "Heap": "#d95f02", "Pool": "#7570b3"}
    values = {(s, c): mb_s(find(by_name, f"BM_Parse<{s}>/{k}/") or {}) for k, c in enumerate(CLASSES) for s in STRATEGIES}
    io_map = find(by_name, "BM_IoMapTouch")
    top = max(list(values.values()) + [mb_s(io_map) if io_map else 0, 1.0]) * 1.15
    w, h, left, bottom, plot_h = 640, 360, 60, 40, 280
    group_w = (w - left - 20) / len(CLASSES)
    bar_w = group_w / (len(STRATEGIES) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="16" text-anchor="middle" font-size="14">midisift parse throughput (MB/s) by file size</text>']
    y0 = h - bottom
    for tick in range(0, int(top) + 1, max(100, int(top / 5) // 100 * 100 or 100)):
        y = y0 - tick / top * plot_h
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for k, c in enumerate(CLASSES):
        gx = left + k * group_w
        for i, s in enumerate(STRATEGIES):
            v = values[(s, c)]
            bh = v / top * plot_h
            x = gx + (i + 0.5) * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{y0 - bh:.1f}" width="{bar_w * 0.9:.1f}" height="{bh:.1f}" '
                         f'fill="{colours[s]}"><title>{s} {c}: {v:.0f} MB/s</title></rect>')
            parts.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{y0 - bh - 3:.1f}" text-anchor="middle" '
                         f'font-size="9">{v:.0f}</text>')
        parts.append(f'<text x="{gx + group_w / 2:.1f}" y="{y0 + 16}" text-anchor="middle">{c}</text>')
    if io_map:
        y = y0 - mb_s(io_map) / top * plot_h
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="black" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{w - 22}" y="{y - 4:.1f}" text-anchor="end">mmap + touch baseline {mb_s(io_map):.0f}</text>')
    for i, s in enumerate(STRATEGIES):
        parts.append(f'<rect x="{left + 10 + i * 90}" y="{h - 18}" width="10" height="10" fill="{colours[s]}"/>')
        parts.append(f'<text x="{left + 24 + i * 90}" y="{h - 9}">{s}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", help="output of midisift-bench --benchmark_format=json")
    ap.add_argument("--svg", help="write the chart here")
    args = ap.parse_args()
    context, by_name = load(args.json)
    sys.stdout.write(table(context, by_name))
    if args.svg:
        with open(args.svg, "w") as f:
            f.write(svg(by_name))


if __name__ == "__main__":
    main()
