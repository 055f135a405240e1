//! PDF documents for clients (statements, contracts): A4 pages of headings, paragraphs,
//! label-value fields and tables, laid out here and written by `krilla`, which embeds the
//! fonts subset to the glyphs used.
//!
//! The fonts are DejaVu Sans and DejaVu Sans Mono, shipped in `shared/platform/fonts` with
//! their licence and built into the binary, so that Latin, Uzbek Cyrillic (ў, қ, ғ, ҳ) and
//! Russian print the same on every server whatever fonts it has. Tables use the monospaced
//! face so that columns line up by character; running text is wrapped by the proportional
//! face's own advance widths.
//!
//! The same blocks always give the same bytes (no creation date, a document id derived from
//! the content), so a contract's SHA-256 can be checked by generating it again.

use std::sync::LazyLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;

use crate::language::Language;

static SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
static MONO: &[u8] = include_bytes!("../fonts/DejaVuSansMono.ttf");

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 48.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const TITLE_SIZE: f32 = 15.0;
const HEADING_SIZE: f32 = 11.0;
const BODY_SIZE: f32 = 9.5;
const TABLE_SIZE: f32 = 7.5;
const FOOTER_SIZE: f32 = 7.5;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.4;
/// DejaVu Sans Mono's advance, 1233 of 2048 units per em, for every glyph.
const MONO_ADVANCE_EM: f32 = 1233.0 / 2048.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Face {
    Sans,
    SansBold,
    Mono,
}

impl Face {
    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Sans => SANS,
            Face::SansBold => SANS_BOLD,
            Face::Mono => MONO,
        }
    }

    fn font(self) -> Font {
        static FONTS: LazyLock<[Font; 3]> = LazyLock::new(|| {
            [Face::Sans, Face::SansBold, Face::Mono].map(|face| {
                Font::new(face.bytes().into(), 0).expect("the shipped DejaVu fonts are valid")
            })
        });
        match self {
            Face::Sans => FONTS[0].clone(),
            Face::SansBold => FONTS[1].clone(),
            Face::Mono => FONTS[2].clone(),
        }
    }

    /// The width of `text` at `size` points, from the font's own advances.
    fn width(self, text: &str, size: f32) -> f32 {
        let font = skrifa::FontRef::new(self.bytes()).expect("the shipped DejaVu fonts are valid");
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|character| {
                charmap
                    .map(character)
                    .and_then(|glyph| metrics.advance_width(glyph))
                    .unwrap_or(size * 0.6)
            })
            .sum()
    }
}

/// How a table column's cells sit in their width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table column: its header, its width in characters of the monospaced face, and its
/// alignment (amounts to the right).
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub width_chars: usize,
    pub align: Align,
}

impl Column {
    pub fn new(header: impl Into<String>, width_chars: usize, align: Align) -> Column {
        Column {
            header: header.into(),
            width_chars,
            align,
        }
    }
}

/// One part of a document, laid out top to bottom.
#[derive(Clone, Debug)]
pub enum Block {
    /// The document's title, large and bold.
    Title(String),
    /// A section heading, bold, with a rule under it.
    Heading(String),
    /// Running text, wrapped to the page's width.
    Paragraph(String),
    /// A label and its value on one line (the value wrapped if long).
    Field { label: String, value: String },
    /// Rows of cells under a header row; a cell longer than its column is cut with `…`.
    Table {
        columns: Vec<Column>,
        rows: Vec<Vec<String>>,
    },
    /// Vertical space of one body line.
    Gap,
}

/// What a document says about itself and around its pages.
pub struct Frame<'a> {
    /// The title in the PDF's metadata (what a reader's window shows).
    pub title: &'a str,
    pub language: Language,
    /// The footer of page `number` of `count`, in the document's language.
    pub footer: &'a dyn Fn(usize, usize) -> String,
}

/// Why a document could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be written: {0}")]
pub struct PdfError(String);

/// A line of text placed on a page.
#[derive(Debug)]
struct Placed {
    face: Face,
    size: f32,
    x: f32,
    baseline: f32,
    text: String,
}

/// What a page holds: text, and horizontal rules as (y, from x, to x).
#[derive(Debug, Default)]
struct PageContent {
    text: Vec<Placed>,
    rules: Vec<(f32, f32, f32)>,
}

/// Places lines top to bottom, starting a new page when the next line would cross the bottom
/// margin (leaving room for the footer).
struct Layout {
    pages: Vec<PageContent>,
    /// The top of the next line.
    cursor: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![PageContent::default()],
            cursor: MARGIN,
        }
    }

    fn page(&mut self) -> &mut PageContent {
        self.pages.last_mut().expect("a layout has a page")
    }

    fn make_room(&mut self, height: f32) {
        if self.cursor + height > PAGE_HEIGHT - MARGIN - 2.0 * FOOTER_SIZE {
            self.pages.push(PageContent::default());
            self.cursor = MARGIN;
        }
    }

    fn line(&mut self, face: Face, size: f32, x: f32, text: String) {
        let height = size * LEADING;
        self.make_room(height);
        let baseline = self.cursor + size;
        self.page().text.push(Placed {
            face,
            size,
            x,
            baseline,
            text,
        });
        self.cursor += height;
    }

    /// Several pieces on one line (a label and its value, a table row).
    fn line_of(&mut self, size: f32, pieces: Vec<(Face, f32, String)>) {
        let height = size * LEADING;
        self.make_room(height);
        let baseline = self.cursor + size;
        for (face, x, text) in pieces {
            self.page().text.push(Placed {
                face,
                size,
                x,
                baseline,
                text,
            });
        }
        self.cursor += height;
    }

    fn rule(&mut self) {
        let y = self.cursor - 1.0;
        self.page().rules.push((y, MARGIN, PAGE_WIDTH - MARGIN));
        self.cursor += 3.0;
    }

    fn gap(&mut self, height: f32) {
        self.cursor += height;
    }
}

/// Splits `text` into lines no wider than `width` at `size`, breaking between words (a word
/// wider than the line is broken between characters).
fn wrap(face: Face, size: f32, width: f32, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if face.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for character in word.chars() {
                line.push(character);
                if face.width(&line, size) > width {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(character);
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// A cell fitted to `width` characters: cut with `…` when longer, padded by its alignment.
fn fit(cell: &str, width: usize, align: Align) -> String {
    let length = cell.chars().count();
    let text: String = if length > width {
        cell.chars()
            .take(width.saturating_sub(1))
            .chain(std::iter::once('…'))
            .collect()
    } else {
        cell.to_owned()
    };
    match align {
        Align::Left => format!("{text:<width$}"),
        Align::Right => format!("{text:>width$}"),
    }
}

fn table_row(layout: &mut Layout, face: Face, columns: &[Column], cells: &[String]) {
    let text = columns
        .iter()
        .zip(
            cells
                .iter()
                .map(String::as_str)
                .chain(std::iter::repeat("")),
        )
        .map(|(column, cell)| fit(cell, column.width_chars, column.align))
        .collect::<Vec<_>>()
        .join(" ");
    layout.line_of(TABLE_SIZE, vec![(face, MARGIN, text)]);
}

fn lay_out(blocks: &[Block]) -> Vec<PageContent> {
    let mut layout = Layout::new();
    for block in blocks {
        match block {
            Block::Title(title) => {
                for line in wrap(Face::SansBold, TITLE_SIZE, TEXT_WIDTH, title) {
                    layout.line(Face::SansBold, TITLE_SIZE, MARGIN, line);
                }
                layout.gap(BODY_SIZE * 0.5);
            }
            Block::Heading(heading) => {
                layout.gap(BODY_SIZE * 0.6);
                // A heading is never the last line of a page.
                layout.make_room(HEADING_SIZE * LEADING + 3.0 + BODY_SIZE * LEADING);
                for line in wrap(Face::SansBold, HEADING_SIZE, TEXT_WIDTH, heading) {
                    layout.line(Face::SansBold, HEADING_SIZE, MARGIN, line);
                }
                layout.rule();
            }
            Block::Paragraph(text) => {
                for line in wrap(Face::Sans, BODY_SIZE, TEXT_WIDTH, text) {
                    layout.line(Face::Sans, BODY_SIZE, MARGIN, line);
                }
            }
            Block::Field { label, value } => {
                let label_width = TEXT_WIDTH * 0.38;
                let value_x = MARGIN + label_width;
                let labels = wrap(Face::Sans, BODY_SIZE, label_width - 6.0, label);
                let values = wrap(Face::SansBold, BODY_SIZE, TEXT_WIDTH - label_width, value);
                for index in 0..labels.len().max(values.len()) {
                    let mut pieces = Vec::new();
                    if let Some(label) = labels.get(index) {
                        pieces.push((Face::Sans, MARGIN, label.clone()));
                    }
                    if let Some(value) = values.get(index) {
                        pieces.push((Face::SansBold, value_x, value.clone()));
                    }
                    layout.line_of(BODY_SIZE, pieces);
                }
            }
            Block::Table { columns, rows } => {
                let headers: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
                table_row(&mut layout, Face::Mono, columns, &headers);
                layout.rule();
                for row in rows {
                    table_row(&mut layout, Face::Mono, columns, row);
                }
            }
            Block::Gap => layout.gap(BODY_SIZE * LEADING),
        }
    }
    layout.pages
}

fn draw_rule(surface: &mut Surface<'_>, y: f32, from: f32, to: f32) {
    let mut path = PathBuilder::new();
    path.move_to(from, y);
    path.line_to(to, y);
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(120, 120, 120).into(),
            width: 0.5,
            ..Default::default()
        }));
        surface.draw_path(&path);
        // With neither fill nor stroke set, krilla fills text in black.
        surface.set_stroke(None);
    }
}

/// Writes `blocks` as an A4 PDF, as many pages as they need, each with its footer.
pub fn document(frame: &Frame<'_>, blocks: &[Block]) -> Result<Vec<u8>, PdfError> {
    let pages = lay_out(blocks);
    let count = pages.len();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(frame.title.to_owned())
            .language(frame.language.tag().to_owned())
            .creator("Imkon".to_owned()),
    );
    for (index, content) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PdfError("A4 is a valid page size".to_owned()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (y, from, to) in content.rules {
            draw_rule(&mut surface, y, from, to);
        }
        let footer = (frame.footer)(index + 1, count);
        let footer_width = Face::Sans.width(&footer, FOOTER_SIZE);
        let placed = content.text.into_iter().chain(std::iter::once(Placed {
            face: Face::Sans,
            size: FOOTER_SIZE,
            x: PAGE_WIDTH - MARGIN - footer_width,
            baseline: PAGE_HEIGHT - MARGIN + FOOTER_SIZE,
            text: footer,
        }));
        for line in placed {
            if line.text.trim().is_empty() {
                continue;
            }
            surface.draw_text(
                Point::from_xy(line.x, line.baseline),
                line.face.font(),
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| PdfError(format!("{error:?}")))
}

/// How many characters of the monospaced table face fit across the page.
pub fn table_width_chars() -> usize {
    (TEXT_WIDTH / (TABLE_SIZE * MONO_ADVANCE_EM)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer(page: usize, count: usize) -> String {
        format!("{page} / {count}")
    }

    fn frame() -> Frame<'static> {
        Frame {
            title: "Test",
            language: Language::UzCyrl,
            footer: &footer,
        }
    }

    #[test]
    fn the_same_blocks_give_the_same_bytes() {
        let blocks = vec![
            Block::Title("Ҳисоб кўчирмаси".to_owned()),
            Block::Paragraph("Қарз шартномаси".repeat(20)),
        ];
        let first = document(&frame(), &blocks).unwrap();
        assert!(first.starts_with(b"%PDF-"));
        assert_eq!(first, document(&frame(), &blocks).unwrap());
        let other = document(&frame(), &[Block::Title("Бошқа".to_owned())]).unwrap();
        assert_ne!(first, other);
    }

    #[test]
    fn long_tables_run_over_several_pages() {
        let columns = vec![
            Column::new("A", 10, Align::Left),
            Column::new("B", 12, Align::Right),
        ];
        let rows: Vec<Vec<String>> = (0..200)
            .map(|n| vec![format!("row {n}"), n.to_string()])
            .collect();
        let pages = lay_out(&[Block::Table { columns, rows }]);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        for page in &pages {
            for line in &page.text {
                assert!(line.baseline <= PAGE_HEIGHT - MARGIN, "{line:?}");
            }
        }
    }

    #[test]
    fn text_wraps_within_the_page_and_cells_fit_their_columns() {
        let text = "Қарздор тўловни кечиктирса, муддати ўтган суммага пеня ҳисобланади. ".repeat(8);
        let lines = wrap(Face::Sans, BODY_SIZE, TEXT_WIDTH, &text);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(Face::Sans.width(line, BODY_SIZE) <= TEXT_WIDTH, "{line}");
        }
        assert_eq!(
            lines.join(" ").split_whitespace().count(),
            text.split_whitespace().count()
        );
        assert_eq!(fit("Каримов Азиз", 6, Align::Left), "Карим…");
        assert_eq!(fit("12", 5, Align::Right), "   12");
        assert!(table_width_chars() >= 100);
    }
}
