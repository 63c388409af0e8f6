"""What the OpenMM export scripts share (export_openmm.py for alanine dipeptide,
export_chignolin.py for chignolin): the System export that targets/src/molecule/forcefield.rs
reads, Reference-platform evaluation for the fixtures, minimisation and thermal frames.
Units are OpenMM's: nm, ps, amu, kJ/mol, rad, e.
"""

import numpy as np
import openmm
import openmm.app as app
import openmm.unit as unit

# 1/(4 pi eps0) in kJ mol^-1 nm e^-2 as OpenMM 8 uses it (CODATA 2018; OpenMM before 7.6 used
# 138.935456): recovered from its Reference-platform energies to 1e-14.
COULOMB = 138.93545764438198

# The GBn2 model (Nguyen, Roe, Simmerling 2013; Amber igb=8) as OpenMM's
# app/internal/customgbforces.py writes it into a CustomGBForce, with the constants taken out:
# targets/src/molecule/gbn2.rs implements exactly these expressions, so the export stops if
# OpenMM's differ.
GBN2_COMPUTED = {
    "I": "Ivdw+neckScale*Ineck;"
         "Ineck=step(radius1+radius2+neckCut-r)*getm0(radindex1,radindex2)/(1+100*(r-getd0(radindex1,radindex2))^2+"
         "0.3*1000000*(r-getd0(radindex1,radindex2))^6);"
         "Ivdw=select(step(r+sr2-or1), 0.5*(1/L-1/U+0.25*(r-sr2^2/r)*(1/(U^2)-1/(L^2))+0.5*log(L/U)/r), 0);"
         "U=r+sr2;"
         "L=max(or1, D);"
         "D=abs(r-sr2);"
         "radius1=or1+offset; radius2=or2+offset;"
         "neckScale=0.826836; neckCut=0.68; offset=0.0195141",
    "B": "1/(1/or-tanh(alpha*psi-beta*psi^2+gamma*psi^3)/radius);"
         "psi=I*or; radius=or+offset; offset=0.0195141",
}
GBN2_ENERGY = [
    "-0.5*138.935485*(1/soluteDielectric-1/solventDielectric)*charge^2/B",
    "28.3919551*(radius+0.14)^2*(radius/B)^6; radius=or+offset",
    "-138.935485*(1/soluteDielectric-1/solventDielectric)*charge1*charge2/f;"
    "f=sqrt(r^2+B1*B2*exp(-r^2/(4*B1*B2)))",
]
GBN2_PARAMETERS = ["charge", "or", "sr", "alpha", "beta", "gamma", "radindex"]


def export_gbn2(f):
    """The GBn2 CustomGBForce as data: per-atom [charge, or, sr, alpha, beta, gamma, radindex],
    the d0 and m0 neck tables (n x n, value of (i, j) at i + n*j), the dielectrics and the
    offset. Stops if the force is not the GBn2 that gbn2.rs implements."""
    if f.getNonbondedMethod() != openmm.CustomGBForce.NoCutoff:
        raise SystemExit("GBn2 must be built with NoCutoff")
    names = [f.getPerParticleParameterName(i) for i in range(f.getNumPerParticleParameters())]
    if names != GBN2_PARAMETERS:
        raise SystemExit("GBn2 per-particle parameters %s, expected %s" % (names, GBN2_PARAMETERS))
    for i in range(f.getNumComputedValues()):
        name, expr, _ = f.getComputedValueParameters(i)
        if GBN2_COMPUTED.get(name) != expr:
            raise SystemExit("GBn2 computed value %s differs from gbn2.rs:\n%s" % (name, expr))
    consts = None
    for i in range(f.getNumEnergyTerms()):
        expr, _ = f.getEnergyTermParameters(i)
        head, _, tail = expr.partition("; solventDielectric=")
        if head != GBN2_ENERGY[i]:
            raise SystemExit("GBn2 energy term %d differs from gbn2.rs:\n%s" % (i, expr))
        c = dict(kv.split("=") for kv in ("solventDielectric=" + tail).split("; "))
        consts = consts or c
        if c != consts:
            raise SystemExit("GBn2 energy terms disagree on their constants: %s, %s" % (c, consts))
    if float(consts["kappa"]) != 0.0:
        raise SystemExit("GBn2 with salt (kappa > 0) is not implemented in gbn2.rs")
    tables = {}
    for i in range(f.getNumTabulatedFunctions()):
        xs, ys, values = f.getTabulatedFunction(i).getFunctionParameters()
        if xs != ys:
            raise SystemExit("GBn2 table %s is %d x %d" % (f.getTabulatedFunctionName(i), xs, ys))
        tables[f.getTabulatedFunctionName(i)] = (xs, list(values))
    return {
        "model": "GBn2 (OpenMM implicit/gbn2.xml, ACE surface term)",
        "solvent_dielectric": float(consts["solventDielectric"]),
        "solute_dielectric": float(consts["soluteDielectric"]),
        "offset": float(consts["offset"]),
        "radii": tables["getd0"][0],
        "d0": tables["getd0"][1],
        "m0": tables["getm0"][1],
        "particles": [list(f.getParticleParameters(i)) for i in range(f.getNumParticles())],
    }


def export(system, topology, source):
    """The System as the JSON that forcefield.rs reads."""
    atoms = [{"name": a.name, "residue": a.residue.name, "element": a.element.symbol,
              "mass": system.getParticleMass(a.index).value_in_unit(unit.dalton)}
             for a in topology.atoms()]
    out = {"source": "OpenMM %s, %s" % (openmm.__version__, source),
           "units": {"length": "nm", "energy": "kJ/mol", "angle": "rad", "charge": "e",
                     "mass": "amu"},
           "coulomb_constant": COULOMB,
           "atoms": atoms, "bonds": [], "angles": [], "torsions": [],
           "nonbonded": {"particles": [], "exceptions": []},
           "forces": []}
    for f in system.getForces():
        out["forces"].append(type(f).__name__)
        if isinstance(f, openmm.HarmonicBondForce):
            for i in range(f.getNumBonds()):
                a, b, r0, k = f.getBondParameters(i)
                out["bonds"].append([a, b, r0.value_in_unit(unit.nanometer),
                                     k.value_in_unit(unit.kilojoule_per_mole / unit.nanometer**2)])
        elif isinstance(f, openmm.HarmonicAngleForce):
            for i in range(f.getNumAngles()):
                a, b, c, t0, k = f.getAngleParameters(i)
                out["angles"].append([a, b, c, t0.value_in_unit(unit.radian),
                                      k.value_in_unit(unit.kilojoule_per_mole / unit.radian**2)])
        elif isinstance(f, openmm.PeriodicTorsionForce):
            for i in range(f.getNumTorsions()):
                a, b, c, d, n, phase, k = f.getTorsionParameters(i)
                out["torsions"].append([a, b, c, d, n, phase.value_in_unit(unit.radian),
                                        k.value_in_unit(unit.kilojoule_per_mole)])
        elif isinstance(f, openmm.NonbondedForce):
            assert f.getNonbondedMethod() == openmm.NonbondedForce.NoCutoff
            for i in range(f.getNumParticles()):
                q, s, e = f.getParticleParameters(i)
                out["nonbonded"]["particles"].append([
                    q.value_in_unit(unit.elementary_charge), s.value_in_unit(unit.nanometer),
                    e.value_in_unit(unit.kilojoule_per_mole)])
            for i in range(f.getNumExceptions()):
                a, b, qq, s, e = f.getExceptionParameters(i)
                out["nonbonded"]["exceptions"].append([
                    a, b, qq.value_in_unit(unit.elementary_charge**2),
                    s.value_in_unit(unit.nanometer), e.value_in_unit(unit.kilojoule_per_mole)])
        elif isinstance(f, openmm.CustomGBForce):
            out["gb"] = export_gbn2(f)
        elif isinstance(f, openmm.CMMotionRemover):
            pass
        else:
            raise SystemExit("unexpected force %s" % type(f).__name__)
    return out


def one_group_per_force(system):
    for i, f in enumerate(system.getForces()):
        f.setForceGroup(i)
    return system


def context(system, platform="Reference"):
    integrator = openmm.VerletIntegrator(0.0005)
    return openmm.Context(system, integrator, openmm.Platform.getPlatformByName(platform))


def minimise(system, pos, extra_force=None, tolerance=1e-3):
    """L-BFGS to `tolerance` kJ/mol/nm, with `extra_force` (a restraint) added to a copy."""
    s = openmm.System()
    s.__setstate__(system.__getstate__())
    if extra_force is not None:
        extra_force.setForceGroup(30)
        s.addForce(extra_force)
    ctx = context(s)
    ctx.setPositions(pos)
    openmm.LocalEnergyMinimizer.minimize(ctx, tolerance, 0)
    return ctx.getState(getPositions=True).getPositions(asNumpy=True)


def evaluate(system, pos, terms=None):
    """Energy and forces on the Reference platform (double precision), the energy per force;
    with `terms` = {name: [force class names]}, also the energy and forces of each term."""
    ctx = context(system)
    ctx.setPositions(pos)
    st = ctx.getState(getEnergy=True, getForces=True)
    kj, kjnm = unit.kilojoule_per_mole, unit.kilojoule_per_mole / unit.nanometer
    groups = {}
    for i, f in enumerate(system.getForces()):
        e = ctx.getState(getEnergy=True, groups={i}).getPotentialEnergy()
        groups[type(f).__name__] = e.value_in_unit(kj)
    row = {
        "energy": st.getPotentialEnergy().value_in_unit(kj),
        "energy_by_force": groups,
        "forces": np.asarray(st.getForces(asNumpy=True).value_in_unit(kjnm)).tolist(),
    }
    if terms:
        row["terms"] = {}
        for name, classes in terms.items():
            ids = {i for i, f in enumerate(system.getForces()) if type(f).__name__ in classes}
            s = ctx.getState(getEnergy=True, getForces=True, groups=ids)
            row["terms"][name] = {
                "energy": s.getPotentialEnergy().value_in_unit(kj),
                "forces": np.asarray(s.getForces(asNumpy=True).value_in_unit(kjnm)).tolist(),
            }
    return row


def thermal_frames(system, pos, temperature, n, seed, steps=2000, dt=0.0005,
                   platform="Reference"):
    """`n` frames `steps` apart of Langevin dynamics (friction 1/ps) at `temperature` K."""
    integ = openmm.LangevinMiddleIntegrator(temperature * unit.kelvin, 1.0 / unit.picosecond,
                                            dt * unit.picoseconds)
    integ.setRandomNumberSeed(seed)
    ctx = openmm.Context(system, integ, openmm.Platform.getPlatformByName(platform))
    ctx.setPositions(pos)
    ctx.setVelocitiesToTemperature(temperature * unit.kelvin, seed)
    frames = []
    for _ in range(n):
        integ.step(steps)
        frames.append(ctx.getState(getPositions=True).getPositions(asNumpy=True))
    return frames


def distorted(pos, seed, scales=(0.005, 0.02)):
    """`pos` with Gaussian noise of each scale (nm) added: [(name, positions)]."""
    rng = np.random.default_rng(seed)
    x = np.asarray(pos.value_in_unit(unit.nanometer))
    return [("distorted-%g" % s, (x + rng.normal(scale=s, size=x.shape)) * unit.nanometer)
            for s in scales]


def write_pdb(topology, pos, path):
    with open(path, "w") as f:
        app.PDBFile.writeFile(topology, pos, f, keepIds=True)
