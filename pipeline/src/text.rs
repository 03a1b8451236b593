//! Decoding the CSV files people send: one rule for every channel, so a
//! file saved by Excel on Windows reads the same in intake, pickups and
//! the station's results.

use std::borrow::Cow;

/// Windows-1252 (a superset of ISO-8859-1 for printable text) to UTF-8:
/// how a form export re-saved by Excel on Windows arrives.
pub fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// The text of a file a person sent (a form export, a pickup register, a
/// station's results): UTF-8 (a byte-order mark dropped), or Windows-1252
/// when the bytes are not UTF-8, as Excel on Windows saves a CSV.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(windows_1252(bytes)),
    }
}
