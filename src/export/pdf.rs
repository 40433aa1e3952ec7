//! A readable Dutch invoice or credit note on A4, drawn with krilla.
//!
//! Layout: title and the seller's letterhead, the buyer's address where a window envelope shows
//! it, the invoice data (number, dates, period, references), the lines grouped per trajectory
//! (number and masked client as heading) with a column header that repeats on every page, the
//! VAT breakdown and totals, the payment instruction, and a footer with "pagina i van n".
//!
//! The text is set in Liberation Sans 2.1.5 (SIL Open Font License 1.1, see
//! `src/export/fonts/OFL-1.1-LiberationSans.txt`), embedded as a subset, so `€`, `ë` and `é` show
//! and the text can be copied and searched. Layout is done first into pages of drawing
//! operations (so the page count is known for the footer), then drawn.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;

use chrono::Datelike;

use crate::domain::period::format_date_nl;
use crate::export::document::{period_nl, VatCategory};
use crate::export::{
    nl_money, nl_quantity, rate_text, unit_label_nl, DocumentKind, DocumentLine, ExportError,
    InvoiceDocument,
};

static REGULAR_TTF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/export/fonts/LiberationSans-Regular.ttf"
));
static BOLD_TTF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/export/fonts/LiberationSans-Bold.ttf"
));

// Page geometry in PDF points (layout only; money never passes through a float).
// A4 in points; y grows downwards, text is placed at its baseline.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_W - 50.0;
const TOP: f32 = 50.0;
/// Content stops here; the footer lives below.
const BOTTOM: f32 = PAGE_H - 62.0;

// Table columns: left edges for text columns, right edges for numbers.
const COL_DESC: f32 = LEFT;
const COL_DESC_W: f32 = 180.0;
const COL_PERIOD: f32 = 238.0;
const COL_QTY_R: f32 = 384.0;
const COL_PRICE_R: f32 = 444.0;
const COL_VAT_R: f32 = 478.0;
const COL_AMOUNT_R: f32 = RIGHT;

const TABLE_SIZE: f32 = 8.5;
const TABLE_LEADING: f32 = 11.0;
/// A table cell shows at most this many lines; more is cut with "…".
const MAX_CELL_LINES: usize = 8;
/// A paragraph shows at most this many lines.
const MAX_PARAGRAPH_LINES: usize = 60;

const BLACK: u8 = 0;
const DARK: u8 = 60;
const GREY: u8 = 105;
const RULE: u8 = 200;
const SHADE: u8 = 236;

/// Renders the document as a PDF.
pub fn render(doc: &InvoiceDocument) -> Result<Vec<u8>, ExportError> {
    doc.check()?;
    let metrics = Metrics::new()?;
    let pages = layout(doc, &metrics);
    draw(doc, &metrics, pages)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

/// Size, face and gray level of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Style {
    size: f32,
    face: Face,
    gray: u8,
}

impl Style {
    fn new(size: f32, face: Face, gray: u8) -> Self {
        Self { size, face, gray }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        face: Face,
        gray: u8,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        gray: u8,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: u8,
    },
}

/// Text measurement with the same shaper krilla draws with.
struct Metrics {
    regular: rustybuzz::Face<'static>,
    bold: rustybuzz::Face<'static>,
}

impl Metrics {
    fn new() -> Result<Self, ExportError> {
        let load = |data: &'static [u8]| {
            rustybuzz::Face::from_slice(data, 0)
                .ok_or_else(|| ExportError::Pdf("the embedded font cannot be read".into()))
        };
        Ok(Self {
            regular: load(REGULAR_TTF)?,
            bold: load(BOLD_TTF)?,
        })
    }

    fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        if text.is_empty() {
            return 0.0;
        }
        let f = match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let glyphs = rustybuzz::shape(f, &[], buffer);
        let units: i64 = glyphs
            .glyph_positions()
            .iter()
            .map(|p| i64::from(p.x_advance))
            .sum();
        let upem = f.units_per_em().max(1) as f32;
        units as f32 / upem * size
    }

    /// Cuts `text` to fit `width`, ending in "…" when cut.
    fn fit(&self, face: Face, size: f32, text: &str, width: f32) -> String {
        if self.width(face, size, text) <= width {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        let cut = |n: usize| -> String {
            let head: String = chars[..n].iter().collect();
            format!("{}…", head.trim_end())
        };
        // The longest prefix that fits, by bisection: widths grow with the prefix.
        let (mut lo, mut hi) = (0usize, chars.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.width(face, size, &cut(mid)) <= width {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        cut(lo)
    }

    /// Greedy word wrap into lines no wider than `width`; a word wider than a line is broken.
    /// At most `max_lines` lines; the last one ends in "…" when text was left over. Widths are
    /// added up per word (kerning does not cross a space), so each word is shaped once.
    fn wrap(&self, face: Face, size: f32, text: &str, width: f32, max_lines: usize) -> Vec<String> {
        let space = self.width(face, size, " ");
        let mut lines: Vec<String> = Vec::new();
        'paragraphs: for paragraph in text.split('\n') {
            let mut current = String::new();
            let mut current_w = 0.0f32;
            for word in paragraph.split_whitespace() {
                if lines.len() > max_lines {
                    break 'paragraphs;
                }
                let word_w = self.width(face, size, word);
                if current.is_empty() && word_w <= width {
                    current = word.to_string();
                    current_w = word_w;
                    continue;
                }
                if !current.is_empty() && current_w + space + word_w <= width {
                    current.push(' ');
                    current.push_str(word);
                    current_w += space + word_w;
                    continue;
                }
                if !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                    current_w = 0.0;
                }
                if word_w <= width {
                    current = word.to_string();
                    current_w = word_w;
                    continue;
                }
                // A word wider than a line: break it between characters.
                for ch in word.chars() {
                    let mut buf = [0u8; 4];
                    let ch_w = self.width(face, size, ch.encode_utf8(&mut buf));
                    if !current.is_empty() && current_w + ch_w > width {
                        lines.push(std::mem::take(&mut current));
                        current_w = 0.0;
                        if lines.len() > max_lines {
                            break 'paragraphs;
                        }
                    }
                    current.push(ch);
                    current_w += ch_w;
                }
            }
            if !current.is_empty() {
                lines.push(current);
            }
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                *last = self.fit(face, size, &format!("{last} …"), width);
                if !last.ends_with('…') {
                    last.push('…');
                }
            }
        }
        lines
    }
}

/// Control characters would draw as boxes; tabs and line breaks become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Keeps line breaks (for wrapping), drops other control characters.
fn clean_multiline(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' => '\n',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// `NL91ABNA0417164300` → `NL91 ABNA 0417 1643 00`.
fn iban_display(iban: &str) -> String {
    let compact: Vec<char> = iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    compact
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn some_text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(clean).filter(|s| !s.is_empty())
}

struct Layout<'a> {
    m: &'a Metrics,
    doc: &'a InvoiceDocument,
    done: Vec<Vec<Op>>,
    page: Vec<Op>,
    y: f32,
    /// While lines are being set: repeat the column header (and the group) on a new page.
    in_table: bool,
    group: Option<String>,
}

impl<'a> Layout<'a> {
    fn text(&mut self, x: f32, y: f32, style: Style, align: Align, text: &str) {
        let Style { size, face, gray } = style;
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Right => x - self.m.width(face, size, text),
        };
        self.page.push(Op::Text {
            x,
            y,
            size,
            face,
            gray,
            text: text.to_string(),
        });
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, gray: u8) {
        self.page.push(Op::Line {
            x1,
            y1: y,
            x2,
            y2: y,
            width,
            gray,
        });
    }

    fn new_page(&mut self) {
        let finished = std::mem::take(&mut self.page);
        self.done.push(finished);
        self.y = TOP;
        let title = format!(
            "{} {} (vervolg)",
            self.doc.title_nl(),
            clean(&self.doc.number)
        );
        self.text(
            LEFT,
            self.y + 8.0,
            Style::new(9.0, Face::Bold, DARK),
            Align::Left,
            &title,
        );
        let buyer = self
            .m
            .fit(Face::Regular, 9.0, &clean(&self.doc.buyer.name), 240.0);
        self.text(
            RIGHT,
            self.y + 8.0,
            Style::new(9.0, Face::Regular, GREY),
            Align::Right,
            &buyer,
        );
        self.y += 24.0;
        if self.in_table {
            self.table_header();
            if let Some(g) = self.group.clone() {
                self.group_heading(&format!("{g} (vervolg)"), None);
            }
        }
    }

    /// Starts a new page unless `height` still fits on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    fn paragraph(&mut self, text: &str, size: f32, face: Face, gray: u8) {
        let leading = size * 1.35;
        let lines = self.m.wrap(
            face,
            size,
            &clean_multiline(text),
            RIGHT - LEFT,
            MAX_PARAGRAPH_LINES,
        );
        for line in lines {
            self.ensure(leading);
            self.text(
                LEFT,
                self.y + size,
                Style::new(size, face, gray),
                Align::Left,
                &line,
            );
            self.y += leading;
        }
    }

    fn header(&mut self) {
        let doc = self.doc;
        // Title.
        self.text(
            LEFT,
            TOP + 22.0,
            Style::new(24.0, Face::Bold, BLACK),
            Align::Left,
            doc.title_nl(),
        );

        // Letterhead of the seller, top right.
        let x = 360.0;
        let w = RIGHT - x;
        let s = &doc.seller;
        let mut y = TOP + 8.0;
        for line in self.m.wrap(Face::Bold, 11.0, &clean(&s.name), w, 2) {
            self.text(
                x,
                y,
                Style::new(11.0, Face::Bold, BLACK),
                Align::Left,
                &line,
            );
            y += 13.5;
        }
        let mut rows: Vec<String> = vec![
            clean(&s.street),
            format!("{}  {}", clean(&s.postcode), clean(&s.city)),
        ];
        if !s.country.trim().eq_ignore_ascii_case("NL") {
            rows.push(clean(&s.country).to_uppercase());
        }
        if let Some(email) = some_text(&s.email) {
            rows.push(email);
        }
        for row in rows {
            let row = self.m.fit(Face::Regular, 8.5, &row, w);
            self.text(
                x,
                y,
                Style::new(8.5, Face::Regular, DARK),
                Align::Left,
                &row,
            );
            y += 11.0;
        }
        let letterhead_end = y;

        // Buyer address, in the window of a Dutch window envelope.
        let b = &doc.buyer;
        let mut y = letterhead_end.max(138.0) + 12.0;
        for line in self.m.wrap(Face::Bold, 10.5, &clean(&b.name), 260.0, 3) {
            self.text(
                LEFT,
                y,
                Style::new(10.5, Face::Bold, BLACK),
                Align::Left,
                &line,
            );
            y += 13.5;
        }
        let mut rows = vec![
            clean(&b.street),
            format!("{}  {}", clean(&b.postcode), clean(&b.city)),
        ];
        if !b.country.trim().eq_ignore_ascii_case("NL") {
            rows.push(clean(&b.country).to_uppercase());
        }
        for row in rows {
            let row = self.m.fit(Face::Regular, 10.0, &row, 260.0);
            self.text(
                LEFT,
                y,
                Style::new(10.0, Face::Regular, BLACK),
                Align::Left,
                &row,
            );
            y += 13.0;
        }
        let address_end = y;

        // The invoice data, right.
        let label_x = 360.0;
        let value_x = 448.0;
        let value_w = RIGHT - value_x;
        let mut facts: Vec<(&str, String)> = Vec::new();
        match doc.kind {
            DocumentKind::Invoice => {
                facts.push(("Factuurnummer", clean(&doc.number)));
                facts.push(("Factuurdatum", format_date_nl(doc.issue_date)));
                facts.push(("Vervaldatum", format_date_nl(doc.due_date)));
            }
            DocumentKind::CreditNote => {
                facts.push(("Creditnotanummer", clean(&doc.number)));
                facts.push(("Datum", format_date_nl(doc.issue_date)));
                if let Some((number, date)) = &doc.cites {
                    facts.push((
                        "Op factuur",
                        format!("{} van {}", clean(number), format_date_nl(*date)),
                    ));
                }
            }
        }
        facts.push(("Periode", clean(&period_nl(&doc.period))));
        facts.push(("Uw referentie", clean(&doc.buyer_reference)));
        if !doc.buyer_code.trim().is_empty() {
            facts.push(("Gemeentecode", clean(&doc.buyer_code)));
        }
        let mut y = letterhead_end.max(138.0) + 12.0;
        for (label, value) in facts {
            self.text(
                label_x,
                y,
                Style::new(8.5, Face::Regular, GREY),
                Align::Left,
                label,
            );
            for line in self.m.wrap(Face::Bold, 8.5, &value, value_w, 3) {
                self.text(
                    value_x,
                    y,
                    Style::new(8.5, Face::Bold, BLACK),
                    Align::Left,
                    &line,
                );
                y += 11.5;
            }
        }
        self.y = address_end.max(y).max(letterhead_end) + 22.0;

        if doc.kind == DocumentKind::CreditNote {
            let mut text = match &doc.cites {
                Some((number, date)) => format!(
                    "Deze creditnota corrigeert factuur {} van {}.",
                    clean(number),
                    format_date_nl(*date)
                ),
                None => String::new(),
            };
            if let Some(reason) = some_text(&doc.credit_reason) {
                text.push_str(&format!(" Reden: {reason}."));
            }
            self.paragraph(text.trim(), 9.5, Face::Regular, BLACK);
            self.y += 8.0;
        }
    }

    fn table_header(&mut self) {
        let h = 17.0;
        self.page.push(Op::Rect {
            x: LEFT,
            y: self.y,
            w: RIGHT - LEFT,
            h,
            gray: SHADE,
        });
        let y = self.y + 11.5;
        let s = 8.0;
        self.text(
            COL_DESC + 3.0,
            y,
            Style::new(s, Face::Bold, DARK),
            Align::Left,
            "Product / omschrijving",
        );
        self.text(
            COL_PERIOD,
            y,
            Style::new(s, Face::Bold, DARK),
            Align::Left,
            "Periode",
        );
        self.text(
            COL_QTY_R,
            y,
            Style::new(s, Face::Bold, DARK),
            Align::Right,
            "Aantal",
        );
        self.text(
            COL_PRICE_R,
            y,
            Style::new(s, Face::Bold, DARK),
            Align::Right,
            "Prijs",
        );
        self.text(
            COL_VAT_R,
            y,
            Style::new(s, Face::Bold, DARK),
            Align::Right,
            "Btw",
        );
        self.text(
            COL_AMOUNT_R - 3.0,
            y,
            Style::new(s, Face::Bold, DARK),
            Align::Right,
            "Bedrag",
        );
        self.y += h + 2.0;
    }

    fn group_heading(&mut self, heading: &str, reference: Option<&str>) {
        let y = self.y + 13.0;
        let heading = self.m.fit(Face::Bold, 9.0, heading, RIGHT - LEFT - 150.0);
        self.text(
            LEFT,
            y,
            Style::new(9.0, Face::Bold, BLACK),
            Align::Left,
            &heading,
        );
        if let Some(r) = reference {
            let r = self
                .m
                .fit(Face::Regular, 8.5, &format!("uw referentie {r}"), 145.0);
            self.text(
                RIGHT,
                y,
                Style::new(8.5, Face::Regular, GREY),
                Align::Right,
                &r,
            );
        }
        self.y += 18.0;
    }

    /// The cells of one line, wrapped.
    fn line_cells(&self, l: &DocumentLine) -> (Vec<String>, Vec<String>, Vec<String>) {
        let name = self.m.wrap(
            Face::Regular,
            TABLE_SIZE,
            &clean(&l.product_name),
            COL_DESC_W - 3.0,
            MAX_CELL_LINES / 2,
        );
        let detail = [clean(&l.product_code), clean(&l.description)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        let detail = self.m.wrap(
            Face::Regular,
            TABLE_SIZE - 0.5,
            &detail,
            COL_DESC_W - 3.0,
            MAX_CELL_LINES / 2,
        );
        let period = if l.service_start == l.service_end {
            vec![format_date_nl(l.service_start)]
        } else {
            vec![
                format_date_nl(l.service_start),
                format!("t/m {}", format_date_nl(l.service_end)),
            ]
        };
        (name, detail, period)
    }

    fn line_height(&self, l: &DocumentLine) -> f32 {
        let (name, detail, period) = self.line_cells(l);
        let rows = (name.len() + detail.len()).max(period.len()).max(1);
        rows as f32 * TABLE_LEADING + 6.0
    }

    fn line(&mut self, l: &DocumentLine) {
        let (name, detail, period) = self.line_cells(l);
        let h = self.line_height(l);
        self.ensure(h);
        let top = self.y + 3.0 + TABLE_SIZE;
        let mut y = top;
        for n in &name {
            self.text(
                COL_DESC + 3.0,
                y,
                Style::new(TABLE_SIZE, Face::Regular, BLACK),
                Align::Left,
                n,
            );
            y += TABLE_LEADING;
        }
        for d in &detail {
            self.text(
                COL_DESC + 3.0,
                y,
                Style::new(TABLE_SIZE - 0.5, Face::Regular, GREY),
                Align::Left,
                d,
            );
            y += TABLE_LEADING;
        }
        let mut y = top;
        for p in &period {
            self.text(
                COL_PERIOD,
                y,
                Style::new(TABLE_SIZE, Face::Regular, BLACK),
                Align::Left,
                p,
            );
            y += TABLE_LEADING;
        }
        let qty = format!(
            "{} {}",
            nl_quantity(l.quantity),
            unit_label_nl(&clean(&l.unit), l.quantity)
        );
        self.text(
            COL_QTY_R,
            top,
            Style::new(TABLE_SIZE, Face::Regular, BLACK),
            Align::Right,
            &qty,
        );
        self.text(
            COL_PRICE_R,
            top,
            Style::new(TABLE_SIZE, Face::Regular, BLACK),
            Align::Right,
            &nl_money(l.unit_price),
        );
        let vat = match VatCategory::parse(&l.vat_category) {
            Some(VatCategory::Exempt) => "vrij".to_string(),
            _ => format!("{}%", rate_text(l.vat_rate)),
        };
        self.text(
            COL_VAT_R,
            top,
            Style::new(TABLE_SIZE, Face::Regular, BLACK),
            Align::Right,
            &vat,
        );
        self.text(
            COL_AMOUNT_R - 3.0,
            top,
            Style::new(TABLE_SIZE, Face::Regular, BLACK),
            Align::Right,
            &nl_money(l.net),
        );
        self.y += h;
        self.rule(LEFT, RIGHT, self.y, 0.4, RULE);
    }

    fn lines(&mut self) {
        let doc = self.doc;
        // Groups in order of first appearance, lines in document order within a group.
        let mut groups: Vec<(String, Vec<&DocumentLine>)> = Vec::new();
        for l in &doc.lines {
            let key = clean(&l.belongs_to());
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(l),
                None => groups.push((key, vec![l])),
            }
        }
        self.ensure(17.0 + 2.0 + 18.0 + 40.0);
        self.table_header();
        self.in_table = true;
        for (trajectory, lines) in groups {
            let client = lines
                .iter()
                .map(|l| clean(&l.client_masked))
                .find(|c| !c.is_empty());
            let heading = match client {
                Some(c) => format!("{trajectory} · {c}"),
                None => trajectory.clone(),
            };
            let reference = lines.iter().find_map(|l| some_text(&l.buyer_reference));
            let first = lines.first().map(|l| self.line_height(l)).unwrap_or(0.0);
            self.group = None;
            self.ensure(18.0 + first);
            self.group_heading(&heading, reference.as_deref());
            self.group = Some(heading);
            let with_subtotal = lines.len() > 1;
            for (i, l) in lines.iter().enumerate() {
                if with_subtotal && i + 1 == lines.len() {
                    // The last line does not leave its subtotal alone on the next page.
                    let h = self.line_height(l);
                    self.ensure(h + 16.0);
                }
                self.line(l);
            }
            if with_subtotal {
                self.ensure(16.0);
                let subtotal: rust_decimal::Decimal = lines.iter().map(|l| l.net).sum();
                let y = self.y + 11.0;
                self.text(
                    COL_VAT_R,
                    y,
                    Style::new(8.0, Face::Regular, GREY),
                    Align::Right,
                    &format!("Subtotaal {}", trajectory.trim_start_matches("Traject ")),
                );
                self.text(
                    COL_AMOUNT_R - 3.0,
                    y,
                    Style::new(TABLE_SIZE, Face::Bold, BLACK),
                    Align::Right,
                    &nl_money(subtotal),
                );
                self.y += 16.0;
            }
            self.y += 4.0;
        }
        self.in_table = false;
        self.group = None;
    }

    fn totals(&mut self) {
        let doc = self.doc;
        let label_x = 300.0;
        let reason_w = RIGHT - label_x - 75.0;
        let mut vat: Vec<_> = doc.vat.iter().collect();
        vat.sort_by_key(|v| (VatCategory::parse(&v.category), std::cmp::Reverse(v.rate)));
        // Rows: (label, amount, bold, reason lines).
        let mut rows: Vec<(String, String, bool, Vec<String>)> = Vec::new();
        rows.push((
            "Totaal excl. btw".into(),
            nl_money(doc.net),
            false,
            Vec::new(),
        ));
        for v in vat {
            match VatCategory::parse(&v.category) {
                Some(VatCategory::Exempt) => {
                    let reason = some_text(&v.exemption_reason).unwrap_or_default();
                    let reason = if reason.to_lowercase().starts_with("vrijgesteld") {
                        reason
                    } else {
                        format!("Vrijgesteld: {reason}")
                    };
                    let reason_lines = self.m.wrap(Face::Regular, 7.5, &reason, reason_w + 75.0, 4);
                    rows.push((
                        format!("Vrijgesteld van btw over {}", nl_money(v.taxable)),
                        nl_money(v.tax),
                        false,
                        reason_lines,
                    ));
                }
                _ => rows.push((
                    format!("Btw {}% over {}", rate_text(v.rate), nl_money(v.taxable)),
                    nl_money(v.tax),
                    false,
                    Vec::new(),
                )),
            }
        }
        rows.push((
            "Totaal btw".into(),
            nl_money(doc.vat_total),
            false,
            Vec::new(),
        ));
        let total_label = match doc.kind {
            DocumentKind::Invoice => "Totaal te betalen",
            DocumentKind::CreditNote => "Totaal te crediteren",
        };
        rows.push((total_label.into(), nl_money(doc.total), true, Vec::new()));
        let height: f32 = rows
            .iter()
            .map(|r| 15.0 + r.3.len() as f32 * 9.5)
            .sum::<f32>()
            + 20.0;
        self.y += 10.0;
        self.ensure(height);
        let n = rows.len();
        for (i, (label, amount, bold, reason)) in rows.into_iter().enumerate() {
            if i + 1 == n {
                self.rule(label_x, RIGHT, self.y + 2.0, 0.8, BLACK);
                self.y += 4.0;
            }
            let (face, size) = if bold {
                (Face::Bold, 10.5)
            } else {
                (Face::Regular, 9.0)
            };
            let y = self.y + 11.0;
            let label = self.m.fit(face, size, &label, RIGHT - label_x - 80.0);
            self.text(
                label_x,
                y,
                Style::new(size, face, BLACK),
                Align::Left,
                &label,
            );
            self.text(
                RIGHT - 3.0,
                y,
                Style::new(size, face, BLACK),
                Align::Right,
                &amount,
            );
            self.y += 15.0;
            for r in reason {
                self.text(
                    label_x,
                    self.y + 6.0,
                    Style::new(7.5, Face::Regular, GREY),
                    Align::Left,
                    &r,
                );
                self.y += 9.5;
            }
        }
        self.y += 14.0;
    }

    fn closing(&mut self) {
        let doc = self.doc;
        let text = match doc.kind {
            DocumentKind::Invoice => {
                let bic = some_text(&doc.seller_bic)
                    .map(|b| format!(" (BIC {b})"))
                    .unwrap_or_default();
                format!(
                    "Gelieve {} vóór {} over te maken op IBAN {}{} ten name van {} o.v.v. \
                     factuurnummer {}.",
                    nl_money(doc.total),
                    format_date_nl(doc.due_date),
                    iban_display(&doc.seller_iban),
                    bic,
                    clean(&doc.seller.name),
                    clean(&doc.number)
                )
            }
            DocumentKind::CreditNote => format!(
                "Het bedrag van {} wordt uiterlijk {} met u verrekend of op uw rekening \
                 teruggestort.",
                nl_money(doc.total),
                format_date_nl(doc.due_date),
            ),
        };
        self.paragraph(&text, 9.5, Face::Regular, BLACK);
        if let Some(note) = doc.note.as_deref().filter(|n| !n.trim().is_empty()) {
            self.y += 6.0;
            self.paragraph(note, 9.0, Face::Regular, DARK);
        }
    }
}

fn layout(doc: &InvoiceDocument, m: &Metrics) -> Vec<Vec<Op>> {
    let mut l = Layout {
        m,
        doc,
        done: Vec::new(),
        page: Vec::new(),
        y: TOP,
        in_table: false,
        group: None,
    };
    l.header();
    l.lines();
    l.totals();
    l.closing();
    let last = std::mem::take(&mut l.page);
    l.done.push(last);
    l.done
}

/// Footer of every page: who sends it, and the page number.
fn footer(doc: &InvoiceDocument, m: &Metrics, page: usize, pages: usize) -> Vec<Op> {
    let y = PAGE_H - 40.0;
    let s = &doc.seller;
    let mut parts = vec![clean(&s.name)];
    if let Some(kvk) = some_text(&s.kvk) {
        parts.push(format!("KvK {kvk}"));
    }
    if let Some(vat) = some_text(&s.vat_id) {
        parts.push(format!("btw-id {vat}"));
    }
    parts.push(format!("IBAN {}", iban_display(&doc.seller_iban)));
    if let Some(bic) = some_text(&doc.seller_bic) {
        parts.push(format!("BIC {bic}"));
    }
    let left = m.fit(Face::Regular, 7.5, &parts.join(" · "), RIGHT - LEFT - 90.0);
    let number = format!("pagina {page} van {pages}");
    let number_x = RIGHT - m.width(Face::Regular, 7.5, &number);
    vec![
        Op::Line {
            x1: LEFT,
            y1: y - 12.0,
            x2: RIGHT,
            y2: y - 12.0,
            width: 0.4,
            gray: RULE,
        },
        Op::Text {
            x: LEFT,
            y,
            size: 7.5,
            face: Face::Regular,
            gray: GREY,
            text: left,
        },
        Op::Text {
            x: number_x,
            y,
            size: 7.5,
            face: Face::Regular,
            gray: GREY,
            text: number,
        },
    ]
}

fn gray(level: u8) -> rgb::Color {
    rgb::Color::new(level, level, level)
}

fn draw(doc: &InvoiceDocument, m: &Metrics, pages: Vec<Vec<Op>>) -> Result<Vec<u8>, ExportError> {
    let pdf_err = |what: &str| ExportError::Pdf(what.to_string());
    let regular = Font::new(REGULAR_TTF.into(), 0).ok_or_else(|| pdf_err("font unreadable"))?;
    let bold = Font::new(BOLD_TTF.into(), 0).ok_or_else(|| pdf_err("font unreadable"))?;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| pdf_err("page size"))?;

    let mut document = Document::new();
    let date = doc.issue_date;
    let created = DateTime::new(u16::try_from(date.year()).unwrap_or(2000))
        .month(u8::try_from(date.month()).unwrap_or(1))
        .day(u8::try_from(date.day()).unwrap_or(1));
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {}", doc.title_nl(), clean(&doc.number)))
            .authors(vec![clean(&doc.seller.name)])
            .creator("plusmarkt".to_string())
            .language("nl-NL".to_string())
            .creation_date(created),
    );

    let total = pages.len();
    for (i, mut ops) in pages.into_iter().enumerate() {
        ops.extend(footer(doc, m, i + 1, total));
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    face,
                    gray: level,
                    text,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: gray(level).into(),
                        opacity: NormalizedF32::ONE,
                        rule: Default::default(),
                    }));
                    let font = match face {
                        Face::Regular => regular.clone(),
                        Face::Bold => bold.clone(),
                    };
                    surface.draw_text(
                        Point::from_xy(x, y),
                        font,
                        size,
                        &text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    gray: level,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(x1, y1);
                    pb.line_to(x2, y2);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: gray(level).into(),
                            width,
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    gray: level,
                } => {
                    let mut pb = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                        pb.push_rect(rect);
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill {
                            paint: gray(level).into(),
                            opacity: NormalizedF32::ONE,
                            rule: Default::default(),
                        }));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| ExportError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::document::sample;
    use crate::export::sample_documents;

    fn texts(pages: &[Vec<Op>]) -> Vec<String> {
        pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn renders_a_pdf() {
        for (name, doc) in sample_documents() {
            let pdf = render(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(pdf.starts_with(b"%PDF-"), "{name}");
            assert!(pdf.len() > 1000);
        }
    }

    #[test]
    fn is_deterministic() {
        let doc = sample("invoice-mixed");
        assert_eq!(render(&doc).unwrap(), render(&doc).unwrap());
    }

    #[test]
    fn invoice_content() {
        let m = Metrics::new().unwrap();
        let doc = sample("invoice-mixed");
        let pages = layout(&doc, &m);
        assert_eq!(pages.len(), 1);
        let t = texts(&pages).join("\n");
        for needle in [
            "Factuur",
            "2026-000042",
            "31-12-2026",
            "30-01-2027",
            "december 2026",
            "Traject T2026-000123 · J. d. V.",
            "12,5 uur",
            "14 dagdelen",
            "0,483871 maand",
            "€ 1.725,00",
            "21%",
            "vrij",
            "Totaal excl. btw",
            "Totaal te betalen",
            "01-12-2026",
            "t/m 31-12-2026",
        ] {
            assert!(t.contains(needle), "missing {needle:?} in\n{t}");
        }
        assert!(t.contains(&format!("Btw 21% over {}", nl_money(doc.vat[1].taxable))));
        assert!(t.contains(&nl_money(doc.total)));
    }

    #[test]
    fn long_invoice_breaks_pages_and_repeats_the_header() {
        let m = Metrics::new().unwrap();
        let pages = layout(&sample("invoice-long"), &m);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        for (i, page) in pages.iter().enumerate() {
            let t = texts(std::slice::from_ref(page));
            if i + 1 < pages.len() || t.iter().any(|s| s.starts_with("Traject")) {
                assert!(
                    t.iter().any(|s| s == "Product / omschrijving"),
                    "page {}",
                    i + 1
                );
            }
            // Nothing is drawn into the footer area.
            for op in page {
                if let Op::Text { y, .. } = op {
                    assert!(*y <= BOTTOM, "page {} text at {y}", i + 1);
                }
            }
        }
        let pdf = render(&sample("invoice-long")).unwrap();
        let needle = format!("pagina 1 van {}", pages.len());
        assert!(texts(&[footer(&sample("invoice-long"), &m, 1, pages.len())]).contains(&needle));
        assert!(pdf.len() > 1000);
    }

    #[test]
    fn credit_note_cites_the_invoice() {
        let m = Metrics::new().unwrap();
        let pages = layout(&sample("creditnote-one-line"), &m);
        let t = texts(&pages).join(" ");
        assert!(t.contains("Creditnota"));
        assert!(t.contains("2026-000042 van 31-12-2026"));
        assert!(t.contains("Reden: dubbel"));
        assert!(t.contains("Totaal te crediteren"));
    }

    #[test]
    fn hostile_text_does_not_break_the_layout() {
        let mut doc = sample("invoice-exempt-only");
        doc.lines[0].product_name = "X".repeat(5000);
        doc.lines[0].description = "woord ".repeat(3000);
        doc.lines[1].client_masked = "\u{0}\u{7}漢字🙂\u{202e}abc".into();
        doc.note = Some("regel\n".repeat(500));
        doc.buyer.name = "W".repeat(400);
        let m = Metrics::new().unwrap();
        let pages = layout(&doc, &m);
        for page in &pages {
            for op in page {
                if let Op::Text { y, .. } = op {
                    assert!(*y <= BOTTOM);
                }
            }
        }
        assert!(render(&doc).unwrap().starts_with(b"%PDF-"));
    }

    #[test]
    fn wrap_and_fit() {
        let m = Metrics::new().unwrap();
        let lines = m.wrap(Face::Regular, 10.0, "een twee drie vier vijf zes", 60.0, 10);
        assert!(lines.len() > 1);
        assert!(lines
            .iter()
            .all(|l| m.width(Face::Regular, 10.0, l) <= 60.0));
        assert_eq!(lines.join(" "), "een twee drie vier vijf zes");
        let cut = m.wrap(Face::Regular, 10.0, &"a ".repeat(1000), 50.0, 3);
        assert_eq!(cut.len(), 3);
        assert!(cut[2].ends_with('…'));
        assert!(m
            .fit(Face::Regular, 10.0, "abcdefghijklmnop", 30.0)
            .ends_with('…'));
        assert_eq!(iban_display("nl91abna0417164300"), "NL91 ABNA 0417 1643 00");
    }
}
