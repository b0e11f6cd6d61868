//! Crash-safe file writes for the ONVIF runtime configuration.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Replaces `path` with `data` so that a crash at any moment leaves either
/// the old file or the new one, never a torn mix: write a temporary file in
/// the same directory, flush it to disk, rename it over the old one, then
/// flush the directory entry. The file is private to the user (it holds
/// passwords).
pub fn write_atomically(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    // The rename itself must reach the disk for the new file to survive a crash.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Saves the ONVIF state in `path` (when the device has a state file),
/// logging a failure: the change stays in memory and the next one retries.
pub fn save_onvif_state(path: Option<&Path>, text: &str) {
    if let Some(path) = path {
        if let Err(e) = write_atomically(path, text.as_bytes()) {
            tracing::error!(file = %path.display(), error = %e, "cannot save the ONVIF state");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("persist-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("onvifrun.cfg");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        assert!(!dir.join("onvifrun.cfg.tmp").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
