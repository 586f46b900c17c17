//! Invoices as PDF: a one-page A4 invoice, and the text of a PDF read back (which is how the tests
//! check what an invoice says).
//!
//! Invoices are set in Helvetica and Helvetica-Bold, two of the standard fonts every PDF reader
//! has, so no font file is embedded or shipped. These fonts use WinAnsiEncoding (Windows-1252),
//! which covers Western European text: accented Latin letters (ü, é, ß, ø), "€", "£", dashes, curly
//! quotes and the like print as they are. Thin and narrow no-break spaces and a few dash and minus
//! variants outside it are printed as their nearest WinAnsi character; anything else outside it
//! (Ł, ő, Greek, Cyrillic, CJK) prints as "?".
//!
//! The layout, top to bottom: the title ("Invoice A-000001"), the issue date and billing period,
//! the seller on the left and the customer ("Bill to") on the right, a table of the invoice lines
//! (Description | Quantity | Amount) with the total under it in bold, and the payment terms at the
//! foot of the page. Long text wraps within its column; an invoice that does not fit on one page
//! is refused rather than cut off.

use printpdf::{
    BuiltinFont, Color, Greyscale, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, TextItem,
};

/// What an invoice says. Every field is already formatted for print (dates, money, quantities):
/// this module only lays the text out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// The invoice number, such as "A-000001".
    pub number: String,
    /// The issue date, such as "1 December 2026".
    pub issued: String,
    /// The billing period, such as "November 2026".
    pub period: String,
    /// The seller's name and address, one line each; the first line (the name) is set in bold.
    pub seller: Vec<String>,
    /// The customer: name, company, address lines, "VAT ID: …"; the first line is set in bold.
    pub bill_to: Vec<String>,
    /// The rows of the table, in order.
    pub lines: Vec<InvoiceLine>,
    /// The amount due, such as "$60.00".
    pub total: String,
    /// How to pay, such as "Bank transfer — pay within 30 days quoting A-000001."
    pub payment: String,
}

/// One row of an invoice's table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceLine {
    /// What is charged for; wraps onto more lines when long.
    pub description: String,
    /// How much of it, such as "3 seats" or "1".
    pub quantity: String,
    /// What it costs, such as "$30.00".
    pub amount: String,
}

/// Draws `inv` as a one-page A4 PDF and returns the file's bytes.
///
/// Fails when the invoice does not fit on one page (too many lines, or very long text), or when
/// the PDF could not be written.
pub fn render_invoice(inv: &InvoiceDocument) -> Result<Vec<u8>, String> {
    let mut page = Canvas::default();
    layout(&mut page, inv)?;

    // The document properties are written as Unicode, so they need no fallback characters.
    let mut doc = PdfDocument::new(&format!("Invoice {}", inv.number));
    let info = &mut doc.metadata.info;
    if let Some(seller) = inv.seller.first() {
        info.author.clone_from(seller);
    }
    info.creation_date = printpdf::OffsetDateTime::now_utc();
    info.modification_date = info.creation_date;
    info.metadata_date = info.creation_date;

    let page = PdfPage::new(Mm(210.0), Mm(297.0), page.ops);
    let mut warnings = Vec::new();
    let bytes = doc
        .with_pages(vec![page])
        .save(&PdfSaveOptions::default(), &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(format!("could not write the invoice PDF: {}", error.msg));
    }
    Ok(bytes)
}

/// The text of every page of a PDF, pages one after the other, in the order it is drawn. Each
/// text object ends a line, so an invoice from [`render_invoice`] comes out one run of text (a
/// cell, a label, a wrapped line) per line.
///
/// Meant for checking what a document says (tests, support), not for laying it out again: columns
/// that sit side by side come out one after the other.
pub fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    /// The most a page's content may inflate to, so a small hostile file cannot use up memory.
    const MAX_PAGE_CONTENT: usize = 64 * 1024 * 1024;

    let doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("not a readable PDF: {e}"))?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text_with_limit(&pages, MAX_PAGE_CONTENT)
        .map_err(|e| format!("could not read the text of the PDF: {e}"))
}

// Geometry, in PDF points (1/72 inch), measured from the bottom-left corner of the page.

/// A4 width and height.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// Left and right margin (20 mm).
const MARGIN_X: f32 = 56.69;
/// The title's baseline, from the top of the page.
const TITLE_FROM_TOP: f32 = 72.0;
/// The payment terms' last baseline, from the bottom of the page.
const FOOT_FROM_BOTTOM: f32 = 56.69;
/// Where the values after "Issued" and "Period" start, from the left margin.
const LABEL_WIDTH: f32 = 56.0;
/// Where the "Bill to" block starts, from the left margin.
const BILL_TO_OFFSET: f32 = 264.0;
/// Width of the Amount column, and of the Quantity column before it (both right-aligned).
const AMOUNT_COLUMN: f32 = 96.0;
const QUANTITY_COLUMN: f32 = 84.0;
/// Space between table columns.
const GUTTER: f32 = 12.0;

/// Body text size and line height.
const BODY: f32 = 10.0;
const LEADING: f32 = 14.0;
/// Labels ("Issued", "Bill to") and the payment terms.
const SMALL: f32 = 9.0;
const TITLE: f32 = 20.0;
const TOTAL: f32 = 11.0;

/// Colours, as grey levels (0 black, 1 white).
const INK: f32 = 0.0;
const MUTED: f32 = 0.42;
const HAIRLINE: f32 = 0.8;

/// Draws the invoice on `page`, top to bottom, or says why it does not fit.
fn layout(page: &mut Canvas, inv: &InvoiceDocument) -> Result<(), String> {
    let left = MARGIN_X;
    let right = PAGE_WIDTH - MARGIN_X;
    let width = right - left;

    // Title, then the issue date and billing period as label and value.
    let mut y = PAGE_HEIGHT - TITLE_FROM_TOP;
    page.text(
        left,
        y,
        Face::Bold,
        TITLE,
        INK,
        &format!("Invoice {}", inv.number),
    );
    y -= 26.0;
    for (label, value) in [("Issued", &inv.issued), ("Period", &inv.period)] {
        page.text(left, y, Face::Regular, SMALL, MUTED, label);
        page.text(left + LABEL_WIDTH, y, Face::Regular, BODY, INK, value);
        y -= LEADING;
    }

    // Seller on the left, customer on the right, each under a small label.
    y -= 22.0;
    let party_width = BILL_TO_OFFSET - GUTTER;
    let seller_end = page.party(left, y, party_width, "From", &inv.seller);
    let bill_to_width = width - BILL_TO_OFFSET;
    let bill_to_end = page.party(
        left + BILL_TO_OFFSET,
        y,
        bill_to_width,
        "Bill to",
        &inv.bill_to,
    );
    y = seller_end.min(bill_to_end) - 22.0;

    // The table: a bold header over a rule, one row per line, a thin rule between rows.
    let amount_right = right;
    let quantity_right = right - AMOUNT_COLUMN;
    let description_width = quantity_right - QUANTITY_COLUMN - GUTTER - left;
    page.text(left, y, Face::Bold, BODY, INK, "Description");
    page.text_right(quantity_right, y, Face::Bold, BODY, INK, "Quantity");
    page.text_right(amount_right, y, Face::Bold, BODY, INK, "Amount");
    page.rule(left, right, y - 6.0, 0.8, INK);
    y -= 6.0 + LEADING + 2.0;
    for (i, line) in inv.lines.iter().enumerate() {
        if i > 0 {
            page.rule(left, right, y + LEADING - 4.0, 0.4, HAIRLINE);
        }
        page.text_right(quantity_right, y, Face::Regular, BODY, INK, &line.quantity);
        page.text_right(amount_right, y, Face::Regular, BODY, INK, &line.amount);
        for row in Face::Regular.wrap(BODY, &line.description, description_width) {
            page.text(left, y, Face::Regular, BODY, INK, &row);
            y -= LEADING;
        }
        y -= 4.0;
    }

    // The total, right-aligned in bold under a rule.
    page.rule(left, right, y + LEADING - 4.0, 0.8, INK);
    y -= 4.0;
    page.text_right(quantity_right, y, Face::Bold, TOTAL, INK, "Total");
    page.text_right(amount_right, y, Face::Bold, TOTAL, INK, &inv.total);
    let table_bottom = y - 8.0;

    // The payment terms at the foot of the page, under a thin rule, ending on the bottom margin.
    let foot = Face::Regular.wrap(SMALL, &inv.payment, width);
    let foot_line = SMALL + 4.0;
    let mut y = FOOT_FROM_BOTTOM + foot_line * (foot.len() as f32 - 1.0);
    let foot_top = y + foot_line;
    if table_bottom < foot_top + 12.0 {
        return Err(format!(
            "invoice {} does not fit on one page ({} lines)",
            inv.number,
            inv.lines.len()
        ));
    }
    if !foot.is_empty() {
        page.rule(left, right, foot_top, 0.4, HAIRLINE);
    }
    for row in &foot {
        page.text(left, y, Face::Regular, SMALL, INK, row);
        y -= foot_line;
    }
    Ok(())
}

/// Regular or bold type.
#[derive(Clone, Copy, Debug)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn builtin(self) -> BuiltinFont {
        match self {
            Face::Regular => BuiltinFont::Helvetica,
            Face::Bold => BuiltinFont::HelveticaBold,
        }
    }

    /// The advance width of each WinAnsi code from 0x20 to 0xFF, in thousandths of the type size.
    fn widths(self) -> &'static [u16; 224] {
        match self {
            Face::Regular => &HELVETICA,
            Face::Bold => &HELVETICA_BOLD,
        }
    }

    /// The width of `text` (already made printable) at `size` points.
    fn width(self, size: f32, text: &str) -> f32 {
        let widths = self.widths();
        let units: u32 = text
            .chars()
            .map(|c| {
                let code = win_ansi_code(c).unwrap_or(b'?');
                u32::from(widths[usize::from(code.saturating_sub(0x20))])
            })
            .sum();
        units as f32 / 1000.0 * size
    }

    /// `text` made printable and broken into lines no wider than `max_width` at `size` points, at
    /// spaces where it can be and inside a word only when the word alone is too wide. Blank text
    /// gives no lines.
    fn wrap(self, size: f32, text: &str, max_width: f32) -> Vec<String> {
        let text = printable(text);
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if self.width(size, &candidate) <= max_width {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            // The word starts a new line; split it where it overflows a line of its own.
            for c in word.chars() {
                current.push(c);
                if self.width(size, &current) > max_width && current.chars().count() > 1 {
                    current.pop();
                    lines.push(std::mem::replace(&mut current, c.to_string()));
                }
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }
}

/// Helvetica's and Helvetica-Bold's advance widths (from their Adobe font metrics) for the WinAnsi
/// codes 0x20 to 0xFF, in thousandths of the type size; 0 where the code has no character.
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

/// The drawing operations of one page.
#[derive(Default)]
struct Canvas {
    ops: Vec<Op>,
}

impl Canvas {
    /// Writes `text` with its baseline starting at (`x`, `y`). Each call is a text object of its
    /// own, so text extraction puts it on a line of its own.
    fn text(&mut self, x: f32, y: f32, face: Face, size: f32, grey: f32, text: &str) {
        let text = printable(text);
        if text.trim().is_empty() {
            return;
        }
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(face.builtin()),
                size: Pt(size),
            },
            Op::SetFillColor {
                col: grey_color(grey),
            },
            Op::SetTextCursor {
                pos: Point { x: Pt(x), y: Pt(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text)],
            },
            Op::EndTextSection,
        ]);
    }

    /// Writes `text` so that it ends at `right`.
    fn text_right(&mut self, right: f32, y: f32, face: Face, size: f32, grey: f32, text: &str) {
        let width = face.width(size, &printable(text));
        self.text(right - width, y, face, size, grey, text);
    }

    /// Draws a horizontal line from `x1` to `x2` at height `y`.
    fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, grey: f32) {
        let point = |x: f32| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.ops.extend([
            Op::SetOutlineColor {
                col: grey_color(grey),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(x1), point(x2)],
                    is_closed: false,
                },
            },
        ]);
    }

    /// Writes a small `label` and under it `lines` (the first in bold), each wrapped to `width`,
    /// starting at baseline `y`. Returns the baseline below the block.
    fn party(&mut self, x: f32, mut y: f32, width: f32, label: &str, lines: &[String]) -> f32 {
        self.text(x, y, Face::Bold, SMALL, MUTED, label);
        y -= LEADING + 2.0;
        for (i, line) in lines.iter().enumerate() {
            let face = if i == 0 { Face::Bold } else { Face::Regular };
            for row in face.wrap(BODY, line, width) {
                self.text(x, y, face, BODY, INK, &row);
                y -= LEADING;
            }
        }
        y
    }
}

/// A grey from 0 (black) to 1 (white).
fn grey_color(level: f32) -> Color {
    Color::Greyscale(Greyscale::new(level, None))
}

/// `text` with every character the standard fonts can print kept, a few common ones they lack
/// replaced by their look-alikes (no-break and thin spaces by a space, hyphens and the minus sign
/// by "-"), line breaks and tabs by spaces, and the rest by "?".
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\t' | '\n' | '\r' => ' ',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2212}' => '-',
            c if win_ansi_code(c).is_some() => c,
            _ => '?',
        })
        .collect()
}

/// The code of `c` in the standard fonts' encoding (WinAnsiEncoding), if it has one.
fn win_ansi_code(c: char) -> Option<u8> {
    match u32::from(c) {
        code @ (0x20..=0x7E | 0xA0..=0xFF) => u8::try_from(code).ok(),
        // The typographic characters WinAnsi keeps in 0x80–0x9F (€, —, curly quotes, …), looked
        // up in the table the PDF writer encodes with.
        0x100.. if c != char::REPLACEMENT_CHARACTER => {
            (0x80..=0x9F).find(|&b| printpdf::win_ansi_char(b) == c)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InvoiceDocument {
        InvoiceDocument {
            number: "A-000001".into(),
            issued: "1 December 2026".into(),
            period: "November 2026".into(),
            seller: vec![
                "Atrium".into(),
                "12 Harbour Street".into(),
                "Dublin D02 X285, Ireland".into(),
            ],
            bill_to: vec![
                "Jürgen Weiß".into(),
                "Müller GmbH".into(),
                "Königstraße 5".into(),
                "70173 Stuttgart, Germany".into(),
                "VAT ID: DE123456789".into(),
            ],
            lines: vec![
                InvoiceLine {
                    description: "Team plan — 4 seats, November 2026".into(),
                    quantity: "4".into(),
                    amount: "€47.50".into(),
                },
                InvoiceLine {
                    description: "Extra storage for the “Design” workspace".into(),
                    quantity: "1".into(),
                    amount: "€12.50".into(),
                },
            ],
            total: "€60.00".into(),
            payment: "Bank transfer — pay within 30 days quoting A-000001.".into(),
        }
    }

    #[test]
    fn invoice_says_what_the_document_says() {
        let inv = sample();
        let bytes = render_invoice(&inv).expect("renders");
        assert!(bytes.starts_with(b"%PDF-"));

        let doc = lopdf::Document::load_mem(&bytes).expect("parses");
        assert_eq!(doc.get_pages().len(), 1);

        let text = pdf_text(&bytes).expect("text");
        for expected in [
            "Invoice A-000001",
            "1 December 2026",
            "November 2026",
            "Atrium",
            "Bill to",
            "Jürgen Weiß",
            "Müller GmbH",
            "VAT ID: DE123456789",
            "Description",
            "Quantity",
            "Amount",
            "Total",
            "€60.00",
            "Bank transfer — pay within 30 days quoting A-000001.",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        for line in &inv.lines {
            assert!(
                text.contains(&line.description),
                "{:?} missing from:\n{text}",
                line.description
            );
            assert!(
                text.contains(&line.amount),
                "{:?} missing from:\n{text}",
                line.amount
            );
        }

        // To look at the result: INVOICE_SAMPLE_PDF=/tmp/sample.pdf cargo test …
        if let Some(path) = std::env::var_os("INVOICE_SAMPLE_PDF") {
            std::fs::write(path, &bytes).expect("writes the sample");
        }
    }

    #[test]
    fn the_same_invoice_renders_the_same_text() {
        let inv = sample();
        let first = pdf_text(&render_invoice(&inv).unwrap()).unwrap();
        let second = pdf_text(&render_invoice(&inv).unwrap()).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn long_descriptions_wrap_and_stay_whole() {
        let mut inv = sample();
        inv.lines[0].description = "Enterprise plan with single sign-on, audit log export and \
            priority support for every workspace in the organisation, November 2026"
            .into();
        let description = &inv.lines[0].description;
        let text = pdf_text(&render_invoice(&inv).unwrap()).unwrap();
        let first_row = text
            .lines()
            .find(|l| l.starts_with("Enterprise plan"))
            .expect("the description is there");
        assert_ne!(
            first_row, description,
            "the description should wrap:\n{text}"
        );
        // Wrapped at spaces, its rows put back together give the description.
        let joined = text.lines().collect::<Vec<_>>().join(" ");
        assert!(joined.contains(description.as_str()), "{joined}");
    }

    #[test]
    fn characters_outside_the_fonts_print_as_look_alikes_or_question_marks() {
        assert_eq!(printable("1\u{202F}234,50\u{A0}€"), "1 234,50\u{A0}€");
        assert_eq!(printable("\u{2212}5"), "-5");
        assert_eq!(printable("Łódź"), "?ód?");
        assert_eq!(printable("Æ œ ‰ ™ …"), "Æ œ ‰ ™ …");
    }

    #[test]
    fn right_aligned_text_uses_real_widths() {
        // Helvetica's widths, in thousandths of the type size.
        assert_eq!(Face::Regular.width(1000.0, "0 W"), 556.0 + 278.0 + 944.0);
        assert_eq!(Face::Regular.width(1000.0, "€60.00"), 5.0 * 556.0 + 278.0);
        assert_eq!(Face::Regular.width(1000.0, "—ü"), 1000.0 + 556.0);
        assert_eq!(
            Face::Bold.width(1000.0, "Müller"),
            833.0 + 611.0 + 278.0 + 278.0 + 556.0 + 389.0
        );
        // A character the fonts lack is measured as the "?" it prints as.
        assert_eq!(
            Face::Regular.width(1000.0, "Ł"),
            Face::Regular.width(1000.0, "?")
        );
        for code in 0x20u8..=0xFF {
            let c = printpdf::win_ansi_char(code);
            if c != char::REPLACEMENT_CHARACTER {
                assert_eq!(win_ansi_code(c), Some(code), "{c:?}");
                assert!(Face::Regular.width(1.0, &c.to_string()) > 0.0, "{c:?}");
            }
        }
    }

    #[test]
    fn an_invoice_too_long_for_one_page_is_refused() {
        let mut inv = sample();
        inv.lines = (0..60)
            .map(|i| InvoiceLine {
                description: format!("Line {i}"),
                quantity: "1".into(),
                amount: "€1.00".into(),
            })
            .collect();
        let err = render_invoice(&inv).unwrap_err();
        assert!(err.contains("does not fit"), "{err}");
    }

    #[test]
    fn text_of_something_else_is_an_error() {
        assert!(pdf_text(b"not a pdf").is_err());
    }
}
