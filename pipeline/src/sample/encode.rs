//! Byte-level helpers for the inbox files: base64 and quoted-printable for
//! mail, the small PDFs that stand for scanned documents, and Drive ids.

use super::rng::Rng;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, wrapped at 76 columns with CRLF (RFC 2045).
pub(crate) fn base64_wrapped(bytes: &[u8]) -> String {
    let mut flat = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in sextets.iter().enumerate() {
            if i <= chunk.len() {
                flat.push(char::from(B64[*s as usize]));
            } else {
                flat.push('=');
            }
        }
    }
    let mut out = String::with_capacity(flat.len() + flat.len() / 38 + 2);
    for (i, c) in flat.chars().enumerate() {
        if i > 0 && i % 76 == 0 {
            out.push_str("\r\n");
        }
        out.push(c);
    }
    out.push_str("\r\n");
    out
}

/// Text as ISO-8859-1 bytes. Every character the generator writes into a
/// Latin-1 body is in that range; anything else becomes `?`.
pub(crate) fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Quoted-printable (RFC 2045) of text whose lines are separated by `\n`:
/// hard line breaks become CRLF, long lines get soft breaks before 76
/// columns, `=` and bytes outside printable ASCII are escaped.
pub(crate) fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for line in bytes.split(|b| *b == b'\n') {
        let mut col = 0;
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let literal =
                ((b == b' ' || b == b'\t') && !last) || ((33..=126).contains(&b) && b != b'=');
            let piece = if literal {
                char::from(b).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + piece.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += piece.len();
            out.push_str(&piece);
        }
        out.push_str("\r\n");
    }
    out
}

/// A minimal valid one-page PDF saying which document it stands for. The
/// comment line makes each file's bytes unique, as real scans would be.
pub(crate) fn pdf(kind: &str, comment: &str) -> Vec<u8> {
    let text = format!("Dokumen contoh sigap: {kind}");
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '(' | ')' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect();
    let stream = format!("BT /F1 14 Tf 72 770 Td ({escaped}) Tj ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}endstream", stream.len()),
    ];
    let mut out = format!("%PDF-1.4\n%sigap-sample {comment}\n").into_bytes();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        tail.push_str(&format!("{offset:010} 00000 n \n"));
    }
    tail.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.extend_from_slice(tail.as_bytes());
    out
}

/// A Google Drive link as Forms writes for an upload: 33 base62 characters.
pub(crate) fn drive_link(rng: &mut Rng) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let id: String = (0..33).map(|_| char::from(*rng.pick(ALPHABET))).collect();
    format!("https://drive.google.com/open?id={id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors_and_wraps() {
        assert_eq!(base64_wrapped(b""), "\r\n");
        assert_eq!(base64_wrapped(b"f"), "Zg==\r\n");
        assert_eq!(base64_wrapped(b"fo"), "Zm8=\r\n");
        assert_eq!(base64_wrapped(b"foo"), "Zm9v\r\n");
        assert_eq!(base64_wrapped(b"foobar"), "Zm9vYmFy\r\n");
        let long = base64_wrapped(&[0u8; 100]);
        assert!(long.lines().all(|l| l.len() <= 76));
        assert_eq!(long.lines().next().map(str::len), Some(76));
    }

    #[test]
    fn quoted_printable_escapes_and_soft_breaks() {
        let qp = quoted_printable(&latin1("a=b \u{b7} c \nx"));
        assert_eq!(qp, "a=3Db =B7 c=20\r\nx\r\n");
        let long = quoted_printable(&[b'a'; 200]);
        assert!(long.lines().all(|l| l.len() <= 76));
        assert_eq!(long.replace("=\r\n", "").trim_end(), "a".repeat(200));
    }

    #[test]
    fn pdf_xref_points_at_the_objects() {
        let bytes = pdf("kk", "A-1");
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("%PDF-1.4\n"));
        assert!(text.contains("(Dokumen contoh sigap: kk) Tj"));
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[start..].starts_with("xref\n"));
        for (i, line) in text[start..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                text[offset..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
        assert_ne!(pdf("kk", "A-1"), pdf("kk", "A-2"));
    }
}
