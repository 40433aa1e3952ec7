//! The invoice renditions (`plusmarkt::export`) on their sample documents: the UBL e-invoices
//! against the official rules, the PDFs by their text, and every rendition fed hostile text.
//! None of them needs the database.
//!
//! The UBL files go to the folder in `PLUSMARKT_EINVOICE_OUT` (default
//! `<CARGO_TARGET_TMPDIR>/plusmarkt-einvoice-out`): one `<sample>.xml` per sample document and
//! `broken-payable-off-by-a-cent.xml`, which must be refused. With `EINVOICE_VALIDATE` set (to
//! anything but empty or `0`) each file goes through `../shared/einvoice/validate` from the
//! repository root under both EN 16931 rule sets (`--cen latest`, `--cen peppol`): exit 0 for a
//! sample, exit 1 for the broken one; a validator that is missing or cannot set itself up (exit
//! 2) fails the test. `.ci/run` sets both variables and validates the folder once more.
//!
//! The PDFs go to `<CARGO_TARGET_TMPDIR>/plusmarkt-pdf-out`, to look at (for example with
//! `pdftoppm -png -r 80`). Their text is checked with `pdftotext` when it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use plusmarkt::export::{csv, pdf, sample_documents, ubl, DocumentKind, InvoiceDocument};
use proptest::prelude::*;
use quick_xml::events::Event;
use rust_decimal::Decimal;

/// Where scratch output goes: cargo's temporary folder for integration tests, else the system's.
fn tmp_base() -> PathBuf {
    option_env!("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

fn created(dir: PathBuf) -> PathBuf {
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// The folder for the UBL files: `PLUSMARKT_EINVOICE_OUT`, else a fixed folder under `tmp_base`.
pub fn einvoice_dir() -> PathBuf {
    let dir = match std::env::var_os("PLUSMARKT_EINVOICE_OUT") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => tmp_base().join("plusmarkt-einvoice-out"),
    };
    created(dir)
}

pub fn validation_wanted() -> bool {
    std::env::var("EINVOICE_VALIDATE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The official validator, beside the repository: `../shared/einvoice/validate`.
fn validator() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/einvoice/validate");
    assert!(
        path.is_file(),
        "EINVOICE_VALIDATE is set but the validator {} is missing",
        path.display()
    );
    path
}

/// The validator creates its Python environment on first use; two first uses at once collide.
static VALIDATOR: Mutex<()> = Mutex::new(());

/// Runs the validator on one file under one EN 16931 rule set: (exit code, stdout + stderr).
pub fn validate(file: &Path, cen: &str) -> (Option<i32>, String) {
    let _one_at_a_time = VALIDATOR.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new(validator())
        .args(["--cen", cen])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("run the validator: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn samples_are_valid_peppol_bis_billing() {
    let dir = einvoice_dir();
    let files: Vec<PathBuf> = sample_documents()
        .into_iter()
        .map(|(name, doc)| {
            let xml = ubl::render(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            let path = dir.join(format!("{name}.xml"));
            std::fs::write(&path, xml).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            path
        })
        .collect();
    assert!(files.len() >= 4, "{files:?}");
    if !validation_wanted() {
        eprintln!("EINVOICE_VALIDATE not set: rendered {files:?}, not validated");
        return;
    }
    for file in &files {
        for cen in ["latest", "peppol"] {
            let (code, text) = validate(file, cen);
            assert_eq!(
                code,
                Some(0),
                "{} under --cen {cen}:\n{text}",
                file.display()
            );
        }
    }
}

#[test]
fn a_broken_document_fails_validation() {
    let (_, doc) = sample_documents().remove(0);
    let xml = ubl::render(&doc).expect("render");
    let payable = format!(
        "<cbc:PayableAmount currencyID=\"EUR\">{}</cbc:PayableAmount>",
        doc.total
    );
    assert!(xml.contains(&payable), "{payable} not in the XML");
    let broken_total = doc.total + Decimal::new(1, 2);
    let broken = xml.replace(
        &payable,
        &format!("<cbc:PayableAmount currencyID=\"EUR\">{broken_total}</cbc:PayableAmount>"),
    );
    let path = einvoice_dir().join("broken-payable-off-by-a-cent.xml");
    std::fs::write(&path, broken).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if !validation_wanted() {
        return;
    }
    for cen in ["latest", "peppol"] {
        let (code, text) = validate(&path, cen);
        assert_eq!(
            code,
            Some(1),
            "expected a fatal finding under --cen {cen}:\n{text}"
        );
        assert!(text.contains("BR-CO-16"), "{text}");
    }
}

/// A run of exactly 9 digits that stands alone: what a BSN looks like.
fn nine_digit_runs(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let before = start > 0 && chars[start - 1].is_alphanumeric();
            let after = i < chars.len() && chars[i].is_alphanumeric();
            if i - start == 9 && !before && !after {
                found.push(chars[start..i].iter().collect());
            }
        } else {
            i += 1;
        }
    }
    found
}

/// Independent of the crate's formatter: 1234.5 → "€ 1.234,50".
fn dutch_money(d: Decimal) -> String {
    let s = format!("{d:.2}");
    let (int, frac) = s.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("€ {grouped},{frac}")
}

#[test]
fn samples_render_to_pdf() {
    let dir = created(tmp_base().join("plusmarkt-pdf-out"));
    let have_pdftotext = Command::new("pdftotext").arg("-v").output().is_ok();
    for (name, doc) in sample_documents() {
        let bytes = pdf::render(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(bytes.starts_with(b"%PDF-"), "{name}");
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if !have_pdftotext {
            eprintln!("pdftotext not installed: {} not checked", path.display());
            continue;
        }
        let out = Command::new("pdftotext")
            .args(["-layout", "-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("run pdftotext");
        assert!(out.status.success(), "pdftotext failed on {name}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&doc.number), "{name}: number missing\n{text}");
        let total = dutch_money(doc.total);
        assert!(
            text.contains(&total),
            "{name}: total {total} missing\n{text}"
        );
        let title = match doc.kind {
            DocumentKind::Invoice => "Factuur",
            DocumentKind::CreditNote => "Creditnota",
        };
        assert!(text.contains(title), "{name}");
        assert!(text.contains('€'), "{name}");
        assert!(
            text.contains("vóór") || text.contains("verrekend"),
            "{name}"
        );
        assert_eq!(
            nine_digit_runs(&text),
            Vec::<String>::new(),
            "{name}: BSN-like number"
        );
        if name == "invoice-mixed" {
            assert!(text.contains("Yılmaz-Ëlst"), "diacritics lost\n{text}");
            assert!(text.contains("P. é. K."), "diacritics lost");
        }
        if name == "invoice-long" {
            assert!(text.contains("pagina 1 van"), "{name}");
            assert!(text.contains("pagina 2 van"), "{name}");
        }
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[&<>\"';=+@\\-\\t\\r\\n\\x00-\\x1f]{0,12}",
        "[a-zA-Zéëïöü€ İıÇ漢🙂\u{202e}\u{301}]{1,60}",
    ]
}

/// The first sample with every free-text field replaced.
fn hostile(texts: Vec<String>) -> InvoiceDocument {
    let mut doc = sample_documents().remove(0).1;
    let mut t = texts.into_iter().cycle();
    let mut next = || t.next().unwrap_or_default();
    doc.note = Some(next());
    doc.buyer.name = format!("G{}", next());
    doc.buyer.street = format!("S{}", next());
    doc.seller.email = Some(next());
    doc.buyer_reference = format!("R{}", next());
    for line in &mut doc.lines {
        line.product_name = format!("P{}", next());
        line.description = next();
        line.client_masked = next();
        line.buyer_reference = Some(next());
    }
    doc
}

fn well_formed(xml: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => return depth == 0,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

proptest! {
    // Each case renders a PDF; a few dozen cases keep the suite quick.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever text the fields hold, no rendition panics, the UBL stays well-formed XML and
    /// the CSV keeps one row per line.
    #[test]
    fn renditions_never_panic(texts in proptest::collection::vec(any_text(), 1..8)) {
        let doc = hostile(texts);
        // A text that happens to hold a BSN-like number is refused; that is an answer too.
        if doc.check().is_ok() {
            let xml = ubl::render(&doc).expect("ubl");
            prop_assert!(well_formed(&xml), "not well-formed:\n{}", xml);
            prop_assert!(pdf::render(&doc).expect("pdf").starts_with(b"%PDF-"));
            let out = csv::render_invoices(&[&doc]).expect("csv");
            let rows = ::csv::ReaderBuilder::new()
                .delimiter(b';')
                .from_reader(out.as_bytes())
                .records()
                .count();
            prop_assert_eq!(rows, doc.lines.len());
        }
    }
}

/// Keeps a UBL document that a test made from real invoices, for the validator: written to
/// the e-invoice folder and, with EINVOICE_VALIDATE set, checked under both rule sets.
pub fn save_for_validation(name: &str, xml: &str) {
    let file = einvoice_dir().join(format!("{name}.xml"));
    std::fs::write(&file, xml).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    if validation_wanted() {
        for cen in ["latest", "peppol"] {
            let (code, text) = validate(&file, cen);
            assert_eq!(code, Some(0), "{name} under --cen {cen}:\n{text}");
        }
    }
}
