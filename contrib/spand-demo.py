#!/usr/bin/env python3
"""Generate a deterministic demo collaboration network for spand.

Writes people.csv, records.csv and events.csv (the input formats of
spand's DESIGN.md, "Input files") into OUTDIR, and two survey waves of the
sites' leaders (survey-YEAR.csv, for `spanctl load --survey`) with the
"Leading across boundaries" programme cohorts (programme.csv).

The network is made up but shaped like the real thing: local-authority
"case sites" of about 40 people each (Principal Social Workers for adults
and for children, an AMHP lead, a Principal Occupational Therapist,
Assistant Directors, team managers, social workers and occupational
therapists, NHS partners from a mental health trust, a community health
trust and the regional ICB, voluntary-sector leaders and experts by
experience), grouped into regions.

Year one is strongly within-site and within-sector: the only ties across
sectors run through a few boundary spanners (the AMHP lead, the two PSWs,
the Principal OT, the hospital discharge team manager, the Assistant
Directors). From year two on, new cross-sector work appears (adults'-
children's transitions work, social care with the NHS and the voluntary
sector) between people who were not tied before but who were both tied to
the same spanner in year one, so that a gate-opening analysis (baseline =
year one, window = year two) sees the spanners open doors. Events are
regional PSW network meetings and CPD sessions; in year two some of each
are joint adults'-and-children's sessions.

Turnover and fragile boundaries: in every other site (sites 2, 4, 6...)
the children's services-NHS boundary rests on one person, the Principal
Social Worker for children, in year two as in year one (nobody else in
children's services works with the NHS there); in the other sites it is
held by several. In year two a few people in each site leave (people.csv
column `left`, the year they left; empty for those who stay): two or three
practitioners everywhere, and in some sites a lead (the hospital discharge
team manager in sites 3, 7, 11...; the children's PSW, who holds the
children's-NHS boundary alone, in sites 2, 6, 10...). Leavers have no
records or events after the leaving date (one date for all, in year two).
In those sites a family nurse works with the children's PSW and nobody
else, so that the PSW's leaving would cut people off.

The data are synthetic: the names are drawn at random from lists of common
first names and surnames and the places are invented; any likeness to a
real person is chance. OUTDIR/README.txt says so next to the files.

Everything comes from random.Random seeded with strings derived from
--seed, so the same seed and flags give byte-identical files (no set
iteration, no hash order, no clock). Each site draws its people from its
own seeded stream, so site 3 has the same people whatever --sites is.
Records are generated one day at a time and written as they go: memory
does not grow with --records.
"""

import argparse
import bisect
import csv
import datetime as dt
import math
import os
import random
import sys
import time

DEFAULT_RECORDS_PER_SITE = 1500

FIRST_NAMES = """
Aaliyah Abdul Adam Adebayo Aisha Alan Alice Alison Amara Amelia Amir Amy
Andrew Angela Anita Anna Anthony Arjun Ayesha Barbara Ben Bethan Bilal
Bronwen Callum Carl Caroline Catherine Charlotte Chidi Chloe Chris Claire
Colin Craig Daniel David Deborah Declan Dev Diane Dominic Donna Eilidh
Eleanor Elif Emily Emma Eoin Fatima Fiona Gareth Gemma Georgia Grace Hamza
Hannah Harpreet Helen Ibrahim Imran Isla Jack Jade James Jane Jasmine Jason
Jennifer Joanne John Jordan Joseph Julie Karen Kate Kerry Kieran Kwame Laura
Leanne Lee Liam Lisa Louise Lucy Mandeep Marcus Margaret Mark Martin Mary
Matthew Megan Michael Michelle Mohammed Naomi Nasreen Natalie Neil Nicola
Niamh Oliver Olivia Omar Patrick Paul Priya Rachel Rebecca Rhys Richard
Rob Rosie Ruth Ryan Sadia Samuel Sandra Sarah Shanice Sian Simon Sophie
Stephen Steven Susan Tariq Thomas Tom Tracey Usha Vanessa Victoria Wendy
Yasmin Yusuf Zainab Zoe
""".split()

SURNAMES = """
Adams Ahmed Akhtar Ali Allen Anderson Armstrong Atkinson Bailey Baker Banks
Barnes Bell Bennett Bibi Bird Bowen Boyle Brown Burke Butler Campbell Carter
Chapman Chaudhry Clarke Cole Collins Cook Cooper Cox Davies Dawson Doherty
Edwards Ellis Evans Fletcher Foster Fraser Gallagher Gill Graham Grant Gray
Green Griffiths Hall Harris Hassan Hayes Hill Hughes Hussain Iqbal Jackson
James Jenkins Johnson Jones Kaur Kelly Kennedy Khan King Knight Lawrence Lee
Lewis Lloyd Macdonald Mahmood Marshall Martin Mason Mensah Miah Mills
Mitchell Moore Morgan Morris Murphy Murray Nelson Nowak Obi Okafor O'Brien
O'Connor Owen Palmer Parker Patel Pearson Phillips Powell Price Quinn Rahman
Reid Reynolds Richards Roberts Robinson Rogers Rose Ross Russell Scott Shah
Sharma Shaw Simpson Singh Smith Stevens Stewart Sutton Taylor Thomas
Thompson Turner Walker Walsh Ward Watson Webb White Williams Wilson Wood
Wright Young
""".split()

# Invented place names: prefix x suffix, shuffled once with a fixed seed so
# that site names do not depend on --seed or --sites.
# No compass points (a "Southford" in the North region reads oddly), except
# the first site, which is always Northby.
TOWN_PREFIXES = """
Ash Brad Cal Dun Elm Fen Glen Hol Kirk Lang Mar Nether Oak Pen Ros Stan
Thorn Wel Wood Brook Cold Hart Lin Mil Bar Crow Hay Sel
""".split()
TOWN_SUFFIXES = """
by mere holm ford ton wick ley bury field stow dale ham worth gate
""".split()

REGIONS = ["North", "South", "Midlands", "East", "West", "North West",
           "North East", "South West", "South East"]

# Kind tables: (cumulative probability, kind, directed, random direction,
# multi-session weight). A dyad (a, b) is stored with a as the natural
# sender: the supervisor, the senior adviser, the referrer. "from" in a
# record is the person who gives the advice, makes the referral or
# supervises; joint-case is undirected.
KINDS = {
    # line manager -> member of their team
    "line": ((0.55, "supervision", "true", False, False),
             (0.85, "advice", "true", False, False),
             (1.00, "joint-case", "false", False, True)),
    # senior practice lead -> practitioner (no line management)
    "lead": ((0.75, "advice", "true", False, False),
             (1.00, "supervision", "true", False, False)),
    # practitioners in the same team
    "peer": ((0.45, "advice", "true", True, False),
             (0.90, "joint-case", "false", False, True),
             (1.00, "referral", "true", True, False)),
    # managers or leads of different teams or organisations
    "team": ((0.50, "referral", "true", True, False),
             (0.80, "advice", "true", True, False),
             (1.00, "joint-case", "false", False, True)),
    # social care with the NHS, adults with children
    "partner": ((0.35, "referral", "true", True, False),
                (0.70, "joint-case", "false", False, True),
                (1.00, "advice", "true", True, False)),
    # co-production with voluntary organisations and experts by experience
    "coprod": ((0.85, "advice", "true", True, False),
               (1.00, "referral", "true", True, False)),
    # peers in other sites of the region (the regional networks)
    "network": ((1.00, "advice", "true", True, False),),
}

# Share of records by category of dyad in year one and in later years.
SHARES_YEAR1 = {"within": 0.88, "span": 0.10, "regional": 0.02}
SHARES_LATER = {"within": 0.66, "span": 0.10, "intro": 0.22,
                "regional": 0.02}

# Relative day weights (integers, so that the split of records over days is
# exact integer arithmetic and cannot vary between platforms).
WEEKDAY_WEIGHT = 100
WEEKEND_WEIGHT = 8      # out-of-hours duty, emergency AMHP work
HOLIDAY_WEIGHT = 30     # 24 December to 1 January

WORKDAY_START = 8 * 3600 + 30 * 60   # records fall between 08:30 and 17:30
WORKDAY_SECONDS = 9 * 3600

SYNTHETIC_NOTE = """\
SYNTHETIC DEMO DATA, made by contrib/spand-demo.py (spand).

people.csv, records.csv and events.csv (and the survey waves
survey-YEAR.csv and programme.csv) describe no real people: names are
drawn at random from lists of common first names and surnames, places are
invented, and every tie is generated. Any likeness to a real person is
chance. Use them to try spand, never as evidence about real services.
"""


def town_names(n):
    """n distinct invented town names, the same for every seed."""
    combos = [p + s for p in TOWN_PREFIXES for s in TOWN_SUFFIXES]
    random.Random("spand-demo/towns").shuffle(combos)
    combos.insert(0, "Northby")
    names = []
    for i in range(n):
        base = combos[i % len(combos)]
        names.append(base if i < len(combos) else
                     f"{base} {i // len(combos) + 1}")
    return names


def region_count(sites):
    """Two or three sites per region for small runs, at most nine."""
    return min(len(REGIONS), max(1, math.ceil(sites / 3)))


class Site:
    """The people of one case site and the dyads they work in."""

    def __init__(self, seed, index, town, region):
        self.index = index
        # Every other site: children's services reach the NHS only
        # through their PSW (a boundary resting on one person).
        self.fragile = index % 2 == 0
        self.seed = seed
        self.town = town
        self.region = region
        self.rng = random.Random(f"spand-demo/{seed}/site/{index}")
        self.people = []      # [id, name, sector, org, role, region, site]
        self.key = {}         # role key -> person id (one-person roles)
        self.team = {}        # team key -> [person ids]
        self._names = set()
        self._build_people()
        self.within, self.span, self.intro = [], [], []
        self.seeds_year1, self.seeds_later = [], []
        self._build_dyads()
        self._choose_leavers(seed)

    def _choose_leavers(self, seed):
        """Who leaves in year two. Its own stream, so that adding turnover
        did not change who works with whom."""
        rng = random.Random(f"spand-demo/{seed}/site/{self.index}/turnover")
        practitioners = [p[0] for p in self.people
                         if p[4] in ("Social worker", "Social worker (AMHP)",
                                     "Occupational therapist")]
        self.leavers = rng.sample(practitioners, rng.randint(2, 3))
        if self.index % 4 == 2:
            self.leavers.append(self.key["c_psw"])
        if self.index % 4 == 3:
            self.leavers.append(self.key["a_tm_hd"])

    # -- people -------------------------------------------------------
    def _name(self):
        rng = self.rng
        while True:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            if name not in self._names:
                self._names.add(name)
                return name

    def _add(self, sector, org, role, key=None, team=None):
        pid = f"p-s{self.index:02d}-{len(self.people) + 1:03d}"
        self.people.append([pid, self._name(), sector, org, role,
                            self.region, self.town])
        if key:
            self.key[key] = pid
        if team:
            self.team.setdefault(team, []).append(pid)
        return pid

    def _build_people(self):
        rng, town = self.rng, self.town
        adults = f"{town} Council adults' services"
        children = f"{town} Council children's services"
        add = self._add
        add("adults", adults, "Assistant Director, adults' social care",
            "a_ad")
        add("adults", adults, "Principal Social Worker (adults)", "a_psw")
        add("adults", adults, "AMHP lead", "a_amhp")
        add("adults", adults, "Principal Occupational Therapist", "a_pot")
        add("adults", adults, "Team manager, adults' locality team",
            "a_tm_loc")
        add("adults", adults, "Team manager, adults' mental health team",
            "a_tm_mh")
        add("adults", adults, "Team manager, hospital discharge team",
            "a_tm_hd")
        teams = ("loc", "mh", "hd")
        for i in range(rng.randint(8, 10)):
            t = teams[i % 3]
            role = "Social worker (AMHP)" if t == "mh" else "Social worker"
            add("adults", adults, role, team=f"a_sw_{t}")
        for _ in range(rng.randint(1, 2)):
            add("adults", adults, "Occupational therapist", team="a_ot")

        add("children", children,
            "Assistant Director, children's social care", "c_ad")
        add("children", children, "Principal Social Worker (children)",
            "c_psw")
        add("children", children, "Team manager, children's front door",
            "c_tm_fd")
        add("children", children, "Team manager, child protection",
            "c_tm_cp")
        add("children", children, "Team manager, leaving care", "c_tm_lc")
        teams = ("fd", "cp", "lc")
        for i in range(rng.randint(7, 9)):
            add("children", children, "Social worker",
                team=f"c_sw_{teams[i % 3]}")

        mh = f"{town} MH Trust"
        ch = f"{town} Community Health NHS Trust"
        add("nhs", mh, "Community mental health team manager", "n_cmht")
        add("nhs", mh, "Consultant psychiatrist", "n_psych")
        add("nhs", f"{self.region} ICB", "Designated nurse for safeguarding",
            "n_icb")
        add("nhs", ch, "District nursing lead", "n_dn")
        add("nhs", ch, "Community therapy lead", "n_ctl")
        add("nhs", ch, "Health visiting lead", "n_hv")

        add("voluntary", f"{town} Carers' Centre", "Chief executive",
            "v_carers")
        add("voluntary", f"{town} Wellbeing Network", "Service manager",
            "v_well")
        add("voluntary", f"{town} Young People's Project", "Director",
            "v_ypp")

        ebe = f"{town} Experts by Experience Forum"
        add("lived_experience", ebe, "Expert by experience", "le1")
        add("lived_experience", ebe, "Expert by experience", "le2")

        if self.fragile:
            # A family nurse who works with children's services through
            # their PSW and with nobody else: if the PSW left, the nurse
            # would be cut off. Named from a stream of its own, so that
            # everyone else's draws are as before.
            saved = self.rng
            self.rng = random.Random(
                f"spand-demo/{self.seed}/site/{self.index}/fnp")
            add("nhs", ch, "Family nurse", "n_fnp")
            self.rng = saved

    def members(self, team):
        return self.team.get(team, [])

    # -- dyads --------------------------------------------------------
    def _build_dyads(self):
        k, m = self.key, self.members
        w = self.within

        def d(lst, a, b, table, weight):
            lst.append((a, b, KINDS[table], weight))

        def pairs(lst, people, table, weight):
            for i, a in enumerate(people):
                for b in people[i + 1:]:
                    d(lst, a, b, table, weight)

        # Adults' services.
        a_tms = [k["a_tm_loc"], k["a_tm_mh"], k["a_tm_hd"]]
        a_sws = m("a_sw_loc") + m("a_sw_mh") + m("a_sw_hd")
        for tm in a_tms:
            d(w, k["a_ad"], tm, "line", 2.0)
            d(w, k["a_psw"], tm, "lead", 1.5)
        for key in ("a_psw", "a_amhp", "a_pot"):
            d(w, k["a_ad"], k[key], "lead", 1.2)
        for t in ("loc", "mh", "hd"):
            for sw in m(f"a_sw_{t}"):
                d(w, k[f"a_tm_{t}"], sw, "line", 6.0)
            pairs(w, m(f"a_sw_{t}"), "peer", 3.0)
        for sw in a_sws:
            d(w, k["a_psw"], sw, "lead", 1.2)
        for sw in m("a_sw_mh"):
            d(w, k["a_amhp"], sw, "lead", 3.0)
        d(w, k["a_amhp"], k["a_tm_mh"], "team", 2.0)
        for ot in m("a_ot"):
            d(w, k["a_pot"], ot, "line", 5.0)
            for sw in m("a_sw_loc"):
                d(w, ot, sw, "peer", 2.0)
        d(w, k["a_pot"], k["a_tm_loc"], "team", 1.5)
        d(w, k["a_psw"], k["a_amhp"], "team", 1.5)
        d(w, k["a_psw"], k["a_pot"], "team", 1.5)
        pairs(w, a_tms, "team", 2.0)
        for i, a in enumerate(a_sws):   # across adults' teams, rarely
            for b in a_sws[i + 1:]:
                d(w, a, b, "peer", 0.3)

        # Children's services.
        c_tms = [k["c_tm_fd"], k["c_tm_cp"], k["c_tm_lc"]]
        c_sws = m("c_sw_fd") + m("c_sw_cp") + m("c_sw_lc")
        for tm in c_tms:
            d(w, k["c_ad"], tm, "line", 2.0)
            d(w, k["c_psw"], tm, "lead", 1.5)
        d(w, k["c_ad"], k["c_psw"], "lead", 1.2)
        for t in ("fd", "cp", "lc"):
            for sw in m(f"c_sw_{t}"):
                d(w, k[f"c_tm_{t}"], sw, "line", 6.0)
            pairs(w, m(f"c_sw_{t}"), "peer", 3.0)
        for sw in c_sws:
            d(w, k["c_psw"], sw, "lead", 1.2)
        pairs(w, c_tms, "team", 2.0)
        for i, a in enumerate(c_sws):
            for b in c_sws[i + 1:]:
                d(w, a, b, "peer", 0.3)

        # NHS, voluntary sector, experts by experience: within each.
        pairs(w, [k["n_cmht"], k["n_psych"]], "peer", 3.0)
        pairs(w, [k["n_dn"], k["n_ctl"], k["n_hv"]], "peer", 2.0)
        for key in ("n_cmht", "n_dn", "n_ctl", "n_hv"):
            d(w, k["n_icb"], k[key], "team", 1.0)
        pairs(w, [k["v_carers"], k["v_well"], k["v_ypp"]], "team", 1.5)
        d(w, k["le1"], k["le2"], "coprod", 2.0)

        # Year-one boundary spanners: (spanner, partners in other sectors,
        # the spanner's own team). From year two the team members start to
        # work directly with the partners ("intro" dyads): the spanner opens
        # the gate. Partners are tied to the spanner only, never to the
        # team, in year one.
        span_specs = [
            ("a_amhp", ["n_cmht", "n_psych"],
             [k["a_tm_mh"]] + m("a_sw_mh")),
            ("a_psw", ["c_tm_lc", "c_psw", "v_carers", "le1", "le2"],
             [k["a_tm_loc"]] + m("a_sw_loc") + m("a_sw_hd")),
            ("c_psw", ["n_icb", "n_hv", "v_ypp"],
             [k["c_tm_fd"], k["c_tm_cp"]] + m("c_sw_fd") + m("c_sw_cp")),
            ("a_pot", ["n_ctl"], m("a_ot") + [k["a_tm_loc"]]),
            ("a_tm_hd", ["n_dn"], m("a_sw_hd")),
        ]
        sector = {p[0]: p[2] for p in self.people}
        span_seen = set()

        def span_table(pid):
            return ("coprod" if sector[pid] in ("voluntary",
                                                "lived_experience")
                    else "partner")

        for s_key, partner_keys, team in span_specs:
            s = k[s_key]
            partners = [k[p] for p in partner_keys]
            # The PSW for adults also sits on the transitions panel with
            # two leaving-care social workers.
            if s_key == "a_psw":
                partners += m("c_sw_lc")[:2]
            for p in partners:
                if (s, p) not in span_seen:
                    span_seen.add((s, p))
                    d(self.span, s, p, span_table(p), 3.0)
            for t in team:
                chosen = self.rng.sample(partners, min(2, len(partners)))
                if self.fragile and s_key == "c_psw":
                    # The gate to the NHS stays with the PSW alone.
                    chosen = [p for p in chosen if sector[p] != "nhs"]
                for p in chosen:
                    d(self.intro, t, p, span_table(p), 3.0)
                    # Make sure the two halves of the path exist in year
                    # one, and the new tie in year two, whatever the number
                    # of records.
                    self.seeds_year1.append((s, t, KINDS["lead"]))
                    self.seeds_year1.append((s, p, KINDS[span_table(p)]))
                    self.seeds_later.append((t, p, KINDS[span_table(p)]))
        if self.fragile:
            d(self.span, k["c_psw"], k["n_fnp"], "partner", 2.0)
            self.seeds_year1.append((k["c_psw"], k["n_fnp"],
                                     KINDS["partner"]))
            self.seeds_later.append((k["c_psw"], k["n_fnp"],
                                     KINDS["partner"]))
        # Strategic ties across sectors at the top.
        d(self.span, k["a_ad"], k["c_ad"], "team", 1.5)
        d(self.span, k["a_ad"], k["n_icb"], "team", 1.0)
        d(self.span, k["n_cmht"], k["v_well"], "partner", 1.5)
        # Deduplicate seeds, keeping first occurrence (list order is
        # deterministic; the set only answers membership).
        self.seeds_year1 = dedup(self.seeds_year1)
        self.seeds_later = dedup(self.seeds_later)


def dedup(seeds):
    seen, out = set(), []
    for s in seeds:
        if (s[0], s[1]) not in seen:
            seen.add((s[0], s[1]))
            out.append(s)
    return out


def regional_dyads(sites, by_region, later):
    """Advice between the same leads in neighbouring sites of a region."""
    out = {s.index: [] for s in sites}
    for members in by_region.values():
        n = len(members)
        for i, s in enumerate(members):
            # Up to three neighbours, so that a region of a hundred sites
            # does not make every PSW advise every other one.
            for j in range(1, min(3, n - 1) + 1):
                o = members[(i + j) % n]
                for key in ("a_psw", "c_psw", "a_amhp", "a_pot"):
                    out[s.index].append((s.key[key], o.key[key],
                                         KINDS["network"], 1.0))
                if later:
                    out[s.index].append((s.key["a_psw"], o.key["c_psw"],
                                         KINDS["network"], 1.0))
    return out


def make_pool(categories, shares):
    """Flatten weighted dyads into (dyads, cumulative weights, total).

    Each category gets its share of the total whatever its number of
    dyads; empty categories give their share to the others."""
    live = {c: d for c, d in categories.items() if d}
    total_share = sum(shares[c] for c in live)
    dyads, cum, acc = [], [], 0.0
    for c in shares:                      # fixed order: shares' keys
        if c not in live:
            continue
        cat_total = sum(x[3] for x in live[c])
        scale = shares[c] / total_share / cat_total
        for a, b, table, weight in live[c]:
            acc += weight * scale
            dyads.append((a, b, table))
            cum.append(acc)
    return dyads, cum, acc


def add_days(d, n):
    return d + dt.timedelta(days=n)


def add_years(d, n):
    try:
        return d.replace(year=d.year + n)
    except ValueError:                    # 29 February
        return d.replace(year=d.year + n, day=28)


def day_weight(d):
    if (d.month == 12 and d.day >= 24) or (d.month == 1 and d.day == 1):
        return HOLIDAY_WEIGHT
    return WEEKEND_WEIGHT if d.weekday() >= 5 else WEEKDAY_WEIGHT


def nth_weekday(d, weekday, n):
    return d.weekday() == weekday and (d.day - 1) // 7 == n - 1


class Clock:
    """Formats seconds of a day as HH:MM:SS, cached (the hot loop calls it
    once per record)."""

    def __init__(self):
        self.cache = {}

    def __call__(self, secs):
        s = self.cache.get(secs)
        if s is None:
            s = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
            self.cache[secs] = s
        return s


def attend(rng, people, p):
    return [x for x in people if rng.random() < p]


def day_events(rng, d, later, sites, by_region, region_idx, gone):
    """Events held on day d: (seconds, kind, participants); people in
    gone (those who have left) do not come."""
    out = []
    joint_month = later and d.month % 2 == 1
    for r_name, members in by_region.items():
        n = 1 + region_idx[r_name] % 3   # the region's nth Tuesday/Wednesday
        a = [s.key["a_psw"] for s in members]
        c = [s.key["c_psw"] for s in members]
        pots = [s.key["a_pot"] for s in members]
        if nth_weekday(d, 1, n):
            if joint_month:               # joint adults' and children's
                people = attend(rng, a + c, 0.85) + attend(rng, pots, 0.25)
            else:                         # adults' PSW network
                people = attend(rng, a, 0.85) + attend(rng, pots, 0.25)
            out.append((10 * 3600, "meeting", people))
        if nth_weekday(d, 2, n) and not joint_month:   # children's network
            out.append((10 * 3600, "meeting", attend(rng, c, 0.85)))
    for s in sites:
        n = 1 + s.index % 4
        k, m = s.key, s.members
        adults = ([k["a_pot"], k["a_amhp"], k["a_tm_loc"], k["a_tm_mh"],
                   k["a_tm_hd"]] + m("a_sw_loc") + m("a_sw_mh") +
                  m("a_sw_hd") + m("a_ot"))
        children = ([k["c_tm_fd"], k["c_tm_cp"], k["c_tm_lc"]] +
                    m("c_sw_fd") + m("c_sw_cp") + m("c_sw_lc"))
        if nth_weekday(d, 3, n):          # adults' CPD, or joint in year two
            people = [k["a_psw"]] + attend(rng, adults, 0.45)
            if joint_month:
                people += [k["c_psw"]] + attend(rng, children, 0.45)
                guests = [k["le1"], k["le2"], k["v_carers"], k["v_ypp"]]
                if not s.fragile:
                    guests = [k["n_cmht"], k["n_hv"]] + guests
                people += attend(rng, guests, 0.4)
            out.append((13 * 3600 + 1800, "cpd", people))
        if nth_weekday(d, 2, n):          # children's CPD
            people = [k["c_psw"]] + attend(rng, children, 0.45)
            out.append((13 * 3600 + 1800, "cpd", people))
    out = [(t, kind, [x for x in p if x not in gone]) for t, kind, p in out]
    # A meeting of one is not a tie: keep events of two or more.
    return [(t, kind, sorted(p)) for t, kind, p in out if len(p) >= 2]


def generate(args, outdir):
    start = args.start
    end = add_years(start, args.years)
    year2 = add_years(start, 1)
    ndays = (end - start).days
    towns = town_names(args.sites)
    nreg = region_count(args.sites)
    # Contiguous blocks of sites per region: sites 1-3 North, 4-6 South...
    sites = []
    for i in range(args.sites):
        region = REGIONS[i * nreg // args.sites]
        sites.append(Site(args.seed, i + 1, towns[i], region))
    by_region = {}
    for s in sites:
        by_region.setdefault(s.region, []).append(s)
    region_idx = {r: i for i, r in enumerate(by_region)}

    # --- people.csv (small: written with the csv module for quoting) ---
    tmp = os.path.join(outdir, ".people.csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["id", "name", "sector", "org", "role", "region",
                     "site", "left"])
        for s in sites:
            gone = set(s.leavers) if args.years >= 2 else set()
            wr.writerows(p + [str(year2.year) if p[0] in gone else ""]
                         for p in s.people)
    os.replace(tmp, os.path.join(outdir, "people.csv"))
    npeople = sum(len(s.people) for s in sites)

    # --- pools of dyads per site, one for year one, one for later -----
    reg1 = regional_dyads(sites, by_region, later=False)
    reg2 = regional_dyads(sites, by_region, later=True)
    pools1 = [make_pool({"within": s.within, "span": s.span,
                         "regional": reg1[s.index]}, SHARES_YEAR1)
              for s in sites]
    pools2 = [make_pool({"within": s.within, "span": s.span,
                         "intro": s.intro, "regional": reg2[s.index]},
                        SHARES_LATER) for s in sites]
    # One leaving date for everyone who leaves (July to October of year
    # two), so that after it no pool, not even a neighbouring site's
    # regional one, names a leaver.
    leave = add_days(year2, random.Random(
        f"spand-demo/{args.seed}/turnover").randint(180, 300))
    left_by = {p: leave for s in sites for p in s.leavers}

    def staying(dyads):
        return [x for x in dyads
                if x[0] not in left_by and x[1] not in left_by]

    pools3 = [make_pool({"within": staying(s.within),
                         "span": staying(s.span),
                         "intro": staying(s.intro),
                         "regional": staying(reg2[s.index])},
                        SHARES_LATER) for s in sites]

    # --- mandatory records (the brokerage paths), placed on days --------
    rng = random.Random(f"spand-demo/{args.seed}/records")
    days = [start + dt.timedelta(days=i) for i in range(ndays)]
    later_days = [i for i, d in enumerate(days) if d >= year2]
    year1_days = [i for i, d in enumerate(days) if d < year2]
    seeds = []
    for s in sites:
        # Year-one halves of each path in the first eight months, the new
        # tie somewhere in the first ten months of year two.
        for a, b, table in s.seeds_year1:
            day = year1_days[rng.randrange(max(1, len(year1_days) * 2 // 3))]
            seeds.append((day, a, b, table))
        if later_days:
            for a, b, table in s.seeds_later:
                # A leaver's new tie comes before they leave.
                last = min(left_by.get(a, end), left_by.get(b, end))
                span = min(len(later_days), 304, (last - year2).days)
                day = later_days[rng.randrange(max(1, span))]
                seeds.append((day, a, b, table))
    if len(seeds) > args.records:
        # Too few records to hold every path: keep a deterministic sample.
        seeds = rng.sample(seeds, args.records)
    seeds_by_day = {}
    for day, a, b, table in seeds:
        seeds_by_day.setdefault(day, []).append((a, b, table))

    # Split the remaining records over days by weight, exactly.
    n_random = args.records - len(seeds)
    weights = [day_weight(d) for d in days]
    total_w = sum(weights)

    rnd = rng.random
    clock = Clock()
    nsites = len(sites)
    width = max(6, len(str(args.records)))
    rec_id = 0
    cum_w = 0
    prev_quota = 0
    tmp = os.path.join(outdir, ".records.csv.tmp")
    f = open(tmp, "w", encoding="utf-8", newline="", buffering=1 << 20)
    f.write("id,ts,from,to,kind,weight,directed\n")

    def one(a, b, table):
        r = rnd()
        for thr, kind, directed, randdir, multi in table:
            if r < thr:
                break
        if randdir and rnd() < 0.5:
            a, b = b, a
        weight = "1"
        if multi:
            r = rnd()
            weight = "3" if r < 0.08 else "2" if r < 0.3 else "1"
        secs = WORKDAY_START + int(rnd() * WORKDAY_SECONDS)
        return (secs, a, b, kind, weight, directed)

    for i, d in enumerate(days):
        cum_w += weights[i]
        quota = n_random * cum_w // total_w
        count, prev_quota = quota - prev_quota, quota
        later = d >= year2
        today = [one(a, b, t) for a, b, t in seeds_by_day.get(i, ())]
        for _ in range(count):
            si = int(rnd() * nsites)
            if not later:
                dyads, cum, tot = pools1[si]
            elif d < leave:
                dyads, cum, tot = pools2[si]
            else:
                dyads, cum, tot = pools3[si]
            j = bisect.bisect_right(cum, rnd() * tot)
            a, b, table = dyads[j if j < len(dyads) else -1]
            today.append(one(a, b, table))
        today.sort()
        date = d.isoformat()
        lines = []
        for secs, a, b, kind, weight, directed in today:
            rec_id += 1
            lines.append(f"r{rec_id:0{width}d},{date}T{clock(secs)}Z,"
                         f"{a},{b},{kind},{weight},{directed}\n")
        f.write("".join(lines))
    f.close()
    os.replace(tmp, os.path.join(outdir, "records.csv"))

    # --- events.csv ------------------------------------------------------
    erng = random.Random(f"spand-demo/{args.seed}/events")
    tmp = os.path.join(outdir, ".events.csv.tmp")
    nevents = 0
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write("id,ts,kind,participants\n")
        for d in days:
            gone = {p for p, day in left_by.items() if day <= d}
            evs = day_events(erng, d, d >= year2, sites, by_region,
                             region_idx, gone)
            for secs, kind, people in sorted(evs, key=lambda e: e[0]):
                nevents += 1
                f.write(f"e{nevents:04d},{d.isoformat()}T{clock(secs)}Z,"
                        f"{kind},{';'.join(people)}\n")
    os.replace(tmp, os.path.join(outdir, "events.csv"))
    surveys(args, sites, outdir, left_by)
    with open(os.path.join(outdir, "README.txt"), "w",
              encoding="utf-8") as f:
        f.write(SYNTHETIC_NOTE)
    return npeople, len(by_region), rec_id, nevents


SURVEY_ALTERS = 8   # alter columns in the survey exports
COHORT_SIZE = 24    # people in programme=2025, and in programme=control


def accented(name):
    """The name as a respondent with a French keyboard might type it."""
    for plain, acc in (("e", "\u00e9"), ("a", "\u00e0"), ("o", "\u00f6"),
                       ("i", "\u00ef")):
        if plain in name:
            return name.replace(plain, acc, 1)
    return name.upper()


def surveys(args, sites, outdir, left_by):
    """Two survey waves of the sites' leaders and the programme cohorts.

    From their own stream, so that people.csv, records.csv and events.csv
    are the same with or without them. The leaders (the one-person roles)
    answer "who did you go to for advice about working across services?"
    half a year into each of the first two years. Others keep about 70% of
    their named colleagues and replace the rest alike (mostly their own
    sector), so their cross-sector ties do not change on average;
    programme=2025 members (the "Leading across boundaries" cohort) name
    three more colleagues in other sectors in the second wave;
    programme=control is as many other people drawn at random. About one
    cell in fifteen holds the colleague's name instead of their id (some
    upper-cased or accented), one name is misspelt, and a few leaders do
    not answer a wave. People who have left by a wave neither answer it
    nor are named in it."""
    rng = random.Random(f"spand-demo/{args.seed}/survey")
    info = {}
    leaders = []
    for s in sites:
        for p in s.people:
            info[p[0]] = (p[1], p[2], s)
        leaders.extend(s.key.values())
    pool = list(leaders)
    cohort = rng.sample(pool, min(COHORT_SIZE, len(pool) // 3))
    # The control label is drawn from everyone else, so that it is a
    # random label in the population the cohort test compares with (drawn
    # from the leaders only, it would differ from the others by being
    # leaders, whom the cohort's new ties rarely reach).
    rest = [p[0] for s in sites for p in s.people if p[0] not in cohort]
    control = rng.sample(rest, len(cohort))

    def pick(pid, same_sector, exclude, when=None):
        name, sector, site = info[pid]
        cands = [q[0] for q in site.people
                 if q[0] != pid and q[0] not in exclude and
                 (when is None or q[0] not in left_by or
                  left_by[q[0]] > when) and
                 (q[2] == sector) == same_sector]
        return rng.choice(cands) if cands else None

    def first_wave(pid):
        named = []
        for _ in range(rng.randint(3, 5)):
            q = pick(pid, rng.random() < 0.85, named)
            if q:
                named.append(q)
        return named

    def second_wave(pid, before):
        when = waves[1]
        named = [q for q in before if rng.random() < 0.7 and
                 (q not in left_by or left_by[q] > when)]
        while len(named) < len(before):
            q = pick(pid, rng.random() < 0.85, named + before, when)
            if not q:
                break
            named.append(q)
        if pid in cohort:
            for _ in range(3):
                q = pick(pid, False, named + before, when)
                if q:
                    named.append(q)
        return named

    wave1 = add_years(args.start, 0) + dt.timedelta(days=182)
    waves = [wave1, add_years(wave1, 1)]
    answers = [{}, {}]
    for pid in leaders:
        answers[0][pid] = first_wave(pid)
        answers[1][pid] = second_wave(pid, answers[0][pid])
    misspelt = False
    files = []
    for w, when in enumerate(waves):
        fname = f"survey-{when.year}.csv"
        files.append(fname)
        tmp = os.path.join(outdir, f".{fname}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            wr = csv.writer(f, lineterminator="\n")
            wr.writerow(["respondent"] +
                        [f"alter{i + 1}" for i in range(SURVEY_ALTERS)] +
                        [f"strength{i + 1}" for i in range(SURVEY_ALTERS)])
            for pid in leaders:
                if pid not in cohort and rng.random() < 0.06:
                    continue  # did not answer this wave
                if pid in left_by and left_by[pid] <= when:
                    continue  # gone by then
                cells, strengths = [], []
                for q in answers[w][pid][:SURVEY_ALTERS]:
                    r = rng.random()
                    if r < 0.04:
                        cells.append(info[q][0])
                    elif r < 0.05:
                        cells.append(info[q][0].upper())
                    elif r < 0.065:
                        cells.append(accented(info[q][0]))
                    else:
                        cells.append(q)
                    if w == 1 and not misspelt and cells[-1] != q:
                        first, _, last = cells[-1].partition(" ")
                        cells[-1] = f"{first} {last[:-2]}{last[-1]}"
                        misspelt = True
                    strengths.append(str(rng.choice((1, 1, 2, 3))))
                pad = SURVEY_ALTERS - len(cells)
                wr.writerow([pid] + cells + [""] * pad + strengths +
                            [""] * pad)
        os.replace(tmp, os.path.join(outdir, fname))
    tmp = os.path.join(outdir, ".programme.csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write("id,programme\n")
        for pid in sorted(cohort):
            f.write(f"{pid},2025\n")
        for pid in sorted(control):
            f.write(f"{pid},control\n")
    os.replace(tmp, os.path.join(outdir, "programme.csv"))
    return [w.isoformat() for w in waves]


def positive_int(minimum):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
        if v < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return v
    return parse


def iso_date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date YYYY-MM-DD: {text!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="spand-demo.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Generate a deterministic demo collaboration network\n"
                    "(people.csv, records.csv, events.csv) for spand.",
        epilog=f"""\
The default is six local-authority case sites of about 40 people each in
two regions, {DEFAULT_RECORDS_PER_SITE} records per site over two years.
Year one is strongly within site and sector; year two adds cross-sector
work brokered by the year-one boundary spanners, and joint adults' and
children's meetings and CPD sessions.

The data are synthetic (invented people and places); README.txt in OUTDIR
says so next to the files.

people.csv   id,name,sector,org,role,region,site,left
             sector: adults, children, nhs, voluntary, lived_experience
             left: the year a person left (year two), empty otherwise
records.csv  id,ts,from,to,kind,weight,directed
             kind: advice, referral, supervision, joint-case; "from" gives
             the advice, makes the referral, or supervises; joint-case is
             undirected (directed=false)
events.csv   id,ts,kind,participants (';'-separated person ids)
             kind: meeting (regional PSW networks), cpd (site CPD)
survey-YEAR.csv  respondent,alter1..alter8,strength1..strength8: the
             leaders' answers half a year into years one and two
             (waves START+182 days and a year later: 2024-07-01 and
             2025-07-01 by default); some alters by name, one misspelt
programme.csv  id,programme: 2025 for the programme's cohort (who name
             three more colleagues in other sectors in wave two) and
             control for as many other people drawn at random

Times are ISO 8601 UTC. The same seed and flags give byte-identical files.
Records are streamed day by day, so --records 10000000 needs no more
memory than --records 1000. Try a gate-opening analysis with the first
year as baseline and the second as window.

examples:
  spand-demo.py /tmp/demo
  spand-demo.py --sites 200 --records 1000000 --seed 7 /tmp/big""")
    ap.add_argument("--seed", type=int, default=1,
                    help="random seed (default 1)")
    ap.add_argument("--sites", type=positive_int(1), default=6,
                    help="number of case sites, about 40 people each "
                         "(default 6)")
    ap.add_argument("--years", type=positive_int(1), default=2,
                    help="years covered; year one is the baseline "
                         "(default 2)")
    ap.add_argument("--start", type=iso_date, default=dt.date(2024, 1, 1),
                    help="first day, YYYY-MM-DD (default 2024-01-01)")
    ap.add_argument("--records", type=positive_int(0), default=None,
                    help="total number of records (default "
                         f"{DEFAULT_RECORDS_PER_SITE} x sites)")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="do not print the summary line on stderr")
    ap.add_argument("outdir", metavar="OUTDIR",
                    help="directory to write into (created if missing; "
                         "existing files of the same names are replaced)")
    args = ap.parse_args(argv)
    if args.records is None:
        args.records = DEFAULT_RECORDS_PER_SITE * args.sites
    try:
        os.makedirs(args.outdir, exist_ok=True)
    except OSError as e:
        ap.exit(2, f"spand-demo.py: cannot create {args.outdir}: "
                   f"{e.strerror}\n")
    t0 = time.monotonic()
    try:
        npeople, nreg, nrec, nev = generate(args, args.outdir)
    except OSError as e:
        ap.exit(1, f"spand-demo.py: {e.filename or args.outdir}: "
                   f"{e.strerror}\n")
    if not args.quiet:
        print(f"spand-demo.py: synthetic demo data (no real people): "
              f"{npeople} people in {args.sites} sites and "
              f"{nreg} regions, {nrec} records, {nev} events -> "
              f"{args.outdir} ({time.monotonic() - t0:.1f} s)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
