//! The file list straight from `.git/index`: path, mode and (for symlinks) the blob id of
//! each entry, read into [`FileEntry`]s and nothing else.
//!
//! gix-index maps the whole file and decodes every entry into an owned record (stat data,
//! flags, path ranges) and every extension (the cache tree) before a caller sees one path:
//! at 10,000 files that is 1.1 MB mapped and 1.3 MB of heap, dropped unread, and about a
//! sixth of a full check's time. `check` needs three fields per entry, so this reader
//! streams the file once and keeps only those.
//! `--staged` needs the cache tree and keeps gix-index.
//!
//! Format: Documentation/gitformat-index.txt in git. Versions 2, 3 and 4; anything this
//! reader does not know (another version, SHA-256, a split or sparse index, a short or
//! inconsistent file) gives `None`, and the caller falls back to gix-index and libgit2,
//! which say what is wrong.

use std::io::Read;
use std::path::Path;

use super::git::{kind_of, text, MODE_MASK, MODE_SYMLINK};
use super::{EntryKind, FileEntry};

const HEADER: usize = 12;
const SHA1: usize = 20;
/// ctime, mtime (seconds, nanoseconds), dev, ino, mode, uid, gid, size: ten u32s.
const STAT: usize = 40;
/// The stat data, the object id and the flags: what every entry starts with.
const FIXED: usize = STAT + SHA1 + 2;
const MODE_OFFSET: usize = 24;
const FLAG_EXTENDED: u16 = 0x4000;
const MODE_DIRECTORY: u32 = 0o040000;

/// The entries of the index at `path`, with symlink targets read through `blob_text`.
/// `Some(vec![])` when there is no index (a repository with nothing added yet).
pub fn entries(path: &Path, blob_text: impl Fn(&[u8]) -> Option<String>) -> Option<Vec<FileEntry>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(_) => return None,
    };
    let len = file.metadata().ok()?.len();
    read(Pieces::new(file, len), len, blob_text)
}

/// [`entries`] of index bytes already in memory.
#[cfg(test)]
fn from_bytes(data: &[u8], blob_text: impl Fn(&[u8]) -> Option<String>) -> Option<Vec<FileEntry>> {
    read(
        Pieces::new(data, data.len() as u64),
        data.len() as u64,
        blob_text,
    )
}

/// The file list of an index of `len` bytes, or `None` for anything this reader does not
/// handle.
fn read<R: Read>(
    mut input: Pieces<R>,
    len: u64,
    blob_text: impl Fn(&[u8]) -> Option<String>,
) -> Option<Vec<FileEntry>> {
    let header = input.take(HEADER)?;
    if &header[..4] != b"DIRC" {
        return None;
    }
    let version = be32(&header[4..8]);
    let count = be32(&header[8..12]) as usize;
    if !(2..=4).contains(&version) {
        return None;
    }
    // Each entry takes at least 63 bytes: a count the file cannot hold is a damaged header,
    // not a reason to reserve memory.
    if count as u64 > len / 63 {
        return None;
    }
    let mut files: Vec<FileEntry> = Vec::with_capacity(count);
    // Symlink targets are read once the whole index is known to be readable here.
    let mut symlinks: Vec<(usize, [u8; SHA1])> = Vec::new();
    // The path of the entry read last: version 4 stores each path as "drop N bytes of the
    // previous path, then append".
    let mut previous: Vec<u8> = Vec::new();
    let mut conflicts = false;
    for _ in 0..count {
        let fixed = input.take(FIXED)?;
        let mode = be32(&fixed[MODE_OFFSET..MODE_OFFSET + 4]);
        let id: [u8; SHA1] = fixed[STAT..STAT + SHA1].try_into().ok()?;
        let flags = u16::from_be_bytes([fixed[FIXED - 2], fixed[FIXED - 1]]);
        if mode & MODE_MASK == MODE_DIRECTORY {
            // A sparse index's directory entry stands for a whole subtree.
            return None;
        }
        let mut entry_len = FIXED;
        if flags & FLAG_EXTENDED != 0 {
            if version < 3 {
                return None;
            }
            input.take(2)?;
            entry_len += 2;
        }
        let path: &[u8] = if version == 4 {
            let strip = input.varint()?;
            previous.truncate(previous.len().checked_sub(strip)?);
            let len = input.nul_at()?;
            previous.extend_from_slice(input.take(len + 1)?.split_last()?.1);
            &previous
        } else {
            let len = input.nul_at()?;
            // Padded with 1 to 8 NULs to a multiple of 8 bytes, the first ending the path.
            let padded = (entry_len + len + 8) / 8 * 8;
            &input.take(padded - entry_len)?[..len]
        };
        // The flags carry the path's length up to 0xFFF: a cheap proof that the entry was
        // read where it starts.
        let named = usize::from(flags & 0xFFF);
        if named < 0xFFF && named != path.len() {
            return None;
        }
        // Conflict stages describe one path several times: keep stage 0 or the base (1).
        let stage = (flags >> 12) & 0x3;
        conflicts |= stage != 0;
        if stage > 1 {
            continue;
        }
        if mode & MODE_MASK == MODE_SYMLINK {
            symlinks.push((files.len(), id));
        }
        let kind = kind_of(mode, String::new);
        files.push(FileEntry {
            path: text(path),
            kind,
        });
    }
    if !input.extensions_are_plain() {
        return None;
    }
    for (at, id) in symlinks {
        files[at].kind = EntryKind::Symlink {
            target: blob_text(&id).unwrap_or_default(),
        };
    }
    if conflicts {
        files.dedup_by(|a, b| a.path == b.path);
    }
    Some(files)
}

/// The index file read 64 KiB at a time, up to its trailing checksum (which is not
/// checked, as `check` asks gix-index not to). Not mapped or read whole: at 10,000 files
/// the index is 1.1 MB, which would be resident next to the list made from it.
struct Pieces<R> {
    input: R,
    /// Bytes of the input not yet in `buf`.
    left: u64,
    buf: Vec<u8>,
    /// The unread bytes are `buf[at..end]`.
    at: usize,
    end: usize,
}

const PIECE: usize = 64 * 1024;

impl<R: Read> Pieces<R> {
    fn new(input: R, len: u64) -> Self {
        Pieces {
            input,
            left: len.saturating_sub(SHA1 as u64),
            buf: Vec::new(),
            at: 0,
            end: 0,
        }
    }

    /// At least `n` unread bytes in `buf`, unless the input ends first.
    #[inline]
    fn fill(&mut self, n: usize) -> usize {
        match self.end - self.at {
            unread if unread >= n => unread,
            _ => self.refill(n),
        }
    }

    #[cold]
    fn refill(&mut self, n: usize) -> usize {
        self.buf.copy_within(self.at..self.end, 0);
        self.end -= self.at;
        self.at = 0;
        // A small index (and each test's) needs no more than its own size.
        let size = n.max(PIECE.min(self.end + self.left as usize));
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        while self.end < n && self.left > 0 {
            let room = (self.buf.len() - self.end).min(self.left as usize);
            match self.input.read(&mut self.buf[self.end..self.end + room]) {
                Ok(0) | Err(_) => self.left = 0,
                Ok(read) => {
                    self.end += read;
                    self.left -= read as u64;
                }
            }
        }
        self.end
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.fill(n) < n {
            return None;
        }
        self.at += n;
        Some(&self.buf[self.at - n..self.at])
    }

    /// How many bytes come before the next NUL (which is then in `buf` too).
    fn nul_at(&mut self) -> Option<usize> {
        let mut searched = 0;
        loop {
            let available = self.fill(searched + 1);
            let unread = &self.buf[self.at + searched..self.at + available];
            if let Some(nul) = memchr::memchr(0, unread) {
                return Some(searched + nul);
            }
            if available == searched {
                return None;
            }
            searched = available;
        }
    }

    /// git's offset encoding (varint.c): seven bits a byte, high bit "more", plus one per
    /// continuation so that every value has one encoding.
    fn varint(&mut self) -> Option<usize> {
        let mut byte = self.take(1)?[0];
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = self.take(1)?[0];
            value = value.checked_add(1)?.checked_mul(128)? | usize::from(byte & 0x7f);
        }
        Some(value)
    }

    /// True when the extensions after the entries are well formed and none changes what
    /// the entries mean: `link` (a split index lists only part of the tree here) and
    /// `sdir` (a sparse index) are not.
    fn extensions_are_plain(&mut self) -> bool {
        while self.fill(1) > 0 {
            let Some(header) = self.take(8) else {
                return false;
            };
            if &header[..4] == b"link" || &header[..4] == b"sdir" {
                return false;
            }
            let mut size = u64::from(be32(&header[4..]));
            while size > 0 {
                let step = size.min(PIECE as u64) as usize;
                if self.take(step).is_none() {
                    return false;
                }
                size -= step as u64;
            }
        }
        true
    }
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::{IndexEntry, IndexTime, Oid, Repository};

    fn entry(path: &[u8], mode: u32, id: Oid, flags: u16, extended: u16) -> IndexEntry {
        IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: 0,
            id,
            flags,
            flags_extended: extended,
            path: path.to_vec(),
        }
    }

    /// An index with every kind of entry this reader tells apart, written by libgit2 in
    /// `version`: files in deep directories (version 4 compresses their shared prefixes),
    /// an executable, a symlink, a submodule, a conflict, a path that is not UTF-8, and
    /// (version 3 and up) an entry with extended flags.
    fn index_of_every_kind(repo: &Repository, version: u32) -> Vec<u8> {
        let blob = repo.blob(b"text").unwrap();
        let link = repo.blob(b"../shared/rules.md").unwrap();
        let commit = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let mut index = repo.index().unwrap();
        index.clear().unwrap();
        for i in 0..40 {
            let path = format!("packages/pkg-{:02}/src/deep/module_{i:03}.ts", i % 7);
            index
                .add(&entry(path.as_bytes(), 0o100644, blob, 0, 0))
                .unwrap();
        }
        index.add(&entry(b"bin/run", 0o100755, blob, 0, 0)).unwrap();
        index
            .add(&entry(b".claude/rules.md", 0o120000, link, 0, 0))
            .unwrap();
        index
            .add(&entry(b"vendor/lib", 0o160000, commit, 0, 0))
            .unwrap();
        index
            .add(&entry(b"caf\xe9.md", 0o100644, blob, 0, 0))
            .unwrap();
        for stage in 1..=3u16 {
            index
                .add(&entry(b"conflicted.txt", 0o100644, blob, stage << 12, 0))
                .unwrap();
        }
        if version >= 3 {
            // Intent to add (`git add -N`): an extended flag, only in versions 3 and 4.
            index
                .add(&entry(b"later.txt", 0o100644, blob, 0x4000, 1 << 13))
                .unwrap();
        }
        index.set_version(version).unwrap();
        index.write().unwrap();
        let bytes = std::fs::read(repo.path().join("index")).unwrap();
        assert_eq!(bytes[7] as u32, version, "libgit2 wrote version {version}");
        bytes
    }

    fn through_gix(repo: &Repository) -> Vec<FileEntry> {
        let file = crate::facts::git::read_index(repo).unwrap();
        crate::facts::git::entries_from(repo, &file)
    }

    fn direct(repo: &Repository) -> Option<Vec<FileEntry>> {
        entries(&repo.path().join("index"), |id| {
            crate::facts::git::symlink_target(repo, id)
        })
    }

    #[test]
    fn agrees_with_gix_index_in_versions_2_3_and_4() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        for version in [2, 3, 4] {
            index_of_every_kind(&repo, version);
            let files = direct(&repo).unwrap_or_else(|| panic!("version {version} unread"));
            assert_eq!(files, through_gix(&repo), "version {version}");
            let kind = |path: &str| files.iter().find(|f| f.path == path).map(|f| &f.kind);
            assert_eq!(kind("bin/run"), Some(&EntryKind::Executable));
            assert_eq!(
                kind(".claude/rules.md"),
                Some(&EntryKind::Symlink {
                    target: "../shared/rules.md".into()
                })
            );
            assert_eq!(kind("vendor/lib"), Some(&EntryKind::Submodule));
            assert_eq!(kind("caf\u{fffd}.md"), Some(&EntryKind::File));
            let conflicted = files.iter().filter(|f| f.path == "conflicted.txt").count();
            assert_eq!(conflicted, 1, "one entry per conflicted path");
            assert_eq!(
                files.len(),
                45 + usize::from(version >= 3),
                "version {version}"
            );
        }
    }

    #[test]
    fn entries_across_the_64_kib_pieces_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let blob = repo.blob(b"text").unwrap();
        for version in [2, 3, 4] {
            let mut index = repo.index().unwrap();
            index.clear().unwrap();
            // Paths of every length from 1 to 300 bytes, so that entries end at every
            // offset of a piece; 12,000 entries make about 1.9 MB.
            for i in 0..12_000usize {
                let name = format!("{i:05}{}", "x".repeat(i % 296));
                let path = format!("d{}/{name}", i % 13);
                index
                    .add(&entry(path.as_bytes(), 0o100644, blob, 0, 0))
                    .unwrap();
            }
            index.set_version(version).unwrap();
            index.write().unwrap();
            let files = direct(&repo).unwrap_or_else(|| panic!("version {version} unread"));
            assert_eq!(files.len(), 12_000);
            assert_eq!(files, through_gix(&repo), "version {version}");
        }
    }

    #[test]
    fn no_index_is_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        assert_eq!(direct(&repo), Some(Vec::new()));
    }

    /// The index with one more extension before its checksum.
    fn with_extension(index: &[u8], signature: &[u8; 4]) -> Vec<u8> {
        let mut bytes = index[..index.len() - SHA1].to_vec();
        bytes.extend_from_slice(signature);
        bytes.extend_from_slice(&4u32.to_be_bytes());
        bytes.extend_from_slice(b"\0\0\0\0");
        bytes.extend_from_slice(&[0; SHA1]);
        bytes
    }

    #[test]
    fn split_and_sparse_indexes_are_left_to_the_full_readers() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let index = index_of_every_kind(&repo, 2);
        let none = |_: &[u8]| None;
        // An extension that changes nothing about the entries is skipped over.
        assert!(from_bytes(&with_extension(&index, b"UNTR"), none).is_some());
        // A split index lists only part of the tree; a sparse one stands directories in.
        assert_eq!(from_bytes(&with_extension(&index, b"link"), none), None);
        assert_eq!(from_bytes(&with_extension(&index, b"sdir"), none), None);
    }

    #[test]
    fn a_damaged_index_is_none_and_never_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let none = |_: &[u8]| None;
        for version in [2, 3, 4] {
            let index = index_of_every_kind(&repo, version);
            assert!(from_bytes(&index, none).is_some());
            // Every truncation short of the checksum loses entries or extensions.
            for len in 0..index.len() - SHA1 {
                assert_eq!(
                    from_bytes(&index[..len], none),
                    None,
                    "v{version} cut at {len}"
                );
            }
            // Any single damaged byte: an answer or `None`, and no panic.
            let mut damaged = index.clone();
            for at in 0..index.len() {
                for flip in [0x01, 0x80, 0xff] {
                    damaged[at] ^= flip;
                    let _ = from_bytes(&damaged, none);
                    damaged[at] ^= flip;
                }
            }
        }
        let mut huge_count = index_of_every_kind(&repo, 2);
        huge_count[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(from_bytes(&huge_count, none), None);
    }
}
