//! The zip container: a deterministic writer and a defensive reader.
//!
//! Writing: members in byte order of their paths, each deflated at level 6, dated
//! 1980-01-01 00:00:00 (the zip epoch, `zip::DateTime::default()`), mode 0644, "made
//! by" Unix, no extra fields, no comments. The `zip` crate would otherwise stamp the
//! current time (its `time` feature), so every option is set explicitly. The same
//! members give the same bytes for a given `zip` and zlib-rs version.
//!
//! Reading untrusted archives: the archive size, the member count and every member's
//! *actual* decompressed size are bounded ([`Limits`]), whatever the headers claim;
//! local headers must agree with the central directory and no two entries may overlap
//! or share a name (the tricks of zip bombs and of archives that unpack differently in
//! different tools); names must pass [`layout::check_path`]; encrypted entries,
//! directories and symlinks are refused. A refused member is reported and never read.

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _, Write as _};

use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use crate::layout;
use crate::verify::Failure;

/// Unix mode of every member: a regular file, `rw-r--r--`.
const MODE: u32 = 0o644;
/// Deflate level: zlib's default, a good ratio for JSON and reports.
const DEFLATE_LEVEL: i64 = 6;

/// Bounds on what the verifier reads from an untrusted archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The archive itself, in bytes.
    pub max_archive_size: u64,
    /// Members in the central directory.
    pub max_members: usize,
    /// One member, decompressed.
    pub max_member_size: u64,
    /// All members together, decompressed.
    pub max_total_size: u64,
}

impl Default for Limits {
    /// 2 GiB archives, 10,000 members, 512 MiB per member and 2 GiB in all: far above a
    /// release's package (tens of members, a few MB), far below what exhausts memory.
    fn default() -> Limits {
        Limits { max_archive_size: 2 << 30, max_members: 10_000, max_member_size: 512 << 20, max_total_size: 2 << 30 }
    }
}

/// What could be read from an archive.
#[derive(Debug, Default)]
pub(crate) struct Contents {
    /// Members that were read, by path.
    pub(crate) members: BTreeMap<String, Vec<u8>>,
    /// Members that were refused or could not be read, with why.
    pub(crate) refused: Vec<(String, Failure)>,
}

/// Writes `members` as a deterministic zip.
pub(crate) fn write(members: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>, ZipError> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in members {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(DEFLATE_LEVEL))
            .last_modified_time(DateTime::default())
            .system(System::Unix)
            .unix_permissions(MODE)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        writer.start_file(path.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// Reads an untrusted archive within `limits`.
///
/// # Errors
/// A [`Failure`] of the archive as a whole: too large, not a zip, too many members,
/// inconsistent headers, or more data in all than `max_total_size`.
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Contents, Failure> {
    if bytes.len() as u64 > limits.max_archive_size {
        return Err(Failure::ArchiveTooLarge { size: bytes.len() as u64, max: limits.max_archive_size });
    }
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(Failure::NotZip)?;
    // The central directory holds one record per name; duplicates collapse into one,
    // so they are caught by the consistency check below.
    if archive.len() > limits.max_members {
        return Err(Failure::TooManyMembers { count: archive.len(), max: limits.max_members });
    }
    archive.validate_header_consistency().map_err(Failure::InconsistentArchive)?;

    let mut contents = Contents::default();
    let mut total: u64 = 0;
    for position in 0..archive.len() {
        let name_raw = archive.name_for_index(position).and_then(Result::ok).map(|name| name.into_owned());
        let mut file = match archive.by_index(position) {
            Ok(file) => file,
            Err(error) => {
                let shown = name_raw.unwrap_or_else(|| format!("(member {position})"));
                contents.refused.push((shown, Failure::UnopenableMember(error)));
                continue;
            }
        };
        let name = match std::str::from_utf8(file.name_raw()) {
            Ok(name) => name.to_owned(),
            Err(_) => {
                let shown = String::from_utf8_lossy(file.name_raw()).into_owned();
                contents.refused.push((shown, Failure::UnsafePath { reason: "name is not utf-8" }));
                continue;
            }
        };
        if let Err(reason) = layout::check_path(&name) {
            contents.refused.push((name, Failure::UnsafePath { reason }));
            continue;
        }
        if file.encrypted() {
            contents.refused.push((name, Failure::Encrypted));
            continue;
        }
        if file.is_dir() || file.is_symlink() {
            contents.refused.push((name, Failure::NotAFile));
            continue;
        }
        // Read at most one byte past each bound: the declared size is not trusted.
        let allowed = limits.max_member_size.min(limits.max_total_size - total);
        let mut data = Vec::with_capacity(usize::try_from(file.size().min(allowed)).unwrap_or(0).min(1 << 20));
        if let Err(error) = file.by_ref().take(allowed.saturating_add(1)).read_to_end(&mut data) {
            contents.refused.push((name, Failure::UnreadableMember(error)));
            continue;
        }
        let size = data.len() as u64;
        if size > allowed {
            if size > limits.max_member_size {
                contents.refused.push((name, Failure::MemberTooLarge { max: limits.max_member_size }));
                continue;
            }
            return Err(Failure::ArchiveContentTooLarge { max: limits.max_total_size });
        }
        total += size;
        contents.members.insert(name, data);
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(pairs: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
        pairs.iter().map(|(path, bytes)| ((*path).to_owned(), bytes.to_vec())).collect()
    }

    #[test]
    fn writes_what_it_reads() {
        let original = members(&[("b.txt", b"bee"), ("a/c.json", b"{}"), ("empty", b"")]);
        let bytes = write(&original).unwrap();
        let read_back = read(&bytes, &Limits::default()).unwrap();
        assert!(read_back.refused.is_empty());
        assert_eq!(read_back.members, original);
        assert_eq!(write(&original).unwrap(), bytes, "deterministic");
    }

    #[test]
    fn members_are_dated_1980_and_mode_0644() {
        let bytes = write(&members(&[("x", b"x")])).unwrap();
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let file = archive.by_index(0).unwrap();
        assert_eq!(file.last_modified(), Some(DateTime::default()));
        assert_eq!(file.unix_mode(), Some(0o100644));
        assert_eq!(file.compression(), CompressionMethod::Deflated);
        assert!(file.extra_data().is_none_or(|extra| extra.is_empty()));
    }

    #[test]
    fn bounds_decompressed_sizes() {
        // 4 MiB of zeros deflates to a few KiB: a small zip bomb.
        let bomb = members(&[("a", &[0u8; 4 << 20][..]), ("b", b"small")]);
        let bytes = write(&bomb).unwrap();
        assert!(bytes.len() < 64 << 10);
        let limits = Limits { max_member_size: 1 << 20, ..Limits::default() };
        let contents = read(&bytes, &limits).unwrap();
        assert_eq!(contents.members.keys().collect::<Vec<_>>(), ["b"]);
        assert!(matches!(contents.refused.as_slice(), [(name, Failure::MemberTooLarge { .. })] if name == "a"));

        let limits = Limits { max_total_size: 1 << 20, ..Limits::default() };
        assert!(matches!(read(&bytes, &limits), Err(Failure::ArchiveContentTooLarge { .. })));
        let limits = Limits { max_members: 1, ..Limits::default() };
        assert!(matches!(read(&bytes, &limits), Err(Failure::TooManyMembers { count: 2, max: 1 })));
        let limits = Limits { max_archive_size: 100, ..Limits::default() };
        assert!(matches!(read(&bytes, &limits), Err(Failure::ArchiveTooLarge { .. })));
    }

    #[test]
    fn refuses_unsafe_names_without_reading_them() {
        let bytes = write(&members(&[("../evil", b"x"), ("/etc/passwd", b"x"), ("ok", b"x")])).unwrap();
        let contents = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(contents.members.keys().collect::<Vec<_>>(), ["ok"]);
        let refused: Vec<&str> = contents.refused.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(refused, ["../evil", "/etc/passwd"]);
        assert!(contents.refused.iter().all(|(_, failure)| matches!(failure, Failure::UnsafePath { .. })));
    }

    #[test]
    fn refuses_members_it_cannot_open() {
        // A stored member relabelled as bzip2 (method 12), which this build cannot read.
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default());
        for name in ["odd", "ok"] {
            writer.start_file(name, stored).unwrap();
            writer.write_all(b"data").unwrap();
        }
        let mut bytes = writer.finish().unwrap().into_inner();
        let local = bytes.windows(4).position(|window| window == b"PK\x03\x04").unwrap();
        let central = bytes.windows(4).position(|window| window == b"PK\x01\x02").unwrap();
        bytes[local + 8] = 12;
        bytes[central + 10] = 12;
        let contents = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(contents.members.keys().collect::<Vec<_>>(), ["ok"]);
        assert!(
            matches!(
                contents.refused.as_slice(),
                [(name, Failure::UnopenableMember(_) | Failure::UnreadableMember(_))] if name == "odd"
            ),
            "{:?}",
            contents.refused
        );
    }

    /// Stored members `names`, with every occurrence of `from` in the archive's bytes
    /// (local and central headers alike) replaced by `to`.
    fn patched(names: &[&str], from: &[u8], to: &[u8]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default());
        for name in names {
            writer.start_file(*name, stored).unwrap();
            writer.write_all(b"data").unwrap();
        }
        let mut bytes = writer.finish().unwrap().into_inner();
        let mut position = 0;
        while let Some(found) = bytes[position..].windows(from.len()).position(|window| window == from) {
            bytes[position + found..position + found + to.len()].copy_from_slice(to);
            position += found + to.len();
        }
        bytes
    }

    #[test]
    fn refuses_archives_that_unpack_differently_elsewhere() {
        // Two entries named alike: tools disagree on which one wins.
        let duplicate = patched(&["manifest.jsoX", "manifest.json"], b"manifest.jsoX", b"manifest.json");
        assert!(matches!(read(&duplicate, &Limits::default()), Err(Failure::InconsistentArchive(_))));
        // A local header whose name differs from the central directory's.
        let mut renamed = patched(&["good"], b"good", b"good");
        let local = renamed.windows(4).position(|window| window == b"good").unwrap();
        renamed[local..local + 4].copy_from_slice(b"evil");
        assert!(matches!(read(&renamed, &Limits::default()), Err(Failure::InconsistentArchive(_))));
    }

    #[test]
    fn refuses_what_is_not_a_zip() {
        assert!(matches!(read(b"PK\x03\x04 not really", &Limits::default()), Err(Failure::NotZip(_))));
        assert!(matches!(read(b"", &Limits::default()), Err(Failure::NotZip(_))));
    }
}
