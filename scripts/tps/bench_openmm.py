#!/usr/bin/env python3
"""OpenMM's energy-and-force evaluations per second for chignolin (ff14SBonlysc + GBn2, NoCutoff,
no constraints: the System of targets/data/chignolin/system.json) at the folded state, on the
Reference platform (double precision) and the CPU platform (mixed precision) with one thread
and with every core: the counterpart of `molecule/chignolin_gbn2_forces` in
`cargo xtask bench` (issue 42, point 6). Run it alone on the machine, with the same venv and
force-field file as export_chignolin.py:

    /tmp/omm/bin/python scripts/tps/bench_openmm.py PATH/protein.ff14SBonlysc.xml

Prints one CSV row per platform: platform,threads,evals_per_s,seconds,evals.
"""

import os
import sys
import time

import openmm
import openmm.app as app

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "targets", "data", "chignolin")


def rate(system, positions, platform, props, seconds=5.0):
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001),
                         openmm.Platform.getPlatformByName(platform), props)
    ctx.setPositions(positions)
    ctx.getState(getEnergy=True, getForces=True)  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        # Setting the positions invalidates OpenMM's cached forces, as a new path step would.
        ctx.setPositions(positions)
        ctx.getState(getEnergy=True, getForces=True)
        n += 1
    elapsed = time.perf_counter() - start
    return n / elapsed, elapsed, n


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    ff = app.ForceField(sys.argv[1], "implicit/gbn2.xml")
    pdb = app.PDBFile(os.path.join(DATA, "folded.pdb"))
    system = ff.createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=None,
                             removeCMMotion=False)
    print("platform,threads,evals_per_s,seconds,evals")
    runs = [("Reference", {}), ("CPU", {"Threads": "1"}),
            ("CPU", {"Threads": str(os.cpu_count())})]
    for platform, props in runs:
        r, s, n = rate(system, pdb.positions, platform, props)
        print("%s,%s,%.1f,%.2f,%d" % (platform, props.get("Threads", "1"), r, s, n))


if __name__ == "__main__":
    main()
