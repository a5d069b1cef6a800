"""Shared by the plugin tests that check spand against networkx and
python-igraph: the re-run under Debian's python3 when the running one
lacks them, and the seeded networks the tests compute on both sides.
(Python puts this directory on sys.path for the tests beside it.)"""
import os
import random
import sys

TS = "2024-01-15"


def rec(spec, ts=TS):
    """A record from "a>b" (directed) or "a-b" (undirected), of kind
    advice, at ts."""
    a, b = spec.replace("-", ">").split(">")
    r = {"ts": ts, "from": a, "to": b, "kind": "advice"}
    if "-" in spec:
        r["directed"] = False
    return r


def people(groups, attr="sector"):
    """People from {value: "id id ..."}, each with attr = value."""
    return [{"id": p, attr: s} for s, ids in groups.items()
            for p in ids.split()]


def require_references():
    """Return when networkx and python-igraph import; else re-run the
    test with /usr/bin/python3 (Debian's, where python3-networkx and
    python3-igraph install), and if that cannot help, fail the test (TAP)
    rather than skip it."""
    try:
        import igraph  # noqa: F401
        import networkx  # noqa: F401
        return
    except ImportError:
        pass
    alt = "/usr/bin/python3"
    if os.path.exists(alt) and not os.environ.get("SPAND_TEST_REEXEC"):
        os.environ["SPAND_TEST_REEXEC"] = "1"
        os.execv(alt, [alt, *sys.argv])
    print("not ok 1 - networkx and python-igraph importable "
          "(python3-networkx, python3-igraph)\n1..1", flush=True)
    sys.exit(1)


def random_network(n, ngroups, nrec, nevents, p_undirected, n_isolated,
                   seed, p_hub=0.0, ts=TS):
    """People, records, events and the view's arcs {(a, b): weight}.
    Ids are shuffled against creation order so that matching by position
    would fail; the first n_isolated people have no ties; some records
    repeat an arc (weights add); events tie all their participants; with
    p_hub, that share of the records has one end at a single hub (so that
    the plugin's binary-search path over a hub's long list is taken)."""
    rnd = random.Random(seed)
    ids = [f"p{k:04d}" for k in range(n)]
    rnd.shuffle(ids)
    sector = {p: f"s{rnd.randrange(ngroups)}" for p in ids}
    tied = ids[n_isolated:]
    recs, events, arcs = [], [], {}

    def add(a, b, w):
        arcs[(a, b)] = arcs.get((a, b), 0) + w

    for _ in range(nrec):
        a, b = rnd.sample(tied, 2)
        if p_hub and rnd.random() < p_hub:
            a, b = (tied[0], b) if b != tied[0] else (tied[0], a)
            if rnd.random() < 0.5:
                a, b = b, a
        w = rnd.choice([1, 2, 0.5, round(rnd.uniform(0.05, 5), 6)])
        r = {"ts": ts, "from": a, "to": b, "kind": "advice", "weight": w}
        add(a, b, w)
        if rnd.random() < p_undirected:
            r["directed"] = False
            add(b, a, w)
        recs.append(r)
        if rnd.random() < 0.05:  # the same arc again, another kind
            recs.append({**r, "kind": "referral"})
            add(a, b, w)
            if not r.get("directed", True):
                add(b, a, w)
    for _ in range(nevents):
        ps = rnd.sample(tied, rnd.randint(2, 4))
        w = round(rnd.uniform(0.5, 3), 3)
        events.append({"ts": ts, "kind": "meeting", "participants": ps,
                       "weight": w})
        for a in ps:
            for b in ps:
                if a != b:
                    add(a, b, w)
    ppl = [{"id": p, "sector": sector[p]} for p in ids]
    return ids, sector, ppl, recs, events, arcs


# Size tests: m random ties among n people q00000..., half undirected,
# weights 1-5, in ingest batches of batch records.
def big_records(rnd, n, m, batch, ts=TS):
    for k in range(0, m, batch):
        out = []
        for _ in range(min(batch, m - k)):
            a, b = rnd.sample(range(n), 2)
            r = {"ts": ts, "from": f"q{a:05d}", "to": f"q{b:05d}",
                 "kind": "advice", "weight": rnd.randint(1, 5)}
            if rnd.random() < 0.5:
                r["directed"] = False
            out.append(r)
        yield out
