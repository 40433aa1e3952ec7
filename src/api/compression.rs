//! gzip for answers that are kept and sent many times (the product list): compressed
//! once, sent to every client whose `Accept-Encoding` allows it (browsers and most HTTP
//! libraries send `gzip`), at a tenth of the bytes.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

/// Whether the `Accept-Encoding` header values allow gzip (RFC 9110 §12.5.3): `gzip`,
/// `x-gzip` or `*` with a quality above zero, unless `gzip` itself is refused with `q=0`.
pub fn accepts_gzip<'a>(values: impl IntoIterator<Item = &'a str>) -> bool {
    let mut wildcard = false;
    for value in values {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.len() > 2
                    && p[..2].eq_ignore_ascii_case("q=")
                    && p[2..].trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            });
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                return !refused;
            }
            if coding == "*" {
                wildcard = !refused;
            }
        }
    }
    wildcard
}

/// `bytes` gzip-compressed at the best level: each kept answer is compressed once.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::best());
    // Writing into a Vec cannot fail.
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::{accepts_gzip, gzip};

    #[test]
    fn gzip_is_allowed_as_clients_ask_for_it() {
        for yes in [
            "gzip",
            "gzip, deflate, br",
            "br;q=1.0, GZIP;q=0.5",
            "x-gzip",
            "*",
            "deflate, *;q=0.1",
        ] {
            assert!(accepts_gzip([yes]), "{yes}");
        }
        assert!(accepts_gzip(["deflate", "gzip"]), "over two header lines");
    }

    #[test]
    fn gzip_is_not_sent_unasked_or_refused() {
        for no in [
            "",
            "identity",
            "deflate, br",
            "gzip;q=0",
            "gzip; q=0.000",
            "*;q=0",
            "gzip;q=0, *",
            "gzipped",
        ] {
            assert!(!accepts_gzip([no]), "{no:?}");
        }
        assert!(!accepts_gzip(std::iter::empty()));
    }

    #[test]
    fn gzip_round_trips() {
        let text = "{\"items\":[]}".repeat(100);
        let packed = gzip(text.as_bytes());
        assert!(packed.len() < text.len() / 5);
        let mut back = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
    }
}
