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
        print("E-I index by sector: (ties across - ties within) / all ties;")
        print("-1 means every tie stays inside the sector, +1 every tie "
              "crosses.\n")
        print(f"{'sector':<18}{years[0]:>9}{years[1]:>9}{'change':>9}")
        rows = {y: {r["group"]: r for r in s.table(ei[y], "group")}
                for y in years}
        for g in sorted(set(rows[years[0]]) | set(rows[years[1]])):
            a = rows[years[0]].get(g, {}).get("ei")
            b = rows[years[1]].get(g, {}).get("ei")
            ch = b - a if a is not None and b is not None else None
            print(f"{g:<18}{fmt(a, 9)}{fmt(b, 9)}{fmt(ch, 9)}")
        net = {y: s.table(ei[y], "network")[0] for y in years}
        print(f"{'whole network':<18}{fmt(net[years[0]]['ei'], 9)}"
              f"{fmt(net[years[1]]['ei'], 9)}"
              f"{fmt(net[years[1]]['ei'] - net[years[0]]['ei'], 9)}")
        print(f"{'if ties were random':<18}"
              f"{fmt(net[years[0]]['expected_ei'], 9)}"
              f"{fmt(net[years[1]]['expected_ei'], 9)}\n")

        y = years[1]
        br = s.call("analyse", {"plugin": "brokerage", "window": windows[y],
                                "sort": "total", "top": 10})
        print(f"Top brokers in {y} (Gould & Fernandez): how often each "
              "person links two people")
        print("who are not tied to each other, by where those two sit:")
        print("  coord = both in the broker's sector, itin = both in one "
              "other sector,")
        print("  repr/gate = carrying ties out of / into the broker's "
              "sector, liais = three sectors.\n")
        print(f"{'name':<20}{'sector':<11}{'role':<40}{'coord':>6}"
              f"{'itin':>6}{'repr':>6}{'gate':>6}{'liais':>6}{'total':>7}"
              f"{'z':>7}")
        for r in s.table(br, "vertex"):
            p = s.call("person", {"id": r["id"]})["attributes"]
            z = r.get("total_z")
            print(f"{p.get('name', r['id'])[:19]:<20}{r['group'][:10]:<11}"
                  f"{p.get('role', '')[:39]:<40}{r['coordinator']:>6}"
                  f"{r['itinerant']:>6}{r['representative']:>6}"
                  f"{r['gatekeeper']:>6}{r['liaison']:>6}{r['total']:>7}"
                  f"{(f'{round(z, 1) + 0.0:.1f}' if z is not None else '-'):>7}")
        print("\nz: brokerage against what a random network of the same "
              "density would give.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
