//! Comparing the name an applicant typed with the name on the KK.
//!
//! Both sides are normalised the same way:
//! 1. upper case;
//! 2. everything after the first comma is dropped when it consists only of
//!    academic degrees (`Siti Aminah, S.Pd., M.M.`);
//! 3. leading honorifics are dropped ([`HONORIFICS`]: `H.`, `Hj.`, `Dr.`,
//!    `Ir.`, `Prof.`, …), and trailing degrees written with a dot
//!    (`Budi Santoso S.H.`);
//! 4. apostrophes are removed, other punctuation becomes a space, runs of
//!    spaces become one.
//!
//! Equal after that: a match. One edit apart (a letter substituted,
//! deleted, inserted, or two adjacent letters swapped): a near match that a
//! person decides. Anything else: a mismatch.

/// Titles before a name that are not part of it (written with or without the dot).
pub const HONORIFICS: &[&str] = &[
    "H", "HJ", "HAJI", "HAJJAH", "DR", "DRS", "DRA", "IR", "PROF", "KH", "NY", "TN", "SDR", "SDRI",
    "BPK", "IBU",
];

/// Academic degrees after a name, compared without their dots.
pub const DEGREES: &[&str] = &[
    "SH", "SE", "ST", "SP", "SS", "SPD", "SPDI", "SAG", "SSOS", "SKOM", "SKM", "SKED", "SFARM",
    "SIP", "SHUT", "SPSI", "SSI", "STP", "SSTP", "SHI", "SKEP", "SIKOM", "SPT", "SIKM", "SST",
    "MM", "MH", "MSI", "MPD", "MAG", "MT", "MKOM", "MKES", "MSC", "MA", "MBA", "MKN", "AMD",
    "AMDKEB", "AMDKEP", "AMA", "APT", "NERS", "PHD", "DR", "DRS", "DRA", "IR", "LC",
];

fn bare(token: &str) -> String {
    token.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn is_degree(token: &str) -> bool {
    let b = bare(token);
    !b.is_empty() && DEGREES.contains(&b.as_str())
}

/// Letters and digits in words, nothing else.
fn words(text: &str) -> Vec<String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, '\'' | '`' | '\u{2019}'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    cleaned.split_whitespace().map(str::to_string).collect()
}

/// The name with case, spacing, punctuation, honorifics and degrees
/// normalised away (see the module documentation).
pub fn normalise(name: &str) -> String {
    let upper = name.to_uppercase();
    let mut segments = upper.split(',');
    let head = segments.next().unwrap_or("");
    let tail: Vec<&str> = segments.collect();
    let mut text = head.to_string();
    // A comma followed by anything but degrees is part of the name.
    if !tail.iter().all(|seg| seg.split_whitespace().all(is_degree)) {
        text = upper.clone();
    }
    let mut tokens: Vec<&str> = text.split_whitespace().collect();
    // Leading honorifics: only while a name remains after them.
    while tokens.len() > 1 && HONORIFICS.contains(&bare(tokens[0]).as_str()) {
        tokens.remove(0);
    }
    // Trailing degrees without a comma only when written with a dot, so a
    // name word like `MA` or `SE` stays.
    while tokens.len() > 1 && {
        let last = tokens[tokens.len() - 1];
        last.contains('.') && is_degree(last)
    } {
        tokens.pop();
    }
    words(&tokens.join(" ")).join(" ")
}

/// Optimal string alignment distance, stopping early above 1 (only "equal",
/// "one edit" and "more" matter here).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() && a[i] == b[j] {
        i += 1;
        j += 1;
    }
    let (ra, rb) = (&a[i..], &b[j..]);
    match (ra.len(), rb.len()) {
        (0, 0) => true,
        _ if ra.len() == rb.len() => {
            // Substitution, or a swap of two adjacent letters.
            ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        _ if ra.len() > rb.len() => ra[1..] == *rb,
        _ => rb[1..] == *ra,
    }
}

/// How a typed name compares with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    /// Equal after normalisation.
    Same,
    /// One edit apart after normalisation.
    Near,
    /// More than one edit apart.
    Different,
}

/// Compares a typed name with the name on record.
pub fn compare(typed: &str, record: &str) -> NameMatch {
    let (t, r) = (normalise(typed), normalise(record));
    if t == r {
        NameMatch::Same
    } else if within_one_edit(&t, &r) {
        NameMatch::Near
    } else {
        NameMatch::Different
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_spacing_punctuation_titles_and_degrees_do_not_matter() {
        for typed in [
            "Siti Aminah",
            "siti aminah",
            "  SITI   AMINAH ",
            "Hj. Siti Aminah",
            "Hj Siti Aminah, S.Pd",
            "Siti Aminah, S.Pd., M.M.",
            "Dr. Siti Aminah, S.H.",
            "Ir. H. Siti Aminah S.T.",
            "Siti Aminah,S.Pd",
            "Prof. Dr. Ir. Siti Aminah, M.Sc., Ph.D.",
        ] {
            assert_eq!(normalise(typed), "SITI AMINAH", "{typed}");
            assert_eq!(compare(typed, "SITI AMINAH"), NameMatch::Same, "{typed}");
        }
        assert_eq!(normalise("Ma'ruf Amin"), "MARUF AMIN");
        assert_eq!(normalise("Nur-Hidayat"), "NUR HIDAYAT");
        // Name words that look like degrees stay without a dot or comma.
        assert_eq!(normalise("Lie Ma"), "LIE MA");
        // A title alone is a name.
        assert_eq!(normalise("H."), "H");
        // A comma that is not followed by degrees is kept as a space.
        assert_eq!(normalise("Santoso, Budi"), "SANTOSO BUDI");
    }

    #[test]
    fn one_edit_is_near_more_is_different() {
        assert_eq!(compare("BUDI SANTOSA", "BUDI SANTOSO"), NameMatch::Near);
        assert_eq!(compare("BUDI SANTSO", "BUDI SANTOSO"), NameMatch::Near);
        assert_eq!(compare("BUDI SANTOOSO", "BUDI SANTOSO"), NameMatch::Near);
        assert_eq!(compare("BUDI SNATOSO", "BUDI SANTOSO"), NameMatch::Near);
        assert_eq!(compare("BUDI SANTOSOA", "BUDI SANTOSO"), NameMatch::Near);
        assert_eq!(compare("ABUDI SANTOSO", "BUDI SANTOSO"), NameMatch::Near);
        assert_eq!(
            compare("BUDI SANTOSA", "BUDI SENTOSO"),
            NameMatch::Different
        );
        assert_eq!(compare("AGUS SALIM", "BUDI SANTOSO"), NameMatch::Different);
        assert!(within_one_edit("", "A"));
        assert!(!within_one_edit("AB", "BCA"));
    }
}
