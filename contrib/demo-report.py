#!/usr/bin/env python3
"""Print, for the demo data in a running spand, the E-I index by sector in
each of the first two years, and the top brokers of the latest year with
their roles. Used by contrib/quickstart.sh; reads spand over its socket.

usage: demo-report.py [SOCKET]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "clients"))
from spand_client import Spand  # noqa: E402


def fmt(x, width=8):
    return f"{x:+{width}.3f}" if isinstance(x, (int, float)) else \
        f"{'-':>{width}}"


def reading(row):
    """An E-I against its chance value, in words, with the permutation
    test's p (one-sided, towards the side observed)."""
    ei, ex = row.get("ei"), row.get("expected_ei")
    if ei is None or ex is None:
        return "-"
    if ei < ex:
        side, p = "more inward-looking", row.get("p_less")
    elif ei > ex:
        side, p = "more outward-looking", row.get("p_greater")
    else:
        return "as chance"
    if p is None:
        return side.replace("more ", "") + " than chance"
    pt = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if p < 0.05:
        return f"significantly {side} than random mixing, {pt}"
    return f"not significantly different from random mixing ({pt})"


def main():
    sock = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "SPAND_SOCKET", "spand.sock")
    with Spand(sock) as s:
        years = [y["year"] for y in s.call("summary")["years"]][:2]
        if len(years) < 2:
            print("need two years of data for the comparison")
            return 1
        windows = {y: {"from": f"{y}-01-01", "to": f"{y + 1}-01-01"}
                   for y in years}
        ei = {y: s.call("analyse", {"plugin": "ei", "window": w})
              for y, w in windows.items()}
        print("E-I index by sector: (ties across - ties within) / all ties, "
              "each beside")
        print("its value if ties fell at random (chance). A sector is "
              "outward-looking only")
        print("above its own chance value, not above 0: a small sector's "
              "chance value is high.\n")
        print(f"{'sector':<18}{years[0]:>9}{'chance':>9}{years[1]:>9}"
              f"{'chance':>9}  {years[1]} against chance")
        rows = {y: {r["group"]: r for r in s.table(ei[y], "group")}
                for y in years}
        for g in sorted(set(rows[years[0]]) | set(rows[years[1]])):
            a = rows[years[0]].get(g, {})
            b = rows[years[1]].get(g, {})
            print(f"{g:<18}{fmt(a.get('ei'), 9)}{fmt(a.get('expected_ei'), 9)}"
                  f"{fmt(b.get('ei'), 9)}{fmt(b.get('expected_ei'), 9)}  "
                  f"{reading(b)}")
        net = {y: s.table(ei[y], "network")[0] for y in years}
        a, b = net[years[0]], net[years[1]]
        print(f"{'whole network':<18}{fmt(a['ei'], 9)}"
              f"{fmt(a['expected_ei'], 9)}{fmt(b['ei'], 9)}"
              f"{fmt(b['expected_ei'], 9)}  {reading(b)}\n")

        y = years[1]
        br = s.call("analyse", {"plugin": "brokerage", "window": windows[y],
                                "sort": "total", "top": 10})
        print(f"Top brokers in {y} (Gould & Fernandez): how often each "
              "person links two people")
        print("who are not tied to each other, by where those two sit:")
        print("  coord = both in the broker's sector, itin = both in one "
              "other sector,")
        print("  repr = carrying ties out of the broker's sector, "
              "G-F gate = into it")
        print("  (Gould-Fernandez's gatekeeper, a filter on what comes in: "
              "not a gate-opener),")
        print("  liais = three sectors.\n")
        print(f"{'name':<20}{'sector':<11}{'role':<40}{'coord':>6}"
              f"{'itin':>6}{'repr':>6}{'G-F gate':>9}{'liais':>6}{'total':>7}"
              f"{'z':>7}")
        for r in s.table(br, "vertex"):
            p = s.call("person", {"id": r["id"]})["attributes"]
            z = r.get("total_z")
            print(f"{p.get('name', r['id'])[:19]:<20}{r['group'][:10]:<11}"
                  f"{p.get('role', '')[:39]:<40}{r['coordinator']:>6}"
                  f"{r['itinerant']:>6}{r['representative']:>6}"
                  f"{r['gatekeeper']:>9}{r['liaison']:>6}{r['total']:>7}"
                  f"{(f'{round(z, 1) + 0.0:.1f}' if z is not None else '-'):>7}")
        print("\nz: brokerage against what a random network of the same "
              "density would give.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
