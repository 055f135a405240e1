//! Screening a client's name against watch lists (sanctions, PEP and the like).
//!
//! Names reach us in Uzbek Latin, Uzbek Cyrillic and Russian Cyrillic, with whatever
//! apostrophe the keyboard produced, in any order. To compare them, each name is normalised
//! to lowercase Uzbek Latin tokens, and two names are scored by matching their tokens with
//! Jaro-Winkler similarity, which forgives the small spelling differences transliteration
//! leaves (Ташматов / Toshmatov, Gulomovich / Gʻulomovich).

use chrono::NaiveDate;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// The score from which two names are reported as a possible match. Chosen so that a missing
/// apostrophe or a transliteration variant of one token still matches, while two different
/// people who share only a common given name do not.
pub const DEFAULT_MATCH_THRESHOLD: u8 = 88;

/// The one apostrophe every variant is folded into.
const FOLDED_APOSTROPHE: char = '\'';

/// Jaro-Winkler's weight for a common prefix, and the longest prefix it rewards; the
/// standard values from Winkler's paper.
const WINKLER_PREFIX_WEIGHT: f64 = 0.1;
const WINKLER_PREFIX_MAX_CHARS: usize = 4;

/// A name reduced to what matters for matching: lowercase Uzbek Latin tokens, sorted, so that
/// script, apostrophe style, case, spacing and word order no longer matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalisedName(Vec<String>);

impl NormalisedName {
    pub fn tokens(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Normalises a name written in any of the scripts clients use.
///
/// The text is first composed to Unicode NFC: a keyboard may type `й` as `и` followed by a
/// combining breve, which would otherwise transliterate to `i` plus nothing.
pub fn normalise_name(name: &str) -> NormalisedName {
    let mut latin = String::with_capacity(name.len());
    let mut previous: Option<char> = None;
    for character in name.nfc().flat_map(char::to_lowercase) {
        if let Some(replacement) = transliterate_cyrillic(character, previous) {
            latin.push_str(replacement);
        } else if is_apostrophe(character) {
            latin.push(FOLDED_APOSTROPHE);
        } else if character.is_alphanumeric() {
            latin.push(character);
        } else {
            // Hyphens, dots, commas and spaces all separate tokens.
            latin.push(' ');
        }
        previous = Some(character);
    }
    let mut tokens: Vec<String> = latin
        .split_whitespace()
        .map(|token| token.trim_matches(FOLDED_APOSTROPHE))
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect();
    tokens.sort();
    NormalisedName(tokens)
}

fn is_apostrophe(character: char) -> bool {
    matches!(
        character,
        '\'' | '`' | '\u{02BB}' | '\u{02BC}' | '\u{2018}' | '\u{2019}' | '\u{00B4}'
    )
}

fn is_cyrillic_vowel_or_sign(character: char) -> bool {
    matches!(
        character,
        'а' | 'е' | 'ё' | 'и' | 'о' | 'у' | 'ў' | 'ы' | 'э' | 'ю' | 'я' | 'ъ' | 'ь'
    )
}

/// The official Uzbek Latin spelling of a lowercase Cyrillic letter, Russian letters included.
/// `е` is `ye` at the start of a word and after a vowel or a sign, as the orthography rules
/// say (Евгений → Yevgeniy, Шоира is unaffected), and `e` elsewhere.
fn transliterate_cyrillic(character: char, previous: Option<char>) -> Option<&'static str> {
    let latin = match character {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => {
            let starts_syllable = previous.is_none_or(|previous| {
                !previous.is_alphabetic() || is_cyrillic_vowel_or_sign(previous)
            });
            if starts_syllable {
                "ye"
            } else {
                "e"
            }
        }
        'ё' => "yo",
        'ж' => "j",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "x",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' => "'",
        'ы' => "i",
        'ь' => "",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'ў' => "o'",
        'қ' => "q",
        'ғ' => "g'",
        'ҳ' => "h",
        _ => return None,
    };
    Some(latin)
}

/// Jaro-Winkler similarity of two strings, from 0 (nothing in common) to 1 (equal).
pub fn jaro_winkler(first: &str, second: &str) -> f64 {
    let first: Vec<char> = first.chars().collect();
    let second: Vec<char> = second.chars().collect();
    let jaro = jaro(&first, &second);
    let common_prefix = first
        .iter()
        .zip(&second)
        .take(WINKLER_PREFIX_MAX_CHARS)
        .take_while(|(a, b)| a == b)
        .count();
    jaro + common_prefix as f64 * WINKLER_PREFIX_WEIGHT * (1.0 - jaro)
}

fn jaro(first: &[char], second: &[char]) -> f64 {
    if first.is_empty() && second.is_empty() {
        return 1.0;
    }
    if first.is_empty() || second.is_empty() {
        return 0.0;
    }
    // Characters count as matching only within this distance of each other's position.
    let window = (first.len().max(second.len()) / 2).saturating_sub(1);
    let mut second_matched = vec![false; second.len()];
    let mut first_matches: Vec<char> = Vec::new();
    for (index, character) in first.iter().enumerate() {
        let start = index.saturating_sub(window);
        let end = (index + window + 1).min(second.len());
        for candidate in start..end {
            if !second_matched[candidate] && second[candidate] == *character {
                second_matched[candidate] = true;
                first_matches.push(*character);
                break;
            }
        }
    }
    let matches = first_matches.len();
    if matches == 0 {
        return 0.0;
    }
    let second_matches = second
        .iter()
        .zip(&second_matched)
        .filter(|(_, matched)| **matched)
        .map(|(character, _)| *character);
    let half_transpositions = first_matches
        .iter()
        .zip(second_matches)
        .filter(|(a, b)| **a != *b)
        .count();
    let matches = matches as f64;
    let transpositions = half_transpositions as f64 / 2.0;
    (matches / first.len() as f64
        + matches / second.len() as f64
        + (matches - transpositions) / matches)
        / 3.0
}

/// How alike two normalised names are, from 0 to 100.
///
/// Tokens are paired greedily, best pair first, each token used once, and the pair scores
/// averaged over the shorter name's tokens: a list entry without the patronymic still matches
/// the full name. A single-token name is averaged over the longer name's tokens instead, so a
/// lone given name does not match everyone who has it.
pub fn similarity_score(first: &NormalisedName, second: &NormalisedName) -> u8 {
    let (shorter, longer) = if first.0.len() <= second.0.len() {
        (&first.0, &second.0)
    } else {
        (&second.0, &first.0)
    };
    if shorter.is_empty() {
        return 0;
    }
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(shorter.len() * longer.len());
    for (short_index, short_token) in shorter.iter().enumerate() {
        for (long_index, long_token) in longer.iter().enumerate() {
            pairs.push((
                jaro_winkler(short_token, long_token),
                short_index,
                long_index,
            ));
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut short_used = vec![false; shorter.len()];
    let mut long_used = vec![false; longer.len()];
    let mut total = 0.0;
    for (score, short_index, long_index) in pairs {
        if !short_used[short_index] && !long_used[long_index] {
            short_used[short_index] = true;
            long_used[long_index] = true;
            total += score;
        }
    }
    let denominator = if shorter.len() >= 2 {
        shorter.len()
    } else {
        longer.len()
    };
    let score = (100.0 * total / denominator as f64).round();
    score.clamp(0.0, 100.0) as u8
}

/// One person on a watch list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchListEntry {
    full_name: String,
    normalised_name: NormalisedName,
    birth_date: Option<NaiveDate>,
    list_name: String,
    reference: String,
}

impl WatchListEntry {
    pub fn full_name(&self) -> &str {
        &self.full_name
    }

    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
    }

    /// Which list the entry comes from, such as a sanctions list's name.
    pub fn list_name(&self) -> &str {
        &self.list_name
    }

    /// The list's own identifier for the entry, to look it up at the source.
    pub fn reference(&self) -> &str {
        &self.reference
    }
}

/// What went wrong on a line of a watch-list file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchListProblem {
    /// The header lacks a required column.
    MissingColumn { column: &'static str },
    /// The line is not valid CSV or has the wrong number of fields.
    MalformedLine { detail: String },
    /// A required value is blank.
    EmptyValue { column: &'static str },
    /// A name with no letters at all, which could never be matched.
    UnmatchableName,
    /// The birth date is not `YYYY-MM-DD`.
    InvalidBirthDate { text: String },
}

impl WatchListProblem {
    /// The stable code of the problem, for a page to explain in its reader's language.
    pub fn code(&self) -> &'static str {
        match self {
            WatchListProblem::MissingColumn { .. } => "missing_column",
            WatchListProblem::MalformedLine { .. } => "malformed_line",
            WatchListProblem::EmptyValue { .. } => "empty_value",
            WatchListProblem::UnmatchableName => "unmatchable_name",
            WatchListProblem::InvalidBirthDate { .. } => "invalid_birth_date",
        }
    }
}

/// Why a watch-list file is refused, with the line (1 is the header) where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("watch list line {line}: {problem:?}")]
pub struct WatchListError {
    pub line: u64,
    pub problem: WatchListProblem,
}

impl WatchListError {
    /// The column at fault, or `file` when the line as a whole is.
    pub fn field(&self) -> String {
        match &self.problem {
            WatchListProblem::MissingColumn { column }
            | WatchListProblem::EmptyValue { column } => (*column).to_owned(),
            WatchListProblem::UnmatchableName => "full_name".to_owned(),
            WatchListProblem::InvalidBirthDate { .. } => "birth_date".to_owned(),
            WatchListProblem::MalformedLine { .. } => "file".to_owned(),
        }
    }
}

/// A possible match of a client against a watch-list entry, for an officer to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningHit<'list> {
    pub entry: &'list WatchListEntry,
    pub score: u8,
}

/// A parsed watch list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchList {
    entries: Vec<WatchListEntry>,
}

const COLUMN_FULL_NAME: &str = "full_name";
const COLUMN_BIRTH_DATE: &str = "birth_date";
const COLUMN_LIST_NAME: &str = "list_name";
const COLUMN_REFERENCE: &str = "reference";

/// Where each column sits in the file's header.
struct Columns {
    full_name: usize,
    list_name: usize,
    reference: usize,
    birth_date: Option<usize>,
    count: usize,
}

impl Columns {
    /// One data line as an entry, or the first thing wrong with it.
    fn entry(&self, record: &csv::StringRecord) -> Result<WatchListEntry, WatchListError> {
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != self.count {
            return Err(WatchListError {
                line,
                problem: WatchListProblem::MalformedLine {
                    detail: format!(
                        "{} fields where the header has {}",
                        record.len(),
                        self.count
                    ),
                },
            });
        }
        let required = |index: usize, name: &'static str| {
            record
                .get(index)
                .filter(|value| !value.is_empty())
                .ok_or(WatchListError {
                    line,
                    problem: WatchListProblem::EmptyValue { column: name },
                })
        };
        let full_name = required(self.full_name, COLUMN_FULL_NAME)?;
        let list_name = required(self.list_name, COLUMN_LIST_NAME)?;
        let reference = required(self.reference, COLUMN_REFERENCE)?;
        let birth_date =
            match self
                .birth_date
                .and_then(|index| record.get(index))
                .filter(|value| !value.is_empty())
            {
                None => None,
                Some(text) => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    WatchListError {
                        line,
                        problem: WatchListProblem::InvalidBirthDate {
                            text: text.to_owned(),
                        },
                    }
                })?),
            };
        let normalised_name = normalise_name(full_name);
        if normalised_name.is_empty() {
            return Err(WatchListError {
                line,
                problem: WatchListProblem::UnmatchableName,
            });
        }
        Ok(WatchListEntry {
            full_name: full_name.to_owned(),
            normalised_name,
            birth_date,
            list_name: list_name.to_owned(),
            reference: reference.to_owned(),
        })
    }
}

impl WatchList {
    /// Parses a CSV watch list with a header naming the columns `full_name`, `list_name`,
    /// `reference` and, optionally, `birth_date` (`YYYY-MM-DD`, may be blank), in any order.
    /// Other columns are ignored. Any bad line refuses the whole file (a half-loaded sanctions
    /// list would silently screen against less than it claims), and every bad line is
    /// reported, so that whoever prepares the file can fix it in one pass.
    pub fn parse_csv(text: &str) -> Result<WatchList, Vec<WatchListError>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header_error = |error: csv::Error| {
            vec![WatchListError {
                line: 1,
                problem: WatchListProblem::MalformedLine {
                    detail: error.to_string(),
                },
            }]
        };
        let headers = reader.headers().map_err(header_error)?.clone();
        let column = |name: &'static str| {
            headers
                .iter()
                .position(|header| header.eq_ignore_ascii_case(name))
                .ok_or(WatchListError {
                    line: 1,
                    problem: WatchListProblem::MissingColumn { column: name },
                })
        };
        let missing: Vec<WatchListError> = [COLUMN_FULL_NAME, COLUMN_LIST_NAME, COLUMN_REFERENCE]
            .into_iter()
            .filter_map(|name| column(name).err())
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let columns = Columns {
            full_name: column(COLUMN_FULL_NAME).map_err(|error| vec![error])?,
            list_name: column(COLUMN_LIST_NAME).map_err(|error| vec![error])?,
            reference: column(COLUMN_REFERENCE).map_err(|error| vec![error])?,
            birth_date: column(COLUMN_BIRTH_DATE).ok(),
            count: headers.len(),
        };

        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for record in reader.records() {
            match record {
                Err(error) => errors.push(WatchListError {
                    line: error.position().map_or(0, csv::Position::line),
                    problem: WatchListProblem::MalformedLine {
                        detail: error.to_string(),
                    },
                }),
                Ok(record) => match columns.entry(&record) {
                    Ok(entry) => entries.push(entry),
                    Err(error) => errors.push(error),
                },
            }
        }
        if errors.is_empty() {
            Ok(WatchList { entries })
        } else {
            Err(errors)
        }
    }

    pub fn entries(&self) -> &[WatchListEntry] {
        &self.entries
    }

    /// The entries whose name scores at least `threshold` against `name`, best first.
    ///
    /// When both the client's and the entry's birth dates are known and differ, the entry is
    /// not reported: the date is what tells two people with the same common name apart. When
    /// either is unknown, the name alone decides, erring towards an officer's look.
    pub fn screen(
        &self,
        name: &str,
        birth_date: Option<NaiveDate>,
        threshold: u8,
    ) -> Vec<ScreeningHit<'_>> {
        let normalised = normalise_name(name);
        let mut hits: Vec<ScreeningHit<'_>> = self
            .entries
            .iter()
            .filter(|entry| match (birth_date, entry.birth_date) {
                (Some(client), Some(listed)) => client == listed,
                _ => true,
            })
            .map(|entry| ScreeningHit {
                entry,
                score: similarity_score(&normalised, &entry.normalised_name),
            })
            .filter(|hit| hit.score >= threshold)
            .collect();
        hits.sort_by_key(|hit| std::cmp::Reverse(hit.score));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn tokens(name: &str) -> Vec<String> {
        normalise_name(name).tokens().to_vec()
    }

    #[test]
    fn uzbek_cyrillic_is_transliterated_to_official_latin() {
        assert_eq!(
            tokens("Тошматов Алишер Ғуломович"),
            ["alisher", "g'ulomovich", "toshmatov"]
        );
        assert_eq!(tokens("Ўроқова Ҳилола"), ["hilola", "o'roqova"]);
        assert_eq!(tokens("Шоҳжаҳон Чориев"), ["choriyev", "shohjahon"]);
        assert_eq!(tokens("Қаҳҳор"), ["qahhor"]);
    }

    #[test]
    fn russian_letters_are_transliterated_too() {
        assert_eq!(tokens("Евгений Щукин"), ["shchukin", "yevgeniy"]);
        assert_eq!(tokens("Юлия Цой"), ["tsoy", "yuliya"]);
        assert_eq!(tokens("Ольга Рыбина"), ["olga", "ribina"]);
    }

    #[test]
    fn every_apostrophe_variant_is_folded_to_one() {
        let expected = ["g'ulom", "o'tkir"];
        for name in [
            "Oʻtkir Gʻulom",
            "O'tkir G'ulom",
            "O`tkir G`ulom",
            "O‘tkir G‘ulom",
            "O’tkir G’ulom",
            "Oʼtkir Gʼulom",
            "Ўткир Ғулом",
        ] {
            assert_eq!(tokens(name), expected, "{name}");
        }
    }

    #[test]
    fn case_spacing_punctuation_and_order_do_not_matter() {
        assert_eq!(
            normalise_name("  TOSHMATOV,   alisher\tG'ulomovich "),
            normalise_name("Alisher G'ulomovich Toshmatov")
        );
        assert_eq!(tokens("Anna-Maria 'Smith'"), ["anna", "maria", "smith"]);
    }

    #[test]
    fn jaro_winkler_matches_the_textbook_examples() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 0.0001);
        assert!((jaro_winkler("dwayne", "duane") - 0.84).abs() < 0.0001);
        assert!((jaro_winkler("dixon", "dicksonx") - 0.8133).abs() < 0.0001);
        assert_eq!(jaro_winkler("abc", "xyz"), 0.0);
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("a", ""), 0.0);
    }

    #[test]
    fn the_same_name_scores_a_hundred_in_either_script() {
        let score = similarity_score(
            &normalise_name("Тошматов Алишер Ғуломович"),
            &normalise_name("Alisher G'ulomovich Toshmatov"),
        );
        assert_eq!(score, 100);
    }

    #[test]
    fn a_missing_apostrophe_or_patronymic_still_matches() {
        let listed = normalise_name("Toshmatov Alisher G'ulomovich");
        let without_apostrophe = normalise_name("Toshmatov Alisher Gulomovich");
        let without_patronymic = normalise_name("Alisher Toshmatov");
        assert!(similarity_score(&listed, &without_apostrophe) >= DEFAULT_MATCH_THRESHOLD);
        assert_eq!(similarity_score(&listed, &without_patronymic), 100);
    }

    #[test]
    fn a_lone_given_name_does_not_match_a_full_name() {
        let score = similarity_score(
            &normalise_name("Alisher"),
            &normalise_name("Toshmatov Alisher G'ulomovich"),
        );
        assert!(score < DEFAULT_MATCH_THRESHOLD, "{score}");
    }

    const WATCH_LIST: &str = "\
full_name,birth_date,list_name,reference
Тошматов Алишер Ғуломович,1979-04-12,National list,UZ-0042
\"Rahimova, Dilnoza\",,Interpol notices,IN-2020-77
Petrov Sergey Ivanovich,1965-01-30,Sanctions,SAN-9
";

    #[test]
    fn a_cyrillic_watch_list_name_is_found_against_the_same_name_in_latin() {
        let list = WatchList::parse_csv(WATCH_LIST).unwrap();
        let hits = list.screen(
            "Alisher G'ulomovich Toshmatov",
            None,
            DEFAULT_MATCH_THRESHOLD,
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].entry.reference(), "UZ-0042");
        assert_eq!(hits[0].entry.list_name(), "National list");
        assert_eq!(hits[0].score, 100);
    }

    #[test]
    fn unrelated_names_are_not_found() {
        let list = WatchList::parse_csv(WATCH_LIST).unwrap();
        for name in [
            "Karimov Aziz Rustamovich",
            "Toshpo'latov Bahodir",
            "Yusupova Malika Akmalovna",
            "Alisher Navoiy",
        ] {
            let hits = list.screen(name, None, DEFAULT_MATCH_THRESHOLD);
            assert!(hits.is_empty(), "{name} matched {:?}", hits);
        }
    }

    #[test]
    fn a_known_different_birth_date_rules_an_entry_out() {
        let list = WatchList::parse_csv(WATCH_LIST).unwrap();
        let name = "Toshmatov Alisher G'ulomovich";
        assert!(list
            .screen(name, Some(date(1990, 1, 1)), DEFAULT_MATCH_THRESHOLD)
            .is_empty());
        assert_eq!(
            list.screen(name, Some(date(1979, 4, 12)), DEFAULT_MATCH_THRESHOLD)
                .len(),
            1
        );
        // The Interpol entry has no birth date, so the name alone decides.
        assert_eq!(
            list.screen(
                "Dilnoza Rahimova",
                Some(date(1990, 1, 1)),
                DEFAULT_MATCH_THRESHOLD
            )
            .len(),
            1
        );
    }

    #[test]
    fn the_birth_date_column_may_be_absent_and_columns_in_any_order() {
        let list =
            WatchList::parse_csv("reference,full_name,list_name\nR-1,Ivanov Ivan,Sanctions\n")
                .unwrap();
        assert_eq!(list.entries().len(), 1);
        assert_eq!(list.entries()[0].full_name(), "Ivanov Ivan");
        assert_eq!(list.entries()[0].birth_date(), None);
    }

    #[test]
    fn every_missing_required_column_is_reported_on_line_one() {
        let errors = WatchList::parse_csv("full_name,birth_date\nX Y,\n").unwrap_err();
        let fields: Vec<String> = errors.iter().map(WatchListError::field).collect();
        assert_eq!(fields, ["list_name", "reference"]);
        assert!(errors.iter().all(|error| error.line == 1));
    }

    #[test]
    fn a_bad_birth_date_is_reported_with_its_line() {
        let text = "full_name,birth_date,list_name,reference\n\
                    Ivanov Ivan,1970-01-01,L,R1\n\
                    Petrov Petr,12.03.1970,L,R2\n";
        let errors = WatchList::parse_csv(text).unwrap_err();
        assert_eq!(
            errors,
            [WatchListError {
                line: 3,
                problem: WatchListProblem::InvalidBirthDate {
                    text: "12.03.1970".to_owned()
                }
            }]
        );
        assert_eq!(errors[0].field(), "birth_date");
    }

    #[test]
    fn every_bad_line_is_reported_with_its_line_and_column() {
        let text = "full_name,birth_date,list_name,reference\n\
                    Ivanov Ivan,,L,R1\n\
                    \x20,,L,R2\n\
                    Petrov Petr,,L\n\
                    ---,,L,R4\n\
                    Sidorov Ivan,,L,R5\n";
        let errors = WatchList::parse_csv(text).unwrap_err();
        let lines: Vec<(u64, String)> = errors
            .iter()
            .map(|error| (error.line, error.field()))
            .collect();
        assert_eq!(
            lines,
            [
                (3, "full_name".to_owned()),
                (4, "file".to_owned()),
                (5, "full_name".to_owned()),
            ]
        );
        assert!(matches!(
            errors[1].problem,
            WatchListProblem::MalformedLine { .. }
        ));
        assert_eq!(errors[2].problem, WatchListProblem::UnmatchableName);
    }

    #[test]
    fn a_decomposed_short_i_matches_the_composed_letter() {
        // "й" typed as "и" followed by U+0306 COMBINING BREVE.
        let decomposed = "Юсупов Хусаи\u{0306}н";
        assert_eq!(tokens(decomposed), tokens("Юсупов Хусайн"));
        assert_eq!(tokens(decomposed), ["xusayn", "yusupov"]);
    }

    proptest! {
        #[test]
        fn jaro_winkler_is_symmetric_and_between_zero_and_one(
            first in "[a-z']{0,12}", second in "[a-z']{0,12}"
        ) {
            let forward = jaro_winkler(&first, &second);
            let backward = jaro_winkler(&second, &first);
            prop_assert!((0.0..=1.0).contains(&forward));
            prop_assert!((forward - backward).abs() < 1e-12);
            prop_assert!((jaro_winkler(&first, &first) - 1.0).abs() < 1e-12);
        }

        #[test]
        fn token_order_never_changes_the_score(
            words in proptest::collection::vec("[a-z]{2,10}", 1..5),
            other in "[a-z]{2,10} [a-z]{2,10}"
        ) {
            let forward = words.join(" ");
            let mut reversed = words.clone();
            reversed.reverse();
            let reversed = reversed.join(" ");
            prop_assert_eq!(
                similarity_score(&normalise_name(&forward), &normalise_name(&other)),
                similarity_score(&normalise_name(&reversed), &normalise_name(&other))
            );
            prop_assert_eq!(
                similarity_score(&normalise_name(&forward), &normalise_name(&reversed)),
                100
            );
        }
    }
}
