#!/usr/bin/env python3
"""Export alanine dipeptide (ACE-ALA-NME, vacuum) under OpenMM's amber99sbildn.xml for socbench's
own force field, plus the OpenMM Reference-platform fixtures our implementation is tested against
(issue 22). Run once, commit the output; tests and runs never need OpenMM.

    python3 -m venv /tmp/omm && /tmp/omm/bin/pip install openmm
    /tmp/omm/bin/python scripts/tps/export_openmm.py

Writes into targets/data/alanine-dipeptide/:
  system.json    the parameters of the System OpenMM builds from amber99sbildn.xml with
                 NoCutoff and no constraints: masses, harmonic bonds and angles, periodic
                 torsions (proper and improper), per-atom charge/sigma/epsilon and the exception
                 list (1-2 and 1-3 exclusions, scaled 1-4 pairs), in OpenMM units (nm, ps, amu,
                 kJ/mol, rad, e).
  c5.pdb, c7ax.pdb  the C5 and C7ax minima: minimised with (phi, psi) restrained near the basin,
                 then minimised again without the restraint.
  fixtures.json  for 12 configurations (start structure, its minimum, C5, C7ax, thermal frames at
                 300 K and 1000 K, distorted ones): positions (nm), the potential energy in total
                 and per force (kJ/mol), and the forces (kJ/mol/nm), all from the Reference
                 platform (double precision).

The input PDB is openmmtools' alanine-dipeptide-gbsa/alanine-dipeptide.pdb (MIT licence, copied
with its licence next to it).
"""

import json
import math
import os

import numpy as np
import openmm
import openmm.app as app
import openmm.unit as unit

import omm_common as common

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "targets", "data", "alanine-dipeptide")
# phi = C(ACE)-N-CA-C, psi = N-CA-C-N(NME) (0-based atom indices of the PDB).
PHI = (4, 6, 8, 14)
PSI = (6, 8, 14, 16)
# Basin centres used to seed the minimisations (degrees).
BASINS = {"c5": (-150.0, 155.0), "c7ax": (70.0, -70.0)}


def build_system(topology):
    ff = app.ForceField("amber99sbildn.xml")
    return common.one_group_per_force(ff.createSystem(
        topology, nonbondedMethod=app.NoCutoff, constraints=None, rigidWater=False,
        removeCMMotion=False))


def minimise(system, pos, restrain=None):
    """L-BFGS to tolerance 1e-3 kJ/mol/nm; with `restrain` = (phi, psi) in degrees, a harmonic
    torsion restraint of 500 kJ/mol/rad^2 on each."""
    r = None
    if restrain is not None:
        r = openmm.CustomTorsionForce("0.5*k*min(dtheta, 2*pi-dtheta)^2;"
                                      "dtheta = abs(theta-theta0); pi = 3.141592653589793")
        r.addPerTorsionParameter("theta0")
        r.addGlobalParameter("k", 500.0)
        r.addTorsion(*PHI, [math.radians(restrain[0])])
        r.addTorsion(*PSI, [math.radians(restrain[1])])
    return common.minimise(system, pos, r)


def dihedral(x, idx):
    p = [np.asarray(x[i]) for i in idx]
    b0, b1, b2 = p[0] - p[1], p[2] - p[1], p[3] - p[2]
    b1 = b1 / np.linalg.norm(b1)
    v = b0 - np.dot(b0, b1) * b1
    w = b2 - np.dot(b2, b1) * b1
    return math.degrees(math.atan2(np.dot(np.cross(b1, v), w), np.dot(v, w)))


def main():
    pdb = app.PDBFile(os.path.join(DATA, "alanine-dipeptide.pdb"))
    top = pdb.topology
    system = build_system(top)
    with open(os.path.join(DATA, "system.json"), "w") as f:
        json.dump(common.export(system, top, "amber99sbildn.xml, NoCutoff, no constraints"),
                  f, indent=1)
    start = pdb.getPositions(asNumpy=True)
    confs = [("pdb", start), ("pdb-minimised", minimise(system, start))]
    for name, basin in BASINS.items():
        x = minimise(system, minimise(system, start, restrain=basin))
        print("%s: phi %.1f psi %.1f" % (name, dihedral(x._value, PHI), dihedral(x._value, PSI)))
        common.write_pdb(top, x, os.path.join(DATA, name + ".pdb"))
        confs.append((name, x))
    c5 = confs[2][1]
    for t, seed in [(300, 1), (1000, 2)]:
        for k, x in enumerate(common.thermal_frames(system, c5, t, 3, seed)):
            confs.append(("thermal-%dK-%d" % (t, k), x))
    confs.extend(common.distorted(c5, seed=3))
    fixtures = []
    for name, x in confs:
        row = {"name": name,
               "positions": np.asarray(x.value_in_unit(unit.nanometer)).tolist()}
        row.update(common.evaluate(system, x))
        fixtures.append(row)
        print("%-18s E = %12.4f kJ/mol" % (name, row["energy"]))
    with open(os.path.join(DATA, "fixtures.json"), "w") as f:
        json.dump({"source": "OpenMM %s Reference platform" % openmm.__version__,
                   "configurations": fixtures}, f, indent=1)


if __name__ == "__main__":
    main()
