//! The one SHA-256 helper: how sigap names content (documents, files
//! applied, batches' cards, bundles and their entries, input keys), always
//! as lower-case hex. Pure: it reads no file (see
//! [`crate::files::file_sha256`] for that), so the renderers may use it.

use sha2::{Digest, Sha256};

/// SHA-256 of `bytes`, lower-case hex: how sigap names content everywhere
/// (documents, files applied, batches' cards, bundles, input keys).
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    let mut h = Sha256Hex::default();
    h.update(bytes);
    h.finish()
}

/// A SHA-256 fed in parts (a file read in blocks, a key made of several
/// fields), finished as lower-case hex like [`sha256_hex`].
#[derive(Debug, Clone, Default)]
pub struct Sha256Hex(Sha256);

impl Sha256Hex {
    /// Adds bytes.
    pub fn update(&mut self, bytes: impl AsRef<[u8]>) {
        self.0.update(bytes);
    }

    /// The digest so far, lower-case hex (the hasher can go on).
    pub fn hex(&self) -> String {
        self.clone().finish()
    }

    /// The digest, lower-case hex.
    pub fn finish(self) -> String {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(64);
        for b in self.0.finalize() {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lower_case_hex_whole_or_in_parts() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex(b"abc"), abc);
        let mut h = Sha256Hex::default();
        h.update("a");
        h.update(b"bc");
        assert_eq!(h.hex(), abc);
    }
}
