//! The bytes of an account's state (an [`Entry`]) for a changelog: a compact binary form
//! (postcard, behind a one-byte format tag), and the JSON form earlier versions wrote, which still
//! restores. Pure: an entry in, bytes out, and back.
//!
//! The binary form is postcard's encoding of the entry's serde shape, field by field in
//! declaration order: a field added later must be appended and readable from older bytes, so the
//! tag names the layout and a new layout gets a new tag.

use super::entry::Entry;

/// The first byte of a binary snapshot (a JSON snapshot starts with `{`).
pub const BINARY_V1: u8 = 0x01;

/// Why snapshot bytes do not restore.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A JSON snapshot that does not read as an entry.
    #[error("JSON snapshot: {0}")]
    Json(#[from] serde_json::Error),
    /// A binary snapshot (or changelog value) that does not read.
    #[error("binary snapshot: {0}")]
    Binary(#[from] postcard::Error),
    /// A first byte that names no format this version reads.
    #[error("snapshot format tag {0:#04x} is not known to this version")]
    UnknownFormat(u8),
    /// No bytes at all.
    #[error("empty snapshot")]
    Empty,
}

/// The entry's binary snapshot.
pub fn encode(e: &Entry) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.push(BINARY_V1);
    postcard::to_extend(e, out).expect("account state always serializes")
}

/// The entry's JSON snapshot (the form before binary snapshots; for tools and tests).
pub fn encode_json(e: &Entry) -> Vec<u8> {
    serde_json::to_vec(e).expect("account state always serializes")
}

/// An entry from either form.
pub fn decode(bytes: &[u8]) -> Result<Entry, SnapshotError> {
    match bytes.first() {
        None => Err(SnapshotError::Empty),
        Some(&BINARY_V1) => Ok(postcard::from_bytes(&bytes[1..])?),
        Some(b) if b.is_ascii_whitespace() || *b == b'{' => Ok(serde_json::from_slice(bytes)?),
        Some(&b) => Err(SnapshotError::UnknownFormat(b)),
    }
}
