//! Files written whole or not at all: the bytes go to a temporary file beside the destination,
//! named uniquely for this writer (process id and a per-process counter), which is then renamed
//! into place. A reader never sees a partial file, a full disk or a kill mid-write leaves the
//! old file (or none), and two writers of one path never share a temporary name.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A temporary name beside `path` that no other writer (process or thread) uses.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` atomically (temporary file, flushed, then renamed). On an error the
/// temporary file is removed and `path` is untouched.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes.as_ref())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn temporary_names_differ_and_the_file_is_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("socbench-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.csv");
        assert_ne!(super::temp_path(&p), super::temp_path(&p));
        super::write(&p, "one\n").unwrap();
        super::write(&p, "two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two\n");
        // Only the file itself is left: no temporary behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
