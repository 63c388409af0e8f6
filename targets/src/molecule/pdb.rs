//! A minimal PDB reader: the ATOM/HETATM records of one model (atom name, residue name and
//! number, coordinates). Coordinates are converted from Å to nm, the force field's unit.

use socbench_harness::error::TargetError;

/// One atom record.
#[derive(Clone, Debug, PartialEq)]
pub struct PdbAtom {
    pub name: String,
    pub residue: String,
    pub residue_number: i64,
    /// Position in nm.
    pub position: [f64; 3],
}

fn field<'a>(line: &'a str, cols: std::ops::Range<usize>) -> Option<&'a str> {
    line.get(cols).map(str::trim)
}

/// Parses the ATOM/HETATM records up to the first ENDMDL or END. Errors name the line and the
/// field (columns as in the PDB format: name 13–16, residue 18–20, number 23–26, x y z 31–54).
pub fn parse(text: &str) -> Result<Vec<PdbAtom>, TargetError> {
    let mut atoms = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let bad = |what: &str| {
            TargetError::range(
                "pdb",
                format!("line {}: {line:?}", i + 1),
                format!("an ATOM/HETATM record with {what}"),
            )
        };
        if line.starts_with("ENDMDL") || line.trim() == "END" {
            break;
        }
        if !(line.starts_with("ATOM") || line.starts_with("HETATM")) {
            continue;
        }
        let name = field(line, 12..16).filter(|s| !s.is_empty());
        let residue = field(line, 17..20).filter(|s| !s.is_empty());
        let number = field(line, 22..26).and_then(|s| s.parse::<i64>().ok());
        let coord = |c: std::ops::Range<usize>| field(line, c).and_then(|s| s.parse::<f64>().ok());
        let (Some(name), Some(residue), Some(number)) = (name, residue, number) else {
            return Err(bad(
                "an atom name (13–16), residue (18–20) and number (23–26)",
            ));
        };
        let (Some(x), Some(y), Some(z)) = (coord(30..38), coord(38..46), coord(46..54)) else {
            return Err(bad("coordinates x, y, z in columns 31–54"));
        };
        atoms.push(PdbAtom {
            name: name.to_string(),
            residue: residue.to_string(),
            residue_number: number,
            position: [x / 10.0, y / 10.0, z / 10.0],
        });
    }
    if atoms.is_empty() {
        return Err(TargetError::range(
            "pdb",
            "no atoms",
            "at least one ATOM record",
        ));
    }
    Ok(atoms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_atoms_in_nm_and_names_a_malformed_line() {
        let text = "REMARK x\nATOM      1 1HH3 ACE     1       2.000   1.000  -0.000\n\
                    ATOM      2  CH3 ACE     1       2.000   2.090   0.000\nEND\n";
        let a = parse(text).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].name, "1HH3");
        assert_eq!(a[1].residue, "ACE");
        assert!((a[1].position[1] - 0.209).abs() < 1e-12);
        let err = parse("ATOM      1 1HH3 ACE     1       2.000   x.000  -0.000\n").unwrap_err();
        assert!(
            err.to_string().contains("line 1") && err.to_string().contains("31–54"),
            "{err}"
        );
        assert!(parse("REMARK only\n").is_err());
    }
}
