"""Turning ``results.json`` into ``results.md``, PNG plots and the closing ratio line.

Ratios are per query and size (a system's median over the other's), summarised by their
median, over the queries where both systems finished: a query rdflib did not finish within
its budget is reported as "> budget" and left out of the ratio, which therefore flatters
rdflib.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

SYSTEMS = [
    ("clusterkg-inprocess", "(a) clusterkg in-process"),
    ("clusterkg-endpoint", "(b) clusterkg endpoint"),
    ("oxigraph-server", "(c) Oxigraph server"),
    ("rdflib", "(d) rdflib"),
    ("rdflib-endpoint", "(e) rdflib-endpoint"),
]

TARGETS = {
    "endpoint_vs_oxigraph": 1.2,
    "rdflib_vs_clusterkg_analytical": 30.0,
    "load_1e6_seconds": 30.0,
    "competency_median_1e6_ms": 100.0,
}


def _index(doc: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (m["size"], m["system"], m["query"]): m for s in doc["sizes"] for m in s["measurements"]
    }


def ratios(
    doc: dict[str, Any], top: str, bottom: str, kind: str | None = None, size: str | None = None
) -> list[float]:
    """Per-query ratios of medians, top/bottom, where both finished."""
    index = _index(doc)
    out = []
    for s in doc["sizes"]:
        if size is not None and s["label"] != size:
            continue
        for q in doc["queries"]:
            if kind is not None and q["kind"] != kind:
                continue
            a = index.get((s["label"], top, q["name"]))
            b = index.get((s["label"], bottom, q["name"]))
            if a and b and a["median_ms"] and b["median_ms"]:
                out.append(a["median_ms"] / b["median_ms"])
    return out


def _med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def ratio_line(doc: dict[str, Any]) -> str:
    x = _med(ratios(doc, "clusterkg-endpoint", "oxigraph-server"))
    y = _med(ratios(doc, "rdflib", "clusterkg-inprocess"))
    return (
        f"ratio endpoint/oxigraph-server median: {_fmt(x)}; rdflib/clusterkg median: {_fmt(y, 1)}"
    )


def _cell(m: dict[str, Any] | None) -> str:
    if m is None:
        return ""
    if m["status"] != "ok":
        return m["note"] or m["status"]
    return f"{m['median_ms']:.2f} / {m['p95_ms']:.2f}"


def targets(doc: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, where, met) for the issue's four targets."""
    rows: list[tuple[str, str, str, bool | None]] = []
    largest = doc["sizes"][-1]["label"] if doc["sizes"] else None
    x = _med(ratios(doc, "clusterkg-endpoint", "oxigraph-server", size=largest))
    rows.append(
        (
            "endpoint median within 1.2x of Oxigraph server",
            f"{_fmt(x)}x",
            f"median of per-query ratios at {largest}",
            None if x is None else x <= TARGETS["endpoint_vs_oxigraph"],
        )
    )
    y = _med(ratios(doc, "rdflib", "clusterkg-inprocess", kind="analytical"))
    rows.append(
        (
            "clusterkg >= 30x faster than rdflib (analytical)",
            f"{_fmt(y, 1)}x",
            "median ratio, analytical queries rdflib finished (others: > budget)",
            None if y is None else y >= TARGETS["rdflib_vs_clusterkg_analytical"],
        )
    )
    big = next((s for s in doc["sizes"] if s["label"] == "1e6"), None)
    if big is None:
        rows.append(("10^6 triples loaded in <= 30 s", "not run", "(full mode only)", None))
        rows.append(("competency medians <= 100 ms at 10^6", "not run", "(full mode only)", None))
    else:
        load = big["build_seconds"].get("load")
        rows.append(
            (
                "10^6 triples loaded in <= 30 s",
                f"{_fmt(load, 1)} s",
                "clusterkg build, load step (parse + store)",
                None if load is None else load <= TARGETS["load_1e6_seconds"],
            )
        )
        comp = [
            m
            for m in big["measurements"]
            if m["system"] == "clusterkg-endpoint" and m["kind"] == "competency"
        ]
        over = [
            f"{m['query']} ({_fmt(m['median_ms'], 0) if m['median_ms'] else m['note']})"
            for m in comp
            if m["median_ms"] is None or m["median_ms"] > TARGETS["competency_median_1e6_ms"]
        ]
        done = [m["median_ms"] for m in comp if m["median_ms"] is not None]
        rows.append(
            (
                "competency medians <= 100 ms at 10^6",
                f"{len(comp) - len(over)} of {len(comp)} queries; median {_fmt(_med(done))} ms",
                "clusterkg endpoint; over: " + ("; ".join(over) or "none"),
                None if not comp else not over,
            )
        )
    return rows


def write_report(doc: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(markdown(doc), encoding="utf-8")
    plots(doc, out)


def markdown(doc: dict[str, Any]) -> str:
    mach = doc["machine"]
    lines = [
        f"# clusterkg benchmark results ({doc['mode']} mode)",
        "",
        f"Generated by `python -m bench --{doc['mode']}` (seed {doc['seed']}) in "
        f"{doc['seconds']:.0f} s. Raw numbers: `results.json`.",
        "",
        f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory_gib']} GiB, Python "
        f"{mach['python']}, {mach['platform']}. Load average at start: "
        f"{', '.join(f'{x:.2f}' for x in mach['load_average_at_start'])}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in mach["versions"].items() if v) + ".",
        "",
        "**" + ratio_line(doc) + "**",
        "",
        "## Targets",
        "",
        "| target | measured | how | met |",
        "| --- | --- | --- | --- |",
    ]
    for name, value, how, met in targets(doc):
        flag = "–" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {name} | {value} | {how} | {flag} |")
    lines += [
        "",
        "## Build time per size (seconds)",
        "",
        "Main build: `run_build(reasoner='rules', validator='sparql')`: its reason and "
        "validate steps are the rules and the compiled shapes. The last two columns time "
        "HermiT and pySHACL alone on the same project (each in its own process, killed past "
        "its budget; not tried at 10^6 when 10x the 10^5 time is over it).",
        "",
        "| size | triples generated | quads stored | inferred | load | reason | validate "
        "| publish | total | HermiT | pySHACL |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in doc["sizes"]:
        b = s["build_seconds"]
        total = sum(b.values())

        def pr(name: str, s: dict[str, Any] = s) -> str:
            p = s["probes"].get(name)
            if p is None:
                return "not run"
            return _fmt(p["seconds"]) if p["status"] == "ok" else p["note"]

        lines.append(
            f"| {s['label']} | {s['generated_triples']} | {s['stored_quads']} | {s['inferred']} "
            f"| {_fmt(b.get('load'))} | {_fmt(b.get('reason'))} | {_fmt(b.get('validate'))} | "
            f"{_fmt(b.get('publish'))} | {_fmt(total)} | {pr('hermit')} | {pr('pyshacl')} |"
        )
    lines += [
        "",
        "Loading the same N-Quads into the peers (seconds): "
        + "; ".join(
            f"{s['label']}: " + ", ".join(f"{k} {v:.1f}" for k, v in s["load_seconds"].items())
            for s in doc["sizes"]
        )
        + ".",
        "",
    ]

    lines += [
        "## Latency summary",
        "",
        "Median over queries of each query's median latency (ms); `ok` = queries that "
        "finished. Ratios: median of per-query ratios of medians.",
        "",
        "| size | kind | " + " | ".join(label for _, label in SYSTEMS) + " |",
        "| --- | --- |" + " ---: |" * len(SYSTEMS),
    ]
    for s in doc["sizes"]:
        for kind in ("competency", "analytical"):
            cells = []
            for system, _ in SYSTEMS:
                ms = [m for m in s["measurements"] if m["system"] == system and m["kind"] == kind]
                done = [m["median_ms"] for m in ms if m["median_ms"] is not None]
                cells.append(f"{_fmt(_med(done))} ({len(done)}/{len(ms)} ok)")
            lines.append(f"| {s['label']} | {kind} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| size | kind | endpoint / Oxigraph server | in-process / Oxigraph server "
        "| rdflib / clusterkg in-process | rdflib-endpoint / clusterkg endpoint |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for s in doc["sizes"]:
        for kind in ("competency", "analytical", None):
            r = [
                _med(ratios(doc, a, b, kind=kind, size=s["label"]))
                for a, b in (
                    ("clusterkg-endpoint", "oxigraph-server"),
                    ("clusterkg-inprocess", "oxigraph-server"),
                    ("rdflib", "clusterkg-inprocess"),
                    ("rdflib-endpoint", "clusterkg-endpoint"),
                )
            ]
            lines.append(
                f"| {s['label']} | {kind or 'all'} | "
                + " | ".join(f"{_fmt(v)}x" if v is not None else "–" for v in r)
                + " |"
            )

    lines += [
        "",
        "## HTTP throughput (queries/s, competency mix, keep-alive clients)",
        "",
        "| size | system | 1 client | 8 clients | 32 clients | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for s in doc["sizes"]:
        by: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        for t in s["throughput"]:
            by[t["system"]][t["clients"]] = t
        for system, levels in by.items():
            cells = [f"{levels[c]['qps']:.0f}" if c in levels else "–" for c in (1, 8, 32)]
            errors = sum(t["errors"] for t in levels.values())
            lines.append(f"| {s['label']} | {system} | " + " | ".join(cells) + f" | {errors} |")

    lines += ["", "## Every query (median / p95 ms, or why not)", ""]
    index = _index(doc)
    for s in doc["sizes"]:
        lines += [
            f"### {s['label']}",
            "",
            "| query | kind | rows | " + " | ".join(label for _, label in SYSTEMS) + " |",
            "| --- | --- | ---: |" + " ---: |" * len(SYSTEMS),
        ]
        mismatches = []
        for q in doc["queries"]:
            ms = [index.get((s["label"], system, q["name"])) for system, _ in SYSTEMS]
            counts = {m["rows"] for m in ms if m and m["status"] == "ok"}
            rows = ms[0]["rows"] if ms[0] else None
            if len(counts) > 1:
                mismatches.append(
                    f"{q['name']}: rows "
                    + ", ".join(
                        f"{system} {m['rows']}"
                        for (system, _), m in zip(SYSTEMS, ms, strict=True)
                        if m and m["status"] == "ok"
                    )
                )
            lines.append(
                f"| {q['name']} | {q['kind']} | {rows} | " + " | ".join(_cell(m) for m in ms) + " |"
            )
        if mismatches:
            lines += [
                "",
                "Answers that differ in size between systems: " + "; ".join(mismatches) + ".",
            ]
        lines.append("")
    return "\n".join(lines) + "\n"


def plots(doc: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = doc["sizes"]
    index = _index(doc)
    colours = dict(
        zip(
            [s for s, _ in SYSTEMS],
            ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"],
            strict=True,
        )
    )

    # latency: one panel per size, one point per query and system (log scale)
    fig, axes = plt.subplots(len(sizes), 1, figsize=(14, 3.6 * len(sizes)), squeeze=False)
    names = [q["name"] for q in doc["queries"]]
    for ax, s in zip(axes[:, 0], sizes, strict=True):
        for i, (system, label) in enumerate(SYSTEMS):
            xs, ys, xt = [], [], []
            for j, name in enumerate(names):
                m = index.get((s["label"], system, name))
                if m and m["median_ms"] is not None:
                    xs.append(j + (i - 2) * 0.12)
                    ys.append(m["median_ms"])
                elif m and m["status"] in ("timeout",):
                    xt.append(j + (i - 2) * 0.12)
            ax.scatter(xs, ys, s=14, color=colours[system], label=label)
            if xt:
                top = max((m["median_ms"] or 0) for m in s["measurements"]) * 1.5 or 1
                ax.scatter(xt, [top] * len(xt), s=30, marker="^", color=colours[system])
        ax.set_yscale("log")
        ax.set_ylabel("median latency (ms)")
        ax.set_title(
            f"{s['label']} triples ({s['stored_quads']} quads with inferred); "
            "triangles: over the time budget"
        )
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([n[:28] for n in names], rotation=70, fontsize=6, ha="right")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(fontsize=8, ncol=5, loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)

    # build: stacked steps per size, and the HermiT / pySHACL probes beside them
    fig, ax = plt.subplots(figsize=(9, 4.5))
    steps = ["load", "reason", "validate", "publish"]
    step_colours = ["#4e79a7", "#f28e2b", "#59a14f", "#bab0ac"]
    for i, s in enumerate(sizes):
        bottom = 0.0
        for step, colour in zip(steps, step_colours, strict=True):
            v = s["build_seconds"].get(step, 0.0)
            ax.bar(
                i - 0.2,
                v,
                0.35,
                bottom=bottom,
                color=colour,
                label=f"clusterkg build: {step}" if i == 0 else None,
            )
            bottom += v
        for k, (probe, colour) in enumerate((("hermit", "#e15759"), ("pyshacl", "#b07aa1"))):
            p = s["probes"].get(probe)
            if not p:
                continue
            x = i + 0.12 + k * 0.18
            if p["status"] == "ok":
                ax.bar(
                    x,
                    p["seconds"],
                    0.16,
                    color=colour,
                    label=f"{'HermiT' if probe == 'hermit' else 'pySHACL'} alone"
                    if i == 0
                    else None,
                )
            else:
                ax.text(
                    x,
                    0.5,
                    p["note"],
                    rotation=90,
                    fontsize=7,
                    ha="center",
                    va="bottom",
                    color=colour,
                )
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([f"{s['label']}\n({s['generated_triples']} triples)" for s in sizes])
    ax.set_ylabel("seconds")
    ax.set_title("Build time per size (rules + SPARQL-compiled shapes) vs HermiT / pySHACL")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "build.png", dpi=110)
    plt.close(fig)

    # throughput
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = ["-", "--", ":"]
    markers = ["o", "s", "^"]
    for k, s in enumerate(sizes):
        by: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for t in s["throughput"]:
            by[t["system"]].append((t["clients"], t["qps"]))
        for system, points in by.items():
            points.sort()
            ax.plot(
                [c for c, _ in points],
                [q for _, q in points],
                styles[k % 3],
                marker=markers[k % 3],
                color=colours.get(system, "black"),
                label=f"{system} {s['label']}",
            )
    ax.set_xscale("log", base=2)
    ax.set_xticks([1, 8, 32])
    ax.set_xticklabels(["1", "8", "32"])
    ax.set_yscale("log")
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("queries per second")
    ax.set_title("HTTP throughput, competency-question mix")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=110)
    plt.close(fig)


def main() -> None:
    """``python -m bench.report DIR``: render DIR/results.json again (markdown and plots)."""
    import json
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results"
    doc = json.loads((out / "results.json").read_text())
    write_report(doc, out)
    print(ratio_line(doc))


if __name__ == "__main__":
    main()
