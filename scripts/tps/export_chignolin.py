#!/usr/bin/env python3
"""Export chignolin (GYDPETGTWG) under protein.ff14SBonlysc with OpenMM's GBn2 implicit solvent
(implicit/gbn2.xml) for socbench's own force field, plus the OpenMM Reference-platform fixtures
our implementation is tested against (issue 42). Run once, commit the output; tests and runs
never need OpenMM.

    python3 -m venv /tmp/omm && /tmp/omm/bin/pip install openmm
    /tmp/omm/bin/pip download --no-deps -d /tmp/ommff openmmforcefields==0.15.1
    tar xzf /tmp/ommff/openmmforcefields-0.15.1.tar.gz -C /tmp/ommff
    /tmp/omm/bin/python scripts/tps/export_chignolin.py \
        /tmp/ommff/openmmforcefields-0.15.1/openmmforcefields/ffxml/amber/protein.ff14SBonlysc.xml

(openmmforcefields is MIT-licensed; only its ffxml file is read, so it need not be installed.)

Reads targets/data/chignolin/1uao-heavy.pdb (the heavy atoms of wwPDB 1UAO model 1, CC0) and
writes into targets/data/chignolin/:
  system.json    the System OpenMM builds with NoCutoff and no constraints: bonded terms,
                 nonbonded parameters and exceptions, and the GBn2 section (per-atom charge,
                 offset radius, scaled radius, alpha, beta, gamma, radius index; the neck tables).
  folded.pdb     1UAO with hydrogens added at pH 7 (charged termini, Asp and Glu deprotonated),
                 minimised.
  unfolded.pdb   the first frame (every 10 ps) of a 600 K Langevin run from the folded
                 structure that, minimised, is more than 0.5 nm (CA RMSD) from it.
  fixtures.json  for 14 configurations (the unminimised and minimised folded structure, the
                 unfolded one, thermal frames at 300 K and 800 K, distorted ones): positions (nm),
                 the potential energy in total and per force (kJ/mol), and per term (bonded,
                 nonbonded, gb) its energy and forces (kJ/mol/nm), all from the Reference platform.
"""

import json
import os
import sys

import numpy as np
import openmm
import openmm.app as app
import openmm.unit as unit

import omm_common as common

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "targets", "data", "chignolin")
TERMS = {"bonded": ["HarmonicBondForce", "HarmonicAngleForce", "PeriodicTorsionForce"],
         "nonbonded": ["NonbondedForce"], "gb": ["CustomGBForce"]}
UNFOLD_T, UNFOLD_RMSD = 600.0, 0.5


def ca_rmsd(top, x, y):
    """CA RMSD (nm) after optimal superposition (Kabsch)."""
    ca = [a.index for a in top.atoms() if a.name == "CA"]
    p = np.asarray(x)[ca] - np.asarray(x)[ca].mean(0)
    q = np.asarray(y)[ca] - np.asarray(y)[ca].mean(0)
    u, s, vt = np.linalg.svd(p.T @ q)
    s[-1] *= np.sign(np.linalg.det(u @ vt))
    return float(np.sqrt(max((p * p).sum() + (q * q).sum() - 2 * s.sum(), 0.0) / len(ca)))


def unfold(ff, top, system, folded, seed=7):
    """Langevin at UNFOLD_T (hydrogen bonds constrained, 2 fs, CPU platform) from `folded`
    until a frame, minimised under `system`, is more than UNFOLD_RMSD (CA RMSD) from it;
    checked every 10 ps, for at most 5 ns."""
    hot = ff.createSystem(top, nonbondedMethod=app.NoCutoff, constraints=app.HBonds)
    integ = openmm.LangevinMiddleIntegrator(UNFOLD_T * unit.kelvin, 1.0 / unit.picosecond,
                                            0.002 * unit.picoseconds)
    integ.setRandomNumberSeed(seed)
    ctx = openmm.Context(hot, integ, openmm.Platform.getPlatformByName("CPU"),
                         {"Threads": "1"})
    ctx.setPositions(folded)
    ctx.setVelocitiesToTemperature(UNFOLD_T * unit.kelvin, seed)
    ref = folded.value_in_unit(unit.nanometer)
    for block in range(500):
        integ.step(5000)
        x = ctx.getState(getPositions=True).getPositions(asNumpy=True)
        if ca_rmsd(top, x.value_in_unit(unit.nanometer), ref) <= UNFOLD_RMSD:
            continue
        x = common.minimise(system, x)
        r = ca_rmsd(top, x.value_in_unit(unit.nanometer), ref)
        print("%d ps at %g K: minimised frame at CA RMSD %.3f nm" % (10 * (block + 1), UNFOLD_T, r))
        if r > UNFOLD_RMSD:
            return x
    raise SystemExit("no unfolding within 5 ns at %g K" % UNFOLD_T)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    ff = app.ForceField(sys.argv[1], "implicit/gbn2.xml")
    pdb = app.PDBFile(os.path.join(DATA, "1uao-heavy.pdb"))
    modeller = app.Modeller(pdb.topology, pdb.positions)
    modeller.addHydrogens(ff, pH=7.0)
    top = modeller.topology
    system = common.one_group_per_force(ff.createSystem(
        top, nonbondedMethod=app.NoCutoff, constraints=None, removeCMMotion=False))
    out = common.export(system, top, "protein.ff14SBonlysc.xml (openmmforcefields 0.15.1) + "
                                     "implicit/gbn2.xml, NoCutoff, no constraints")
    print("%d atoms, forces %s" % (len(out["atoms"]), out["forces"]))
    with open(os.path.join(DATA, "system.json"), "w") as f:
        json.dump(out, f, indent=1)
    start = modeller.getPositions()
    start = np.asarray(start.value_in_unit(unit.nanometer)) * unit.nanometer
    folded = common.minimise(system, start)
    common.write_pdb(top, folded, os.path.join(DATA, "folded.pdb"))
    unfolded = unfold(ff, top, system, folded)
    common.write_pdb(top, unfolded, os.path.join(DATA, "unfolded.pdb"))
    confs = [("pdb-with-hydrogens", start), ("folded", folded), ("unfolded", unfolded)]
    for t, seed, x0, name in [(300, 1, folded, "folded"), (800, 2, folded, "folded"),
                              (300, 3, unfolded, "unfolded")]:
        n = 1 if name == "unfolded" else 3
        for k, x in enumerate(common.thermal_frames(system, x0, t, n, seed, platform="CPU")):
            confs.append(("%s-%dK-%d" % (name, t, k), x))
    confs.extend(common.distorted(folded, seed=4))
    fixtures = []
    for name, x in confs:
        row = {"name": name, "positions": np.asarray(x.value_in_unit(unit.nanometer)).tolist()}
        row.update(common.evaluate(system, x, TERMS))
        del row["forces"]  # the sum of the terms' forces
        fixtures.append(row)
        print("%-20s E = %12.4f kJ/mol (gb %10.4f)" % (name, row["energy"],
                                                       row["terms"]["gb"]["energy"]))
    with open(os.path.join(DATA, "fixtures.json"), "w") as f:
        json.dump({"source": "OpenMM %s Reference platform" % openmm.__version__,
                   "configurations": fixtures}, f)


if __name__ == "__main__":
    main()
