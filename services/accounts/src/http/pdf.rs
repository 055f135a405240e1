//! A minimal PDF writer for statements: A4 pages of text in the standard Helvetica and Courier
//! fonts, which every PDF reader has, so nothing is embedded.
//!
//! Hand-written rather than a crate because a statement needs only lines of text, and the
//! format for that is a few dozen lines: a catalog, a page tree, two font dictionaries, one
//! content stream per page, and the cross-reference table of byte offsets. The standard fonts
//! cover Latin-1 (WinAnsiEncoding); other characters (Cyrillic in a reference) are written as
//! `?`, which the CSV download carries in full.

/// A4 in points.
const PAGE_WIDTH_POINTS: u32 = 595;
const PAGE_HEIGHT_POINTS: u32 = 842;
const MARGIN_POINTS: u32 = 40;
const LINE_HEIGHT_POINTS: u32 = 12;
const FONT_SIZE_POINTS: u32 = 9;
const TITLE_SIZE_POINTS: u32 = 13;

/// Lines that fit on a page below the title.
pub const LINES_PER_PAGE: usize =
    ((PAGE_HEIGHT_POINTS - 2 * MARGIN_POINTS - 2 * LINE_HEIGHT_POINTS) / LINE_HEIGHT_POINTS)
        as usize;

/// Escapes text for a PDF string literal and keeps it within WinAnsi's printable Latin-1.
fn pdf_string(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for character in text.chars() {
        match character {
            '(' | ')' | '\\' => {
                escaped.push('\\');
                escaped.push(character);
            }
            ' '..='~' => escaped.push(character),
            '\u{a0}'..='\u{ff}' => escaped.push_str(&format!("\\{:03o}", character as u32)),
            _ => escaped.push('?'),
        }
    }
    escaped
}

/// One page's content stream: the title in Helvetica, then the lines in Courier so that
/// columns line up.
fn page_content(title: &str, lines: &[String]) -> String {
    let top = PAGE_HEIGHT_POINTS - MARGIN_POINTS;
    let mut content = format!(
        "BT /F1 {TITLE_SIZE_POINTS} Tf {MARGIN_POINTS} {top} Td ({}) Tj ET\n",
        pdf_string(title)
    );
    content.push_str(&format!(
        "BT /F2 {FONT_SIZE_POINTS} Tf {LINE_HEIGHT_POINTS} TL {MARGIN_POINTS} {} Td\n",
        top - 2 * LINE_HEIGHT_POINTS
    ));
    for line in lines {
        content.push_str(&format!("({}) Tj T*\n", pdf_string(line)));
    }
    content.push_str("ET\n");
    content
}

/// A PDF document of `lines` under `title`, as many pages as they need (at least one).
pub fn text_document(title: &str, lines: &[String]) -> Vec<u8> {
    let pages: Vec<&[String]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(LINES_PER_PAGE).collect()
    };
    // Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 Courier, then a page and its content
    // stream for each page.
    let page_object = |index: usize| 5 + 2 * index;
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            (0..pages.len())
                .map(|index| format!("{} 0 R", page_object(index)))
                .collect::<Vec<_>>()
                .join(" "),
            pages.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    ];
    let page_count = pages.len();
    for (index, page_lines) in pages.into_iter().enumerate() {
        let numbered_title = format!("{title}    page {} of {page_count}", index + 1);
        let content = page_content(&numbered_title, page_lines);
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH_POINTS} {PAGE_HEIGHT_POINTS}] \
             /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            page_object(index) + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }

    let mut document = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        offsets.push(document.len());
        document.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref_offset = document.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        xref.push_str(&format!("{offset:010} 00000 n \n"));
    }
    xref.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_offset}\n%%EOF\n",
        objects.len() + 1
    ));
    document.extend_from_slice(xref.as_bytes());
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    #[test]
    fn every_cross_reference_offset_points_at_its_object() {
        let lines: Vec<String> = (0..150).map(|n| format!("line {n}")).collect();
        let document = text_document("Statement", &lines);
        // Offsets count bytes, and the header's binary comment is not UTF-8: work on bytes.
        let marker = b"startxref\n";
        let marker_at = document
            .windows(marker.len())
            .rposition(|window| window == marker)
            .unwrap();
        let tail = std::str::from_utf8(&document[marker_at + marker.len()..]).unwrap();
        let xref_offset: usize = tail.lines().next().unwrap().parse().unwrap();
        let xref = std::str::from_utf8(&document[xref_offset..]).unwrap();
        assert!(xref.starts_with("xref\n"));
        let entries: Vec<&str> = xref
            .lines()
            .skip(3)
            .take_while(|line| !line.starts_with("trailer"))
            .collect();
        let pages = lines.len().div_ceil(LINES_PER_PAGE);
        assert_eq!(
            entries.len(),
            4 + 2 * pages,
            "catalog, page tree, two fonts, and each page with its content"
        );
        for (index, entry) in entries.iter().enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            let object = format!("{} 0 obj", index + 1);
            assert!(
                document[offset..].starts_with(object.as_bytes()),
                "object {} at {offset}",
                index + 1
            );
        }
        assert!(document.ends_with(b"%%EOF\n"));
    }

    #[test]
    fn long_statements_run_over_several_pages() {
        let lines: Vec<String> = (0..LINES_PER_PAGE * 2 + 1)
            .map(|n| format!("line {n}"))
            .collect();
        let source = text(&text_document("Statement", &lines));
        assert!(source.contains("/Count 3"));
        assert!(source.contains("page 3 of 3"));
        assert!(text(&text_document("Empty", &[])).contains("/Count 1"));
    }

    #[test]
    fn text_is_escaped_and_kept_to_latin_1() {
        assert_eq!(pdf_string("a (b) \\ c"), "a \\(b\\) \\\\ c");
        assert_eq!(pdf_string("qarz: Қарз"), "qarz: ????");
        assert_eq!(pdf_string("café"), "caf\\351");
    }
}
