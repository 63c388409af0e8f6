//! Who runs a cell: a lock file per cell, so that two workers (two Slurm array tasks after a
//! requeue, or a Slurm task and a local `replicate`) never write the same run. The lock is
//! created atomically (`create_new`) and names its owner: the Slurm job and array task, the host
//! and the process. A lock whose owner is gone (its Slurm task is no longer queued or running,
//! or its process has exited on this host) or that is this very task's (a requeue restarts the
//! same array task) is taken over; any other lock means the cell is busy.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The identity written into a lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// `<array job>_<task>` (or the plain job id) under Slurm, empty otherwise.
    pub slurm: String,
    pub host: String,
    pub pid: u32,
    /// `<boot id>:<start time in clock ticks>` of the process (Linux), so that a lock left by a
    /// dead process is not mistaken for a live one when its pid has been reused (after a kill -9
    /// or a reboot). Empty where unknown (older locks, other systems): the pid alone decides.
    pub start: String,
}

impl Owner {
    /// This process.
    pub fn me() -> Self {
        let env = |k: &str| std::env::var(k).ok();
        let slurm = match (env("SLURM_ARRAY_JOB_ID"), env("SLURM_ARRAY_TASK_ID")) {
            (Some(j), Some(t)) => format!("{j}_{t}"),
            _ => env("SLURM_JOB_ID").unwrap_or_default(),
        };
        let pid = std::process::id();
        Self {
            slurm,
            host: hostname(),
            pid,
            start: process_start(pid).unwrap_or_default(),
        }
    }

    fn line(&self) -> String {
        format!(
            "slurm={} host={} pid={} start={}\n",
            self.slurm, self.host, self.pid, self.start
        )
    }

    fn parse(text: &str) -> Option<Self> {
        let mut o = Owner {
            slurm: String::new(),
            host: String::new(),
            pid: 0,
            start: String::new(),
        };
        for kv in text.split_whitespace() {
            let (k, v) = kv.split_once('=')?;
            match k {
                "slurm" => o.slurm = v.into(),
                "host" => o.host = v.into(),
                "pid" => o.pid = v.parse().ok()?,
                "start" => o.start = v.into(),
                _ => {}
            }
        }
        Some(o)
    }

    /// Whether the owner may still be working: its Slurm task is queued or running (asked of
    /// `squeue`), or, without Slurm, its process is alive on this host (other hosts: assumed
    /// alive).
    pub fn alive(&self) -> bool {
        if !self.slurm.is_empty() {
            return squeue_has(&self.slurm).unwrap_or(true);
        }
        if self.host == hostname() {
            return match process_start(self.pid) {
                // The pid is alive; it is the owner if it started when the owner did.
                Some(now) => self.start.is_empty() || now == self.start,
                None => Path::new(&format!("/proc/{}", self.pid)).exists(),
            };
        }
        true
    }
}

/// `<boot id>:<start time>` of process `pid` from /proc (None where there is no such process or
/// no /proc).
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) start after the last ')';
    // starttime is field 22 of the line, the 20th after it.
    let after = &stat[stat.rfind(')')? + 1..];
    let start = after.split_whitespace().nth(19)?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(format!("{}:{start}", boot.trim()))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether `squeue` lists job `id` (`<job>_<task>` or a job id); None if squeue cannot be run.
fn squeue_has(id: &str) -> Option<bool> {
    let out = std::process::Command::new("squeue")
        .args(["-h", "-j", id, "-o", "%T"])
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout);
    Some(out.status.success() && s.lines().any(|l| !l.trim().is_empty()))
}

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What trying to claim a cell gave.
#[derive(Debug)]
pub enum Claimed {
    Mine(Claim),
    /// Another live worker holds it.
    Busy(Owner),
}

/// Where the lock of the cell in `dir` lives (`<dir's parent>/slurm/locks`) and the cell's name
/// in it: the same for `replicate`'s pool, `socbench cell` and `slurm status`.
pub fn lock_of(dir: &Path) -> (PathBuf, String) {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    (parent.join("slurm").join("locks"), name)
}

/// The lock file of cell `name` under `locks`.
pub fn lock_path(locks: &Path, name: &str) -> PathBuf {
    locks.join(format!("{name}.lock"))
}

/// Claims cell `name`: creates its lock atomically, or takes over a stale one.
pub fn claim(locks: &Path, name: &str, me: &Owner) -> std::io::Result<Claimed> {
    std::fs::create_dir_all(locks)?;
    let path = lock_path(locks, name);
    for _ in 0..3 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(me.line().as_bytes())?;
                return Ok(Claimed::Mine(Claim { path }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                // Our own task (a requeue) or a dead owner: the lock is stale.
                let requeued = !me.slurm.is_empty()
                    && Some(&me.slurm) == Owner::parse(&text).as_ref().map(|o| &o.slurm);
                if let Some(o) = Owner::parse(&text).filter(|o| o != me && !requeued && o.alive()) {
                    return Ok(Claimed::Busy(o));
                }
                // Stale (or our own task, requeued): remove it and try again atomically.
                let _ = std::fs::remove_file(&path);
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: could not be claimed (other workers keep recreating it)",
        path.display()
    )))
}

/// The owner recorded in a lock file, if it exists and parses.
pub fn holder(locks: &Path, name: &str) -> Option<Owner> {
    Owner::parse(&std::fs::read_to_string(lock_path(locks, name)).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_exclusive_until_its_owner_is_gone() {
        let dir = std::env::temp_dir().join(format!("socbench-claim-{}", std::process::id()));
        let me = Owner::me();
        let Claimed::Mine(c) = claim(&dir, "cell", &me).unwrap() else {
            panic!("first claim")
        };
        // A live other process on this host (pid 1) holds it: busy.
        std::fs::write(
            lock_path(&dir, "cell"),
            format!("slurm= host={} pid=1\n", hostname()),
        )
        .unwrap();
        assert!(matches!(
            claim(&dir, "cell", &me).unwrap(),
            Claimed::Busy(_)
        ));
        // A live pid whose process started at another time (the pid was reused): taken over.
        std::fs::write(
            lock_path(&dir, "cell"),
            format!("slurm= host={} pid=1 start=another-boot:1\n", hostname()),
        )
        .unwrap();
        let Claimed::Mine(c3) = claim(&dir, "cell", &me).unwrap() else {
            panic!("a reused pid's lock was not taken over")
        };
        drop(c3);
        // A process that has exited: taken over.
        std::fs::write(
            lock_path(&dir, "cell"),
            format!("slurm= host={} pid=4000000\n", hostname()),
        )
        .unwrap();
        let Claimed::Mine(c2) = claim(&dir, "cell", &me).unwrap() else {
            panic!("stale lock not taken over")
        };
        assert_eq!(holder(&dir, "cell"), Some(me.clone()));
        drop(c2);
        assert!(holder(&dir, "cell").is_none());
        drop(c);
        // The same Slurm task (a requeue) takes over its own lock.
        let task = Owner {
            slurm: "77_3".into(),
            host: "other-host".into(),
            pid: 1,
            start: String::new(),
        };
        std::fs::write(lock_path(&dir, "cell"), task.line()).unwrap();
        let again = Owner {
            pid: 2,
            ..task.clone()
        };
        assert!(matches!(
            claim(&dir, "cell", &again).unwrap(),
            Claimed::Mine(_)
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
