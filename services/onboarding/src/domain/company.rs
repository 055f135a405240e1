//! Companies: STIR, legal form, IT Park residency, founders and who may act for them.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use thiserror::Error;

use super::ids::ClientId;
use super::pinfl::Pinfl;

/// The length of every STIR (taxpayer identification number).
pub const STIR_LENGTH: usize = 9;

/// The longest company name accepted, in characters.
pub const COMPANY_NAME_MAX_CHARS: usize = 200;

/// The longest IT Park certificate number accepted, in characters.
pub const CERTIFICATE_NUMBER_MAX_CHARS: usize = 32;

/// Founders' shares are percentages with at most this many decimal places, as in a charter.
pub const SHARE_PERCENT_MAX_DECIMAL_PLACES: u32 = 2;

/// Why company data is refused. `field()` names the request field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CompanyError {
    #[error("a STIR has 9 digits, this one has {length} characters")]
    StirWrongLength { length: usize },
    #[error("a STIR has only digits, character {position} is not one")]
    StirNotADigit { position: usize },
    #[error("no STIR begins with {digit}")]
    StirUnknownFirstDigit { digit: u8 },
    #[error("a {legal_form:?} needs a legal entity's STIR (beginning with 2 or 3), not one beginning with {first_digit}")]
    StirNotALegalEntity {
        legal_form: LegalForm,
        first_digit: u8,
    },
    #[error("a sole proprietor trades under their personal STIR (beginning with 4 to 7), not one beginning with {first_digit}")]
    StirNotAnIndividual { first_digit: u8 },
    #[error("the company name is empty")]
    NameEmpty,
    #[error("the company name is longer than {COMPANY_NAME_MAX_CHARS} characters")]
    NameTooLong,
    #[error("the company name holds a control character")]
    NameControlCharacter,
    #[error("{code:?} is not a known legal form")]
    UnknownLegalForm { code: String },
    #[error("the registration date {registration_date} is after today ({today})")]
    RegisteredInFuture {
        registration_date: NaiveDate,
        today: NaiveDate,
    },
    #[error("an IT Park certificate number is 1 to {CERTIFICATE_NUMBER_MAX_CHARS} letters, digits, dashes or slashes")]
    CertificateNumberInvalid,
    #[error("the IT Park residency ends ({valid_until}) before it starts ({valid_from})")]
    ResidencyEndsBeforeStart {
        valid_from: NaiveDate,
        valid_until: NaiveDate,
    },
    #[error("the IT Park residency starts ({valid_from}) before the company was registered ({registration_date})")]
    ResidencyBeforeRegistration {
        valid_from: NaiveDate,
        registration_date: NaiveDate,
    },
    #[error("a company has at least one founder")]
    NoFounders,
    #[error("founder {index}'s share must be more than zero")]
    ShareNotPositive { index: usize },
    #[error(
        "founder {index}'s share has more than {SHARE_PERCENT_MAX_DECIMAL_PLACES} decimal places"
    )]
    ShareTooPrecise { index: usize },
    #[error("the founders' shares add up to {total_percent}%, more than 100%")]
    SharesExceedHundred { total_percent: Decimal },
    #[error("founder {index} is the same as founder {first_index}")]
    DuplicateFounder {
        index: usize,
        first_index: usize,
        identity: FounderIdentity,
    },
    #[error("a company has at least one person allowed to act for it")]
    NoRepresentatives,
    #[error("one of the people allowed to act for a company is its director")]
    NoDirector,
    #[error("representative {index} is the same person as representative {first_index}")]
    DuplicateRepresentative { index: usize, first_index: usize },
}

impl CompanyError {
    /// The request field this error is about, such as `stir` or `founders[2].share_percent`.
    pub fn field(&self) -> String {
        match self {
            CompanyError::StirWrongLength { .. }
            | CompanyError::StirNotADigit { .. }
            | CompanyError::StirUnknownFirstDigit { .. }
            | CompanyError::StirNotALegalEntity { .. }
            | CompanyError::StirNotAnIndividual { .. } => "stir".to_owned(),
            CompanyError::NameEmpty
            | CompanyError::NameTooLong
            | CompanyError::NameControlCharacter => "name".to_owned(),
            CompanyError::UnknownLegalForm { .. } => "legal_form".to_owned(),
            CompanyError::RegisteredInFuture { .. } => "registration_date".to_owned(),
            CompanyError::CertificateNumberInvalid => {
                "it_park_residency.certificate_number".to_owned()
            }
            CompanyError::ResidencyEndsBeforeStart { .. } => {
                "it_park_residency.valid_until".to_owned()
            }
            CompanyError::ResidencyBeforeRegistration { .. } => {
                "it_park_residency.valid_from".to_owned()
            }
            CompanyError::NoFounders | CompanyError::SharesExceedHundred { .. } => {
                "founders".to_owned()
            }
            CompanyError::ShareNotPositive { index } | CompanyError::ShareTooPrecise { index } => {
                format!("founders[{index}].share_percent")
            }
            CompanyError::DuplicateFounder {
                index, identity, ..
            } => match identity {
                FounderIdentity::Client(_) => format!("founders[{index}].client_id"),
                FounderIdentity::Person(_) => format!("founders[{index}].pinfl"),
            },
            CompanyError::NoRepresentatives | CompanyError::NoDirector => {
                "representatives".to_owned()
            }
            CompanyError::DuplicateRepresentative { index, .. } => {
                format!("representatives[{index}].client_id")
            }
        }
    }
}

/// Whose STIR it is, read from its first digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StirHolder {
    /// First digit 2 or 3. Legal entities were numbered from 2; newer ones, registered after
    /// that range filled, have STIRs beginning with 3 (for example 310006777, an LLC).
    LegalEntity,
    /// First digit 4 to 7: individuals, including sole proprietors, who trade under their
    /// personal number.
    Individual,
}

/// A STIR: nine digits, whose first tells a legal entity from an individual.
///
/// No check digit is verified: the tax committee publishes no algorithm for it, and a made-up
/// one would refuse real numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Stir(String);

impl Stir {
    pub fn parse(text: &str) -> Result<Stir, CompanyError> {
        let text = text.trim();
        let length = text.chars().count();
        if length != STIR_LENGTH {
            return Err(CompanyError::StirWrongLength { length });
        }
        if let Some(index) = text.chars().position(|c| !c.is_ascii_digit()) {
            return Err(CompanyError::StirNotADigit {
                position: index + 1,
            });
        }
        let stir = Stir(text.to_owned());
        stir.holder()?;
        Ok(stir)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn first_digit(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }

    fn holder(&self) -> Result<StirHolder, CompanyError> {
        match self.first_digit() {
            2 | 3 => Ok(StirHolder::LegalEntity),
            4..=7 => Ok(StirHolder::Individual),
            digit => Err(CompanyError::StirUnknownFirstDigit { digit }),
        }
    }

    /// Whether the STIR belongs to a legal entity or an individual.
    pub fn holder_kind(&self) -> StirHolder {
        self.holder()
            .expect("a parsed STIR was checked to begin with a known digit")
    }
}

impl fmt::Display for Stir {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A company's registered name, trimmed, in any script.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyName(String);

impl CompanyName {
    pub fn parse(text: &str) -> Result<CompanyName, CompanyError> {
        if text.chars().any(char::is_control) {
            return Err(CompanyError::NameControlCharacter);
        }
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(CompanyError::NameEmpty);
        }
        if collapsed.chars().count() > COMPANY_NAME_MAX_CHARS {
            return Err(CompanyError::NameTooLong);
        }
        Ok(CompanyName(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The legal forms the bank onboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegalForm {
    /// Limited liability company: MChJ (masʼuliyati cheklangan jamiyat).
    LimitedLiabilityCompany,
    /// Joint-stock company: AJ (aksiyadorlik jamiyati).
    JointStockCompany,
    /// Private enterprise: XK (xususiy korxona).
    PrivateEnterprise,
    /// Family enterprise: OK (oilaviy korxona).
    FamilyEnterprise,
    /// Sole proprietor: YaTT (yakka tartibdagi tadbirkor), not a legal entity.
    SoleProprietor,
}

impl LegalForm {
    pub const ALL: [LegalForm; 5] = [
        LegalForm::LimitedLiabilityCompany,
        LegalForm::JointStockCompany,
        LegalForm::PrivateEnterprise,
        LegalForm::FamilyEnterprise,
        LegalForm::SoleProprietor,
    ];

    /// The stable code used in requests and the database.
    pub fn code(self) -> &'static str {
        match self {
            LegalForm::LimitedLiabilityCompany => "llc",
            LegalForm::JointStockCompany => "jsc",
            LegalForm::PrivateEnterprise => "private_enterprise",
            LegalForm::FamilyEnterprise => "family_enterprise",
            LegalForm::SoleProprietor => "sole_proprietor",
        }
    }

    /// The Uzbek abbreviation printed after a company's name.
    pub fn uzbek_abbreviation(self) -> &'static str {
        match self {
            LegalForm::LimitedLiabilityCompany => "MChJ",
            LegalForm::JointStockCompany => "AJ",
            LegalForm::PrivateEnterprise => "XK",
            LegalForm::FamilyEnterprise => "OK",
            LegalForm::SoleProprietor => "YaTT",
        }
    }

    /// Reads a legal form from its code or its Uzbek abbreviation, in any case.
    pub fn parse(text: &str) -> Result<LegalForm, CompanyError> {
        let text = text.trim();
        LegalForm::ALL
            .into_iter()
            .find(|form| {
                form.code().eq_ignore_ascii_case(text)
                    || form.uzbek_abbreviation().eq_ignore_ascii_case(text)
            })
            .ok_or_else(|| CompanyError::UnknownLegalForm {
                code: text.to_owned(),
            })
    }

    fn is_legal_entity(self) -> bool {
        self != LegalForm::SoleProprietor
    }
}

/// An IT Park residency certificate and the dates it is valid between, both inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItParkResidency {
    certificate_number: String,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
}

impl ItParkResidency {
    pub fn new(
        certificate_number: &str,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
    ) -> Result<ItParkResidency, CompanyError> {
        let certificate_number = certificate_number.trim();
        let well_formed = !certificate_number.is_empty()
            && certificate_number.chars().count() <= CERTIFICATE_NUMBER_MAX_CHARS
            && certificate_number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/');
        if !well_formed {
            return Err(CompanyError::CertificateNumberInvalid);
        }
        if valid_until < valid_from {
            return Err(CompanyError::ResidencyEndsBeforeStart {
                valid_from,
                valid_until,
            });
        }
        Ok(ItParkResidency {
            certificate_number: certificate_number.to_owned(),
            valid_from,
            valid_until,
        })
    }

    pub fn certificate_number(&self) -> &str {
        &self.certificate_number
    }

    pub fn valid_from(&self) -> NaiveDate {
        self.valid_from
    }

    pub fn valid_until(&self) -> NaiveDate {
        self.valid_until
    }

    /// Whether the company is an IT Park resident on `date`.
    pub fn is_resident_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && date <= self.valid_until
    }
}

/// Who a founder is: an onboarded client (a person or another company), or a person known
/// only by PINFL (a founder who has not signed up themselves).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FounderIdentity {
    Client(ClientId),
    Person(Pinfl),
}

/// A founder and their share of the company, in percent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Founder {
    identity: FounderIdentity,
    share_percent: Decimal,
}

impl Founder {
    pub fn identity(&self) -> &FounderIdentity {
        &self.identity
    }

    pub fn share_percent(&self) -> Decimal {
        self.share_percent
    }
}

/// The founders of a company: at least one, each share above zero with at most two decimal
/// places, no founder twice, shares adding up to at most 100%. Less than 100% is allowed
/// because a company may hold its own redeemed shares, which no founder owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Founders(Vec<Founder>);

impl Founders {
    pub fn new(
        founders: impl IntoIterator<Item = (FounderIdentity, Decimal)>,
    ) -> Result<Founders, CompanyError> {
        let mut accepted: Vec<Founder> = Vec::new();
        let mut first_index_of: HashMap<FounderIdentity, usize> = HashMap::new();
        let mut total_percent = Decimal::ZERO;
        for (index, (identity, share_percent)) in founders.into_iter().enumerate() {
            if share_percent <= Decimal::ZERO {
                return Err(CompanyError::ShareNotPositive { index });
            }
            if share_percent.normalize().scale() > SHARE_PERCENT_MAX_DECIMAL_PLACES {
                return Err(CompanyError::ShareTooPrecise { index });
            }
            if let Some(first_index) = first_index_of.get(&identity) {
                return Err(CompanyError::DuplicateFounder {
                    index,
                    first_index: *first_index,
                    identity,
                });
            }
            first_index_of.insert(identity.clone(), index);
            // Each share is at most 100 with two decimals, so the sum of any realistic number
            // of founders is far from Decimal's limits; checked_add still refuses to wrap.
            total_percent = total_percent
                .checked_add(share_percent)
                .ok_or(CompanyError::SharesExceedHundred { total_percent })?;
            accepted.push(Founder {
                identity,
                share_percent,
            });
        }
        if accepted.is_empty() {
            return Err(CompanyError::NoFounders);
        }
        if total_percent > Decimal::ONE_HUNDRED {
            return Err(CompanyError::SharesExceedHundred { total_percent });
        }
        Ok(Founders(accepted))
    }

    pub fn as_slice(&self) -> &[Founder] {
        &self.0
    }

    pub fn total_share_percent(&self) -> Decimal {
        self.0.iter().map(|founder| founder.share_percent).sum()
    }
}

/// In what capacity a person may act for a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepresentativeRole {
    /// The head of the executive body, who acts without a power of attorney.
    Director,
    /// Signs financial documents alongside the director.
    ChiefAccountant,
    /// Acts under a power of attorney.
    Attorney,
}

/// A person, onboarded as a client, who may act for a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representative {
    pub client_id: ClientId,
    pub role: RepresentativeRole,
}

/// The people allowed to act for a company: at least one, among them a director, no person
/// listed twice (one person with two roles is listed once, under the stronger role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representatives(Vec<Representative>);

impl Representatives {
    pub fn new(
        representatives: impl IntoIterator<Item = Representative>,
    ) -> Result<Representatives, CompanyError> {
        let representatives: Vec<Representative> = representatives.into_iter().collect();
        if representatives.is_empty() {
            return Err(CompanyError::NoRepresentatives);
        }
        let mut first_index_of: HashMap<ClientId, usize> = HashMap::new();
        for (index, representative) in representatives.iter().enumerate() {
            if let Some(first_index) = first_index_of.insert(representative.client_id, index) {
                return Err(CompanyError::DuplicateRepresentative { index, first_index });
            }
        }
        if !representatives
            .iter()
            .any(|representative| representative.role == RepresentativeRole::Director)
        {
            return Err(CompanyError::NoDirector);
        }
        Ok(Representatives(representatives))
    }

    pub fn as_slice(&self) -> &[Representative] {
        &self.0
    }

    /// Whether `client_id` may act for the company.
    pub fn may_act(&self, client_id: ClientId) -> bool {
        self.0
            .iter()
            .any(|representative| representative.client_id == client_id)
    }
}

/// The parts of a company profile, each already parsed, before the rules between them are
/// checked.
#[derive(Debug, Clone)]
pub struct NewCompany {
    pub stir: Stir,
    pub name: CompanyName,
    pub legal_form: LegalForm,
    pub registration_date: NaiveDate,
    pub it_park_residency: Option<ItParkResidency>,
    pub founders: Founders,
    pub representatives: Representatives,
}

/// A company profile whose parts agree with each other.
#[derive(Debug, Clone)]
pub struct Company {
    stir: Stir,
    name: CompanyName,
    legal_form: LegalForm,
    registration_date: NaiveDate,
    it_park_residency: Option<ItParkResidency>,
    founders: Founders,
    representatives: Representatives,
}

impl Company {
    /// Checks the rules between the parts: the STIR's holder matches the legal form, the
    /// company was registered by `today`, and IT Park residency starts no earlier than the
    /// company exists.
    pub fn new(new_company: NewCompany, today: NaiveDate) -> Result<Company, CompanyError> {
        let NewCompany {
            stir,
            name,
            legal_form,
            registration_date,
            it_park_residency,
            founders,
            representatives,
        } = new_company;
        let first_digit = stir.first_digit();
        match (legal_form.is_legal_entity(), stir.holder_kind()) {
            (true, StirHolder::Individual) => {
                return Err(CompanyError::StirNotALegalEntity {
                    legal_form,
                    first_digit,
                })
            }
            (false, StirHolder::LegalEntity) => {
                return Err(CompanyError::StirNotAnIndividual { first_digit })
            }
            _ => {}
        }
        if registration_date > today {
            return Err(CompanyError::RegisteredInFuture {
                registration_date,
                today,
            });
        }
        if let Some(residency) = &it_park_residency {
            if residency.valid_from < registration_date {
                return Err(CompanyError::ResidencyBeforeRegistration {
                    valid_from: residency.valid_from,
                    registration_date,
                });
            }
        }
        Ok(Company {
            stir,
            name,
            legal_form,
            registration_date,
            it_park_residency,
            founders,
            representatives,
        })
    }

    pub fn stir(&self) -> &Stir {
        &self.stir
    }

    pub fn name(&self) -> &CompanyName {
        &self.name
    }

    pub fn legal_form(&self) -> LegalForm {
        self.legal_form
    }

    pub fn registration_date(&self) -> NaiveDate {
        self.registration_date
    }

    pub fn it_park_residency(&self) -> Option<&ItParkResidency> {
        self.it_park_residency.as_ref()
    }

    /// Whether the company claims IT Park residency, which adds its certificate to the
    /// documents KYC requires.
    pub fn claims_it_park_residency(&self) -> bool {
        self.it_park_residency.is_some()
    }

    pub fn founders(&self) -> &Founders {
        &self.founders
    }

    pub fn representatives(&self) -> &Representatives {
        &self.representatives
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pinfl::Sex;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn person(serial: u32) -> FounderIdentity {
        FounderIdentity::Person(Pinfl::compose(date(1985, 7, 20), Sex::Male, serial).unwrap())
    }

    #[test]
    fn legal_entity_and_individual_stirs_are_told_apart() {
        assert_eq!(
            Stir::parse("207104447").unwrap().holder_kind(),
            StirHolder::LegalEntity
        );
        assert_eq!(
            Stir::parse("310006777").unwrap().holder_kind(),
            StirHolder::LegalEntity
        );
        assert_eq!(
            Stir::parse("624151850").unwrap().holder_kind(),
            StirHolder::Individual
        );
    }

    #[test]
    fn malformed_stirs_are_refused() {
        assert_eq!(
            Stir::parse("20710444"),
            Err(CompanyError::StirWrongLength { length: 8 })
        );
        assert_eq!(
            Stir::parse("2071O4447"),
            Err(CompanyError::StirNotADigit { position: 5 })
        );
        for digit in [0u8, 1, 8, 9] {
            let text = format!("{digit}07104447");
            assert_eq!(
                Stir::parse(&text),
                Err(CompanyError::StirUnknownFirstDigit { digit })
            );
        }
        assert_eq!(Stir::parse("1").unwrap_err().field(), "stir");
    }

    #[test]
    fn company_names_are_trimmed_and_limited() {
        assert_eq!(
            CompanyName::parse("  Imkon   Soft ").unwrap().as_str(),
            "Imkon Soft"
        );
        assert_eq!(CompanyName::parse(" "), Err(CompanyError::NameEmpty));
        assert_eq!(
            CompanyName::parse(&"x".repeat(COMPANY_NAME_MAX_CHARS + 1)),
            Err(CompanyError::NameTooLong)
        );
        assert_eq!(
            CompanyName::parse("Imkon\u{7}"),
            Err(CompanyError::NameControlCharacter)
        );
    }

    #[test]
    fn legal_forms_are_read_from_code_or_uzbek_abbreviation() {
        assert_eq!(
            LegalForm::parse("MChJ").unwrap(),
            LegalForm::LimitedLiabilityCompany
        );
        assert_eq!(
            LegalForm::parse("llc").unwrap(),
            LegalForm::LimitedLiabilityCompany
        );
        assert_eq!(LegalForm::parse("yatt").unwrap(), LegalForm::SoleProprietor);
        assert_eq!(
            LegalForm::parse("AJ").unwrap(),
            LegalForm::JointStockCompany
        );
        assert_eq!(
            LegalForm::parse("XK").unwrap(),
            LegalForm::PrivateEnterprise
        );
        assert_eq!(LegalForm::parse("OK").unwrap(), LegalForm::FamilyEnterprise);
        for form in LegalForm::ALL {
            assert_eq!(LegalForm::parse(form.code()).unwrap(), form);
        }
        let error = LegalForm::parse("gmbh").unwrap_err();
        assert_eq!(error.field(), "legal_form");
    }

    #[test]
    fn it_park_residency_holds_between_its_dates_inclusive() {
        let residency =
            ItParkResidency::new("IT-2023/0457", date(2023, 3, 1), date(2028, 2, 29)).unwrap();
        assert!(!residency.is_resident_on(date(2023, 2, 28)));
        assert!(residency.is_resident_on(date(2023, 3, 1)));
        assert!(residency.is_resident_on(date(2028, 2, 29)));
        assert!(!residency.is_resident_on(date(2028, 3, 1)));
    }

    #[test]
    fn an_invalid_residency_certificate_is_refused_and_named() {
        let error = ItParkResidency::new(" ", date(2023, 3, 1), date(2024, 3, 1)).unwrap_err();
        assert_eq!(error.field(), "it_park_residency.certificate_number");
        let error = ItParkResidency::new("0457", date(2023, 3, 1), date(2023, 2, 1)).unwrap_err();
        assert_eq!(error.field(), "it_park_residency.valid_until");
    }

    #[test]
    fn founders_with_valid_shares_are_accepted() {
        let founders = Founders::new([
            (person(1), dec!(33.33)),
            (person(2), dec!(33.33)),
            (FounderIdentity::Client(ClientId::new()), dec!(33.34)),
        ])
        .unwrap();
        assert_eq!(founders.total_share_percent(), dec!(100.00));
        assert_eq!(founders.as_slice().len(), 3);
    }

    #[test]
    fn shares_below_a_hundred_percent_are_accepted() {
        let founders = Founders::new([(person(1), dec!(60)), (person(2), dec!(30))]).unwrap();
        assert_eq!(founders.total_share_percent(), dec!(90));
    }

    #[test]
    fn a_zero_or_negative_share_is_refused_and_named_by_index() {
        let error = Founders::new([
            (person(1), dec!(50)),
            (person(2), dec!(25)),
            (person(3), dec!(0)),
        ])
        .unwrap_err();
        assert_eq!(error, CompanyError::ShareNotPositive { index: 2 });
        assert_eq!(error.field(), "founders[2].share_percent");
        let error = Founders::new([(person(1), dec!(-5))]).unwrap_err();
        assert_eq!(error, CompanyError::ShareNotPositive { index: 0 });
    }

    #[test]
    fn a_share_with_three_decimal_places_is_refused_but_trailing_zeros_are_not() {
        let error = Founders::new([(person(1), dec!(33.333))]).unwrap_err();
        assert_eq!(error, CompanyError::ShareTooPrecise { index: 0 });
        assert!(Founders::new([(person(1), dec!(33.330))]).is_ok());
    }

    #[test]
    fn shares_above_a_hundred_percent_are_refused() {
        let error = Founders::new([(person(1), dec!(60)), (person(2), dec!(40.01))]).unwrap_err();
        assert_eq!(
            error,
            CompanyError::SharesExceedHundred {
                total_percent: dec!(100.01)
            }
        );
        assert_eq!(error.field(), "founders");
    }

    #[test]
    fn the_same_founder_twice_is_refused() {
        let error = Founders::new([
            (person(1), dec!(10)),
            (person(2), dec!(10)),
            (person(1), dec!(10)),
        ])
        .unwrap_err();
        assert!(matches!(
            error,
            CompanyError::DuplicateFounder {
                index: 2,
                first_index: 0,
                ..
            }
        ));
        assert_eq!(error.field(), "founders[2].pinfl");
        let client = FounderIdentity::Client(ClientId::new());
        let error = Founders::new([(client.clone(), dec!(10)), (client, dec!(10))]).unwrap_err();
        assert_eq!(error.field(), "founders[1].client_id");
    }

    #[test]
    fn a_company_without_founders_is_refused() {
        assert_eq!(Founders::new([]), Err(CompanyError::NoFounders));
    }

    fn director() -> Representative {
        Representative {
            client_id: ClientId::new(),
            role: RepresentativeRole::Director,
        }
    }

    #[test]
    fn representatives_need_a_director_and_no_one_twice() {
        let accountant = Representative {
            client_id: ClientId::new(),
            role: RepresentativeRole::ChiefAccountant,
        };
        let boss = director();
        let representatives = Representatives::new([boss.clone(), accountant.clone()]).unwrap();
        assert!(representatives.may_act(accountant.client_id));
        assert!(!representatives.may_act(ClientId::new()));
        assert_eq!(
            Representatives::new([accountant.clone()]),
            Err(CompanyError::NoDirector)
        );
        assert_eq!(
            Representatives::new([]),
            Err(CompanyError::NoRepresentatives)
        );
        let twice = Representative {
            client_id: boss.client_id,
            role: RepresentativeRole::Attorney,
        };
        let error = Representatives::new([boss, accountant, twice]).unwrap_err();
        assert_eq!(error.field(), "representatives[2].client_id");
    }

    fn new_company(stir: &str, legal_form: LegalForm) -> NewCompany {
        NewCompany {
            stir: Stir::parse(stir).unwrap(),
            name: CompanyName::parse("Imkon Soft").unwrap(),
            legal_form,
            registration_date: date(2022, 1, 10),
            it_park_residency: None,
            founders: Founders::new([(person(1), dec!(100))]).unwrap(),
            representatives: Representatives::new([director()]).unwrap(),
        }
    }

    #[test]
    fn a_consistent_company_is_accepted() {
        let mut parts = new_company("310006777", LegalForm::LimitedLiabilityCompany);
        parts.it_park_residency =
            Some(ItParkResidency::new("0457", date(2022, 2, 1), date(2025, 2, 1)).unwrap());
        let company = Company::new(parts, date(2024, 1, 1)).unwrap();
        assert!(company.claims_it_park_residency());
        assert_eq!(company.legal_form().uzbek_abbreviation(), "MChJ");
    }

    #[test]
    fn a_legal_entity_with_an_individuals_stir_is_refused() {
        let error = Company::new(
            new_company("624151850", LegalForm::LimitedLiabilityCompany),
            date(2024, 1, 1),
        )
        .unwrap_err();
        assert_eq!(
            error,
            CompanyError::StirNotALegalEntity {
                legal_form: LegalForm::LimitedLiabilityCompany,
                first_digit: 6
            }
        );
        assert_eq!(error.field(), "stir");
    }

    #[test]
    fn a_sole_proprietor_with_a_legal_entitys_stir_is_refused() {
        let error = Company::new(
            new_company("207104447", LegalForm::SoleProprietor),
            date(2024, 1, 1),
        )
        .unwrap_err();
        assert_eq!(error, CompanyError::StirNotAnIndividual { first_digit: 2 });
        assert!(Company::new(
            new_company("624151850", LegalForm::SoleProprietor),
            date(2024, 1, 1)
        )
        .is_ok());
    }

    #[test]
    fn a_registration_date_in_the_future_is_refused() {
        let error = Company::new(
            new_company("207104447", LegalForm::JointStockCompany),
            date(2022, 1, 9),
        )
        .unwrap_err();
        assert_eq!(error.field(), "registration_date");
    }

    #[test]
    fn residency_starting_before_registration_is_refused() {
        let mut parts = new_company("207104447", LegalForm::PrivateEnterprise);
        parts.it_park_residency =
            Some(ItParkResidency::new("0457", date(2021, 12, 1), date(2025, 2, 1)).unwrap());
        let error = Company::new(parts, date(2024, 1, 1)).unwrap_err();
        assert_eq!(error.field(), "it_park_residency.valid_from");
    }

    proptest! {
        #[test]
        fn shares_in_hundredths_are_accepted_exactly_when_they_sum_to_at_most_a_hundred(
            hundredths in proptest::collection::vec(1i64..=6_000, 1..6)
        ) {
            let total: i64 = hundredths.iter().sum();
            let founders = hundredths
                .iter()
                .enumerate()
                .map(|(index, share)| (person(index as u32), Decimal::new(*share, 2)));
            let result = Founders::new(founders);
            if total <= 10_000 {
                prop_assert_eq!(result.unwrap().total_share_percent(), Decimal::new(total, 2));
            } else {
                prop_assert_eq!(
                    result,
                    Err(CompanyError::SharesExceedHundred { total_percent: Decimal::new(total, 2) })
                );
            }
        }

        #[test]
        fn any_nine_digit_stir_parses_exactly_when_its_first_digit_is_known(
            digits in "[0-9]{9}"
        ) {
            let first = digits.as_bytes()[0] - b'0';
            prop_assert_eq!(Stir::parse(&digits).is_ok(), (2..=7).contains(&first));
        }
    }
}
