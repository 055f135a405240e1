//! Twenty-digit account numbers, laid out as Uzbek banks lay them out.
//!
//! ```text
//! 20208 000 7 12345678 001
//! │     │   │ │        └ serial: the owner's n-th account of this balance account and currency
//! │     │   │ └ owner code: the bank's 8-digit client code (zeros for the bank's own accounts)
//! │     │   └ check digit (the "key")
//! │     └ currency: 000 for the sum, the ISO 4217 numeric code otherwise (840, 978)
//! └ balance account: the 5-digit code from the Central Bank's chart of accounts
//! ```
//!
//! The currency position follows Uzbek practice rather than ISO 4217 for the national currency:
//! sum accounts carry `000`, not `860` (for example `20208000…`), while foreign-currency
//! accounts carry the ISO numeric code (`20208840…` for dollars). Only this canonical form is
//! accepted, so one account has exactly one spelling.
//!
//! # The check digit
//!
//! The Central Bank's key algorithm runs over the bank's 5-digit MFO code and the account's
//! other digits, but its published weight table is not something we could source, so this
//! module does not claim to reproduce it. It uses its own documented scheme instead, chosen
//! because it provably catches every single-digit error and every swap of two adjacent
//! different digits (a weighted mod-10 sum cannot do both, because the difference of two weights
//! that are both coprime to 10 is even):
//!
//! * Write the 25 digits `MFO (5) ‖ account number (20, check digit included)`.
//! * Give position `i` (1-based) the weight `((i − 1) mod 10) + 1`, so the weights run
//!   1, 2, …, 10, 1, 2, … and the check digit (position 14) has weight 4.
//! * The number is valid when the weighted sum is divisible by 11.
//!
//! Every weight is non-zero modulo 11, so changing one digit by d (|d| ≤ 9) changes the sum by
//! a non-multiple of 11; neighbouring weights differ by 1 or 9, so swapping adjacent digits a ≠ b
//! changes the sum by ±(a − b) or ±9(a − b), again never a multiple of 11. The cost is that for
//! one choice of the other 24 digits in eleven the required check value is 10, which is not a
//! digit: such parts have no valid number, and [`AccountNumber::issue`] moves to the next
//! serial (changing the serial's last digit by one always changes the required value, so at
//! most one serial is skipped).
//!
//! # Balance-account codes
//!
//! From the chart of accounts of commercial banks of Uzbekistan (Central Bank resolution of
//! 17 July 2004 No. 15/3, registered as No. 773-17, and its successors). Class 1 is assets,
//! 2 liabilities, 4 income, 5 expenses.
//!
//! | code  | meaning | status |
//! |-------|---------|--------|
//! | 10101 | cash in the operating till | confirmed |
//! | 10301 | correspondent ("nostro") account at the Central Bank, the bank's settlement account | group 10300 confirmed; sub-account assumed |
//! | 12501 | short-term loans to individuals | group 12500 confirmed; sub-account assumed |
//! | 20205 | demand deposits of off-budget funds: where a programme's grant money waits | confirmed code; its use for programmes is our choice |
//! | 20206 | demand deposits of individuals: a person's current account | confirmed (mirrors 50106, interest expense on them) |
//! | 20208 | demand deposits of private enterprises, partnerships and companies: a company's current account (kind `company_current`, opened on `company.kyc_approved`) | code confirmed (mirrors 50108); ASSUMPTION: every company approved on the platform is a private enterprise (an LLC or a partnership), so each gets 20208; a state enterprise, a joint venture or a sole proprietor would need its own code of group 20200, to be confirmed by the bank's accountants |
//! | 41501 | interest income on loans to individuals | ASSUMPTION: class 4 is income; the sub-account must be confirmed by the bank's accountants |
//! | 45401 | penalty (fine) income | ASSUMPTION: as above |
//! | 56802 | losses on loans written off | ASSUMPTION: class 5 is expenses; the sub-account must be confirmed by the bank's accountants |
//! | 17101 | the bank's currency position from exchanges with clients, one account per currency | ASSUMPTION: the code must be confirmed by the bank's accountants |
//! | 45301 | income from exchanging currency | ASSUMPTION: class 4 is income; the sub-account must be confirmed by the bank's accountants |
//! | 45101 | fee and commission income on loans (arrangement fees) | ASSUMPTION: as above |
//! | 20606 | time (term) deposits of individuals: one account per deposit | ASSUMPTION: group 20600 is time deposits, the sub-account mirrors 20206; to be confirmed by the bank's accountants |
//! | 22406 | interest accrued and not yet paid on time deposits of individuals | ASSUMPTION: group 22400 is accrued interest payable; the sub-account must be confirmed |
//! | 50606 | interest expense on time deposits of individuals | ASSUMPTION: class 5 is expenses, mirroring 20606 as 50106 mirrors 20206; to be confirmed |

use std::fmt;

use imkon_platform::money::Currency;

/// How many digits an account number has.
pub const ACCOUNT_NUMBER_DIGITS: usize = 20;

/// The largest owner code: eight digits.
pub const MAX_OWNER_CODE: u32 = 99_999_999;

/// The largest serial: three digits.
pub const MAX_SERIAL: u16 = 999;

/// Where the check digit sits in the account number (0-based).
const CHECK_DIGIT_INDEX: usize = 8;

/// Why an account number, or one of its parts, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountNumberError {
    #[error("an account number has 20 digits, this one has {length} characters")]
    WrongLength { length: usize },
    #[error("an account number has only digits 0-9")]
    NotDigits,
    #[error("`{code}` is not a currency code of an account number (000 for sum, 840, 978)")]
    UnknownCurrencyCode { code: String },
    #[error("the check digit does not match the rest of the account number")]
    WrongCheckDigit,
    #[error("a bank code (MFO) has 5 digits")]
    MalformedBankCode,
    #[error("a balance-account code has 5 digits and does not start with 0")]
    MalformedBalanceAccountCode,
    #[error("an owner code has at most 8 digits")]
    OwnerCodeOutOfRange,
    #[error("a serial has at most 3 digits")]
    SerialOutOfRange,
    #[error("these parts have no check digit; use the next serial")]
    NoCheckDigitForParts,
}

impl AccountNumberError {
    /// A stable code for the problem+json `code` member.
    pub fn code(&self) -> &'static str {
        match self {
            AccountNumberError::WrongLength { .. } => "account_number_wrong_length",
            AccountNumberError::NotDigits => "account_number_not_digits",
            AccountNumberError::UnknownCurrencyCode { .. } => "account_number_unknown_currency",
            AccountNumberError::WrongCheckDigit => "account_number_wrong_check_digit",
            AccountNumberError::MalformedBankCode => "malformed_bank_code",
            AccountNumberError::MalformedBalanceAccountCode => "malformed_balance_account_code",
            AccountNumberError::OwnerCodeOutOfRange => "owner_code_out_of_range",
            AccountNumberError::SerialOutOfRange => "serial_out_of_range",
            AccountNumberError::NoCheckDigitForParts => "no_check_digit_for_parts",
        }
    }

    /// The part of the number at fault, named as an HTTP layer would name it.
    pub fn field(&self) -> &'static str {
        match self {
            AccountNumberError::MalformedBankCode => "bank_code",
            AccountNumberError::MalformedBalanceAccountCode => "balance_account_code",
            AccountNumberError::OwnerCodeOutOfRange => "owner_code",
            AccountNumberError::SerialOutOfRange | AccountNumberError::NoCheckDigitForParts => {
                "serial"
            }
            _ => "account_number",
        }
    }
}

/// Parses exactly `N` ASCII digits.
fn digits_of<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != N || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut digits = [0u8; N];
    for (digit, byte) in digits.iter_mut().zip(bytes) {
        *digit = byte - b'0';
    }
    Some(digits)
}

/// A bank's 5-digit MFO code, which the Central Bank assigns to each bank branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BankCode([u8; 5]);

impl BankCode {
    pub fn parse(text: &str) -> Result<BankCode, AccountNumberError> {
        digits_of::<5>(text)
            .map(BankCode)
            .ok_or(AccountNumberError::MalformedBankCode)
    }
}

impl fmt::Display for BankCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|digit| write!(f, "{digit}"))
    }
}

/// A 5-digit code from the chart of accounts, such as 20208.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BalanceAccountCode(u32);

impl BalanceAccountCode {
    /// Cash in the operating till.
    pub const BANK_CASH: BalanceAccountCode = BalanceAccountCode(10101);
    /// The bank's correspondent account at the Central Bank.
    pub const BANK_SETTLEMENT: BalanceAccountCode = BalanceAccountCode(10301);
    /// Short-term loans to individuals.
    pub const LOAN_TO_INDIVIDUAL: BalanceAccountCode = BalanceAccountCode(12501);
    /// Demand deposits of off-budget funds, used for programme grant funds.
    pub const GRANT_FUND: BalanceAccountCode = BalanceAccountCode(20205);
    /// Demand deposits of individuals.
    pub const CURRENT_ACCOUNT_OF_INDIVIDUAL: BalanceAccountCode = BalanceAccountCode(20206);
    /// Demand deposits of private enterprises, partnerships and companies: every company's
    /// current account (its use for all companies assumed, see the module documentation).
    pub const CURRENT_ACCOUNT_OF_COMPANY: BalanceAccountCode = BalanceAccountCode(20208);
    /// Interest income on loans (sub-account assumed, see the module documentation).
    pub const INTEREST_INCOME: BalanceAccountCode = BalanceAccountCode(41501);
    /// Penalty income (sub-account assumed, see the module documentation).
    pub const PENALTY_INCOME: BalanceAccountCode = BalanceAccountCode(45401);
    /// Losses on loans written off (sub-account assumed, see the module documentation).
    pub const LOAN_LOSS: BalanceAccountCode = BalanceAccountCode(56802);
    /// The bank's position in a foreign-exchange deal (see the module documentation).
    pub const FX_POSITION: BalanceAccountCode = BalanceAccountCode(17101);
    /// Income from exchanging currency (sub-account assumed, see the module documentation).
    pub const FX_INCOME: BalanceAccountCode = BalanceAccountCode(45301);
    /// Fee and commission income on loans (sub-account assumed, see the module documentation).
    pub const FEE_INCOME: BalanceAccountCode = BalanceAccountCode(45101);
    /// Time deposits of individuals (sub-account assumed, see the module documentation).
    pub const TERM_DEPOSIT_OF_INDIVIDUAL: BalanceAccountCode = BalanceAccountCode(20606);
    /// Interest accrued on time deposits and not yet paid (sub-account assumed).
    pub const DEPOSIT_INTEREST_PAYABLE: BalanceAccountCode = BalanceAccountCode(22406);
    /// Interest expense on time deposits of individuals (sub-account assumed).
    pub const DEPOSIT_INTEREST_EXPENSE: BalanceAccountCode = BalanceAccountCode(50606);

    /// Parses five digits; the chart of accounts has no class 0, so a leading zero is refused.
    pub fn parse(text: &str) -> Result<BalanceAccountCode, AccountNumberError> {
        let digits = digits_of::<5>(text).ok_or(AccountNumberError::MalformedBalanceAccountCode)?;
        if digits[0] == 0 {
            return Err(AccountNumberError::MalformedBalanceAccountCode);
        }
        Ok(BalanceAccountCode(
            digits
                .iter()
                .fold(0, |code, &digit| code * 10 + u32::from(digit)),
        ))
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for BalanceAccountCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:05}", self.0)
    }
}

/// The three digits an account number uses for a currency: 000 for the national currency.
fn currency_code_in_account_number(currency: Currency) -> u16 {
    match currency {
        Currency::Uzs => 0,
        other => other.numeric_code(),
    }
}

fn currency_from_account_number_code(code: u16) -> Option<Currency> {
    Currency::ALL
        .into_iter()
        .find(|&currency| currency_code_in_account_number(currency) == code)
}

/// The weight of position `index` (0-based) among the 25 digits MFO ‖ account number.
fn weight(index: usize) -> u32 {
    (index % 10) as u32 + 1
}

/// The weighted sum of the bank code and the account digits, modulo 11.
fn weighted_sum_mod_11(bank: BankCode, account_digits: &[u8; ACCOUNT_NUMBER_DIGITS]) -> u32 {
    bank.0
        .iter()
        .chain(account_digits.iter())
        .enumerate()
        .map(|(index, &digit)| weight(index) * u32::from(digit))
        .sum::<u32>()
        % 11
}

/// Whether the digits satisfy the checksum for this bank.
fn checksum_holds(bank: BankCode, account_digits: &[u8; ACCOUNT_NUMBER_DIGITS]) -> bool {
    weighted_sum_mod_11(bank, account_digits) == 0
}

/// The check digit that makes the checksum hold, if one of 0–9 does.
fn check_digit_for(bank: BankCode, account_digits: &[u8; ACCOUNT_NUMBER_DIGITS]) -> Option<u8> {
    let mut candidate = *account_digits;
    (0..=9).find(|&digit| {
        candidate[CHECK_DIGIT_INDEX] = digit;
        checksum_holds(bank, &candidate)
    })
}

/// A valid 20-digit account number of one bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountNumber {
    digits: [u8; ACCOUNT_NUMBER_DIGITS],
}

impl AccountNumber {
    /// Parses an account number held at `bank`: exactly 20 digits, a known currency code and a
    /// matching check digit. Spaces are not tolerated; a form may strip them before calling.
    pub fn parse(text: &str, bank: BankCode) -> Result<AccountNumber, AccountNumberError> {
        let length = text.chars().count();
        if length != ACCOUNT_NUMBER_DIGITS {
            return Err(AccountNumberError::WrongLength { length });
        }
        let digits =
            digits_of::<ACCOUNT_NUMBER_DIGITS>(text).ok_or(AccountNumberError::NotDigits)?;
        let number = AccountNumber { digits };
        if number.currency_if_known().is_none() {
            return Err(AccountNumberError::UnknownCurrencyCode {
                code: text[5..8].to_owned(),
            });
        }
        if digits[0] == 0 {
            return Err(AccountNumberError::MalformedBalanceAccountCode);
        }
        if !checksum_holds(bank, &digits) {
            return Err(AccountNumberError::WrongCheckDigit);
        }
        Ok(number)
    }

    /// Builds the number from its parts and computes the check digit. About one part choice in
    /// eleven has no check digit (see the module documentation); use [`AccountNumber::issue`]
    /// when any serial from a starting one will do.
    pub fn from_parts(
        bank: BankCode,
        balance_account: BalanceAccountCode,
        currency: Currency,
        owner_code: u32,
        serial: u16,
    ) -> Result<AccountNumber, AccountNumberError> {
        if owner_code > MAX_OWNER_CODE {
            return Err(AccountNumberError::OwnerCodeOutOfRange);
        }
        if serial > MAX_SERIAL {
            return Err(AccountNumberError::SerialOutOfRange);
        }
        let text = format!(
            "{balance_account}{:03}0{owner_code:08}{serial:03}",
            currency_code_in_account_number(currency)
        );
        let mut digits = digits_of::<ACCOUNT_NUMBER_DIGITS>(&text)
            .ok_or(AccountNumberError::MalformedBalanceAccountCode)?;
        digits[CHECK_DIGIT_INDEX] =
            check_digit_for(bank, &digits).ok_or(AccountNumberError::NoCheckDigitForParts)?;
        Ok(AccountNumber { digits })
    }

    /// The number with the lowest serial at or after `first_serial` that has a check digit.
    /// At most one serial is ever skipped, because consecutive serials need different check
    /// values and only one value (10) is unusable.
    pub fn issue(
        bank: BankCode,
        balance_account: BalanceAccountCode,
        currency: Currency,
        owner_code: u32,
        first_serial: u16,
    ) -> Result<AccountNumber, AccountNumberError> {
        match AccountNumber::from_parts(bank, balance_account, currency, owner_code, first_serial) {
            Err(AccountNumberError::NoCheckDigitForParts) => {
                let next_serial = first_serial
                    .checked_add(1)
                    .ok_or(AccountNumberError::SerialOutOfRange)?;
                AccountNumber::from_parts(bank, balance_account, currency, owner_code, next_serial)
            }
            other => other,
        }
    }

    fn number_from(&self, range: std::ops::Range<usize>) -> u32 {
        self.digits[range]
            .iter()
            .fold(0, |value, &digit| value * 10 + u32::from(digit))
    }

    fn currency_if_known(&self) -> Option<Currency> {
        let code = u16::try_from(self.number_from(5..8)).ok()?;
        currency_from_account_number_code(code)
    }

    pub fn balance_account_code(&self) -> BalanceAccountCode {
        BalanceAccountCode(self.number_from(0..5))
    }

    pub fn currency(&self) -> Currency {
        self.currency_if_known()
            .expect("parse and from_parts only build numbers with a known currency code")
    }

    pub fn check_digit(&self) -> u8 {
        self.digits[CHECK_DIGIT_INDEX]
    }

    pub fn owner_code(&self) -> u32 {
        self.number_from(9..17)
    }

    pub fn serial(&self) -> u16 {
        u16::try_from(self.number_from(17..20)).expect("three digits always fit in a u16")
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.digits
            .iter()
            .try_for_each(|digit| write!(f, "{digit}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bank() -> BankCode {
        BankCode::parse("00873").unwrap()
    }

    fn sample_numbers() -> Vec<AccountNumber> {
        let mut numbers = Vec::new();
        for (owner_code, serial) in [(12_345_678, 1), (1, 2), (99_999_999, 999), (50_505_050, 55)] {
            for balance_account in [
                BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
                BalanceAccountCode::LOAN_TO_INDIVIDUAL,
                BalanceAccountCode::BANK_SETTLEMENT,
            ] {
                for currency in Currency::ALL {
                    numbers.push(
                        AccountNumber::issue(bank(), balance_account, currency, owner_code, serial)
                            .unwrap(),
                    );
                }
            }
        }
        numbers
    }

    #[test]
    fn a_number_built_from_parts_parses_back_to_the_same_parts() {
        let number = AccountNumber::issue(
            bank(),
            BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
            Currency::Usd,
            12_345_678,
            1,
        )
        .unwrap();
        let text = number.to_string();
        assert_eq!(text.len(), 20);
        assert!(text.starts_with("20208840"));
        let parsed = AccountNumber::parse(&text, bank()).unwrap();
        assert_eq!(parsed, number);
        assert_eq!(
            parsed.balance_account_code(),
            BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY
        );
        assert_eq!(parsed.currency(), Currency::Usd);
        assert_eq!(parsed.owner_code(), 12_345_678);
        assert!(parsed.serial() == 1 || parsed.serial() == 2);
    }

    #[test]
    fn sum_accounts_carry_000_not_860() {
        let number = AccountNumber::issue(
            bank(),
            BalanceAccountCode::CURRENT_ACCOUNT_OF_INDIVIDUAL,
            Currency::Uzs,
            7,
            1,
        )
        .unwrap();
        assert_eq!(&number.to_string()[5..8], "000");
        let mut as_860 = number.to_string();
        as_860.replace_range(5..8, "860");
        assert_eq!(
            AccountNumber::parse(&as_860, bank()),
            Err(AccountNumberError::UnknownCurrencyCode { code: "860".into() })
        );
    }

    #[test]
    fn malformed_numbers_are_refused_with_a_precise_reason() {
        assert_eq!(
            AccountNumber::parse("2020800012345678001", bank()),
            Err(AccountNumberError::WrongLength { length: 19 })
        );
        assert_eq!(
            AccountNumber::parse("2020800O912345678001", bank()),
            Err(AccountNumberError::NotDigits)
        );
        assert_eq!(
            AccountNumber::parse("20208123912345678001", bank()),
            Err(AccountNumberError::UnknownCurrencyCode { code: "123".into() })
        );
        assert_eq!(
            AccountNumberError::WrongCheckDigit.code(),
            "account_number_wrong_check_digit"
        );
        assert_eq!(
            AccountNumberError::WrongCheckDigit.field(),
            "account_number"
        );
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        let number = sample_numbers()[0];
        let mut text = number.to_string().into_bytes();
        text[CHECK_DIGIT_INDEX] = b'0' + (number.check_digit() + 1) % 10;
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            AccountNumber::parse(&text, bank()),
            Err(AccountNumberError::WrongCheckDigit)
        );
    }

    #[test]
    fn a_number_of_another_bank_is_refused() {
        let number = sample_numbers()[0];
        let other_bank = BankCode::parse("00874").unwrap();
        assert_eq!(
            AccountNumber::parse(&number.to_string(), other_bank),
            Err(AccountNumberError::WrongCheckDigit)
        );
    }

    #[test]
    fn parts_out_of_range_are_refused() {
        let code = BalanceAccountCode::GRANT_FUND;
        assert_eq!(
            AccountNumber::from_parts(bank(), code, Currency::Uzs, 100_000_000, 1),
            Err(AccountNumberError::OwnerCodeOutOfRange)
        );
        assert_eq!(
            AccountNumber::from_parts(bank(), code, Currency::Uzs, 1, 1000),
            Err(AccountNumberError::SerialOutOfRange)
        );
        assert_eq!(
            BankCode::parse("0087"),
            Err(AccountNumberError::MalformedBankCode)
        );
        assert_eq!(
            BalanceAccountCode::parse("02020"),
            Err(AccountNumberError::MalformedBalanceAccountCode)
        );
        assert_eq!(
            BalanceAccountCode::parse("20208"),
            Ok(BalanceAccountCode(20208))
        );
    }

    #[test]
    fn parts_without_a_check_digit_are_refused_and_issue_skips_to_the_next_serial() {
        let code = BalanceAccountCode::CURRENT_ACCOUNT_OF_INDIVIDUAL;
        let unusable_serial = (0..=MAX_SERIAL)
            .find(|&serial| {
                AccountNumber::from_parts(bank(), code, Currency::Uzs, 42, serial)
                    == Err(AccountNumberError::NoCheckDigitForParts)
            })
            .expect("about one serial in eleven has no check digit");
        let issued =
            AccountNumber::issue(bank(), code, Currency::Uzs, 42, unusable_serial).unwrap();
        assert_eq!(issued.serial(), unusable_serial + 1);
    }

    /// Every substitution of one digit by another, at every position, breaks the checksum:
    /// 100 % of the 20 × 9 single-digit errors are caught on each sample number.
    #[test]
    fn every_single_digit_change_is_caught() {
        for number in sample_numbers() {
            for position in 0..ACCOUNT_NUMBER_DIGITS {
                for replacement in 0..=9u8 {
                    if replacement == number.digits[position] {
                        continue;
                    }
                    let mut digits = number.digits;
                    digits[position] = replacement;
                    assert!(
                        !checksum_holds(bank(), &digits),
                        "{number}: digit {position} changed to {replacement} went unnoticed"
                    );
                }
            }
        }
    }

    /// Every swap of two adjacent different digits breaks the checksum: 100 % caught.
    #[test]
    fn every_adjacent_swap_of_different_digits_is_caught() {
        let mut swaps_tried = 0;
        for number in sample_numbers() {
            for position in 0..ACCOUNT_NUMBER_DIGITS - 1 {
                let mut digits = number.digits;
                if digits[position] == digits[position + 1] {
                    continue;
                }
                digits.swap(position, position + 1);
                swaps_tried += 1;
                assert!(
                    !checksum_holds(bank(), &digits),
                    "{number}: swapping digits {position} and {} went unnoticed",
                    position + 1
                );
            }
        }
        assert!(swaps_tried > 100, "the samples must exercise many swaps");
    }

    proptest! {
        #[test]
        fn every_issued_number_parses(
            owner_code in 0..=MAX_OWNER_CODE,
            serial in 0..MAX_SERIAL,
            currency_index in 0usize..3,
            bank_digits in "[0-9]{5}",
        ) {
            let bank = BankCode::parse(&bank_digits).unwrap();
            let currency = Currency::ALL[currency_index];
            let number = AccountNumber::issue(
                bank, BalanceAccountCode::LOAN_TO_INDIVIDUAL, currency, owner_code, serial,
            ).unwrap();
            prop_assert_eq!(AccountNumber::parse(&number.to_string(), bank), Ok(number));
            prop_assert_eq!(number.currency(), currency);
            prop_assert_eq!(number.owner_code(), owner_code);
        }

        #[test]
        fn any_single_digit_change_or_adjacent_swap_is_caught(
            owner_code in 0..=MAX_OWNER_CODE,
            serial in 0..MAX_SERIAL,
            position in 0..ACCOUNT_NUMBER_DIGITS - 1,
            delta in 1u8..=9,
        ) {
            let number = AccountNumber::issue(
                bank(), BalanceAccountCode::GRANT_FUND, Currency::Uzs, owner_code, serial,
            ).unwrap();
            let mut changed = number.digits;
            changed[position] = (changed[position] + delta) % 10;
            prop_assert!(!checksum_holds(bank(), &changed));
            let mut swapped = number.digits;
            swapped.swap(position, position + 1);
            prop_assert!(swapped == number.digits || !checksum_holds(bank(), &swapped));
        }
    }
}
