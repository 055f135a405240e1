//! Opening accounts: issuing a number and checking that number, kind, owner and currency agree.
//! Used by `POST /v1/accounts`, by the KYC consumers (a person's and a company's) and by the
//! demo seed.

use chrono::{DateTime, Duration, Utc};
use imkon_platform::audit::{self, AuditEntry};
use imkon_platform::id::new_id;
use imkon_platform::money::Currency;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db;
use crate::db::accounts::{AccountRow, CompanyRow, NewAccount};
use crate::domain::account::{Account, AccountId, AccountKind, AccountOwner, CompanyId};
use crate::domain::account_number::{AccountNumber, BalanceAccountCode, BankCode};
use crate::error::AccountsError;

/// What to open.
#[derive(Debug, Clone)]
pub struct AccountOpening<'a> {
    pub kind: AccountKind,
    pub owner: AccountOwner,
    pub currency: Currency,
    pub allow_negative: bool,
    pub name: Option<&'a str>,
}

/// Opens an account in the caller's transaction, with the owner's next free serial.
pub async fn open_account(
    connection: &mut PgConnection,
    bank: BankCode,
    opening: &AccountOpening<'_>,
) -> Result<AccountRow, AccountsError> {
    // A company is a client of the bank in its own right, so it has an owner code of its own,
    // not its founder's: the number says whose money it is.
    let coded_owner = match opening.owner {
        AccountOwner::Client(client) => Some(client.as_uuid()),
        AccountOwner::Company(company) => Some(company.as_uuid()),
        AccountOwner::Bank => None,
    };
    let owner_code = match coded_owner {
        Some(owner) => {
            let code = db::accounts::client_code(connection, owner).await?;
            u32::try_from(code).map_err(|_| {
                AccountsError::Inconsistent(format!("client code {code} is negative"))
            })?
        }
        None => 0,
    };
    // The kind's first chart-of-accounts code: individuals' current accounts (20206) for
    // persons' current accounts, since every founder who passes KYC is a person; a company's
    // current account has only the legal entities' code (20208).
    let balance_account = *opening
        .kind
        .balance_account_codes()
        .first()
        .expect("every account kind has at least one balance-account code");
    let first = AccountNumber::issue(bank, balance_account, opening.currency, owner_code, 1)
        .map_err(|error| AccountsError::Inconsistent(error.to_string()))?
        .to_string();
    let serial = db::accounts::next_serial(connection, &first[..8], &first[9..17]).await?;
    let serial = u16::try_from(serial).map_err(|_| {
        AccountsError::Problem(imkon_platform::problem::Problem::conflict(
            "serials_exhausted",
            "This owner has used every serial of this kind of account.",
        ))
    })?;
    let number = AccountNumber::issue(bank, balance_account, opening.currency, owner_code, serial)
        .map_err(|error| {
            AccountsError::Problem(imkon_platform::problem::Problem::conflict(
                error.code(),
                error.to_string(),
            ))
        })?;
    let account = Account::open(
        AccountId::from_uuid(new_id()),
        number,
        opening.kind,
        opening.owner,
        opening.currency,
        opening.allow_negative,
    )?;
    let (owner_client_id, owner_company_id) = match account.owner() {
        AccountOwner::Client(client) => (Some(client.as_uuid()), None),
        AccountOwner::Company(company) => (None, Some(company.as_uuid())),
        AccountOwner::Bank => (None, None),
    };
    let number_text = account.number().to_string();
    Ok(db::accounts::insert(
        connection,
        &NewAccount {
            id: account.id().as_uuid(),
            number: &number_text,
            kind: account.kind().code(),
            owner_client_id,
            owner_company_id,
            currency: account.currency().code(),
            normal_side: account.normal_side().code(),
            allow_negative: account.allow_negative(),
            name: opening.name,
        },
    )
    .await?)
}

/// Records an opening the system made on its own (after an event, or the demo seed) in the
/// audit trail, with no actor.
async fn audit_system_opening(
    connection: &mut PgConnection,
    account: &AccountRow,
    cause: &str,
) -> Result<(), AccountsError> {
    audit::record(
        connection,
        AuditEntry {
            actor_id: None,
            actor_roles: Vec::new(),
            action: "account.opened",
            subject_type: "account",
            subject_id: account.id.to_string(),
            before: None,
            after: Some(json!({
                "number": account.number,
                "kind": account.kind,
                "currency": account.currency,
                "owner_client_id": account.owner_client_id,
                "owner_company_id": account.owner_company_id,
                "cause": cause,
            })),
            source_address: None,
        },
    )
    .await?;
    Ok(())
}

/// Opens the account unless the owner already has one of this kind and currency; returns the
/// existing or the new one. Safe to call concurrently: openings for one owner and kind wait
/// for each other. A new account is recorded in the audit trail with `cause`.
pub async fn open_once(
    connection: &mut PgConnection,
    bank: BankCode,
    opening: &AccountOpening<'_>,
    cause: &str,
) -> Result<AccountRow, AccountsError> {
    let owner_name = match opening.owner {
        AccountOwner::Client(client) => client.as_uuid().to_string(),
        AccountOwner::Company(company) => format!("company:{}", company.as_uuid()),
        AccountOwner::Bank => "bank".to_owned(),
    };
    db::accounts::lock_owner_kind(connection, &owner_name, opening.kind.code()).await?;
    let existing = match opening.owner {
        AccountOwner::Client(client) => db::accounts::list_for_client(
            &mut *connection,
            client.as_uuid(),
            Some(opening.kind.code()),
        )
        .await?
        .into_iter()
        .find(|account| account.currency == opening.currency.code()),
        AccountOwner::Company(company) => db::accounts::list_for_company(
            &mut *connection,
            company.as_uuid(),
            Some(opening.kind.code()),
        )
        .await?
        .into_iter()
        .find(|account| account.currency == opening.currency.code()),
        AccountOwner::Bank => {
            db::accounts::find_bank_account(
                &mut *connection,
                opening.kind.code(),
                opening.currency.code(),
            )
            .await?
        }
    };
    match existing {
        Some(account) => Ok(account),
        None => {
            let account = open_account(connection, bank, opening).await?;
            audit_system_opening(connection, &account, cause).await?;
            Ok(account)
        }
    }
}

/// Records a company whose KYC onboarding approved, with the founder who operates its
/// accounts, and opens its current account in sums, once: a repeated approval finds the company
/// and the account recorded before. Both are in the audit trail, with `cause`.
pub async fn open_company_account(
    connection: &mut PgConnection,
    bank: BankCode,
    company: &CompanyRow,
    cause: &str,
) -> Result<AccountRow, AccountsError> {
    let (known, recorded_now) = db::accounts::record_company(connection, company).await?;
    if recorded_now {
        audit::record(
            connection,
            AuditEntry {
                actor_id: None,
                actor_roles: Vec::new(),
                action: "company.recorded",
                subject_type: "company",
                subject_id: known.company_id.to_string(),
                before: None,
                after: Some(json!({
                    "founder_client_id": known.founder_client_id,
                    "stir": known.stir,
                    "approved_at": known.approved_at,
                    "cause": cause,
                })),
                source_address: None,
            },
        )
        .await?;
    } else if known.founder_client_id != company.founder_client_id {
        // The founder who operates the accounts is the one of the first approval; a later one
        // naming another founder changes nothing here, and someone should look at it.
        tracing::warn!(
            company_id = %known.company_id,
            recorded_founder = %known.founder_client_id,
            announced_founder = %company.founder_client_id,
            "a repeated company approval names another founder; the first is kept"
        );
    }
    open_once(
        connection,
        bank,
        &AccountOpening {
            kind: AccountKind::CompanyCurrent,
            owner: AccountOwner::Company(CompanyId::from_uuid(known.company_id)),
            currency: Currency::Uzs,
            allow_negative: false,
            name: Some("Company current account"),
        },
        cause,
    )
    .await
}

/// Opens the bank's own accounts a demonstration needs, in sums: settlement, interest income
/// and penalty income; and publishes demonstration exchange rates. Idempotent, so the launcher
/// calls it on every start.
pub async fn seed_demo(
    pool: &PgPool,
    bank: BankCode,
    now: DateTime<Utc>,
) -> Result<(), AccountsError> {
    let accounts = [
        (
            AccountKind::BankSettlement,
            true,
            "Settlement account at the Central Bank",
        ),
        (
            AccountKind::InterestIncome,
            false,
            "Interest income on loans",
        ),
        (AccountKind::PenaltyIncome, false, "Penalty income"),
    ];
    let mut transaction = pool.begin().await?;
    for (kind, allow_negative, name) in accounts {
        open_once(
            &mut transaction,
            bank,
            &AccountOpening {
                kind,
                owner: AccountOwner::Bank,
                currency: Currency::Uzs,
                allow_negative,
                name: Some(name),
            },
            "demo seed",
        )
        .await?;
    }
    seed_demo_rates(&mut transaction, now).await?;
    seed_demo_deposit_products(&mut transaction).await?;
    seed_demo_billing(&mut transaction, now).await?;
    seed_demo_clearing(&mut transaction).await?;
    transaction.commit().await?;
    Ok(())
}

/// The demonstration's term deposit products, set up once (when the bank offers none yet), so
/// that a demo client can open a deposit at once. The seed stands in for the admin who sets
/// them up, and the audit trail says so.
async fn seed_demo_deposit_products(connection: &mut PgConnection) -> Result<(), AccountsError> {
    if !db::deposits::list_products(&mut *connection, true)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let admin = Uuid::from_u128(0xde30_0000_0000_0000_0000_0000_0000_0003);
    let products = [
        (
            "Savings 12 months, interest monthly",
            "UZS",
            12,
            Decimal::from_parts(2000, 0, 0, false, 2),
            Decimal::from_parts(500, 0, 0, false, 2),
            Decimal::from(1_000_000),
            "monthly",
            false,
        ),
        (
            "Growth 6 months, capitalised",
            "UZS",
            6,
            Decimal::from_parts(1800, 0, 0, false, 2),
            Decimal::from_parts(400, 0, 0, false, 2),
            Decimal::from(500_000),
            "monthly",
            true,
        ),
        (
            "Dollar deposit 12 months, at maturity",
            "USD",
            12,
            Decimal::from_parts(500, 0, 0, false, 2),
            Decimal::from_parts(100, 0, 0, false, 2),
            Decimal::from(100),
            "maturity",
            false,
        ),
    ];
    for (name, currency, term_months, rate, early_rate, min_amount, payout, capitalised) in products
    {
        let row = db::deposits::insert_product(
            connection,
            &db::deposits::NewProduct {
                id: new_id(),
                name,
                currency,
                term_months,
                annual_rate: rate,
                early_withdrawal_rate: early_rate,
                min_amount,
                interest_payout: payout,
                capitalised,
                created_by: admin,
            },
        )
        .await?;
        audit::record(
            connection,
            AuditEntry {
                actor_id: None,
                actor_roles: Vec::new(),
                action: "deposit_product.created",
                subject_type: "deposit_product",
                subject_id: row.id.to_string(),
                before: None,
                after: Some(json!({"name": name, "cause": "demo seed"})),
                source_address: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// The demonstration's catalogue of payees and its simulated billing system's invoices: four
/// payable for a year from the first start, one already paid (by someone at another bank)
/// and one expired. Numbers are fixed, so that the README and the tests can name them.
async fn seed_demo_billing(
    connection: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<(), AccountsError> {
    const PAYEES: [(&str, &str, &str); 5] = [
        (
            "passport_duty",
            "Davlat boji: biometrik pasport",
            "state_duty",
        ),
        ("road_fines", "IIV YHXB: yoʻl harakati jarimalari", "fine"),
        (
            "property_tax",
            "Toshkent shahar DSI: mol-mulk soligʻi",
            "tax",
        ),
        ("electricity", "Hududiy elektr tarmoqlari AJ", "utility"),
        ("gas", "Hududgaztaʼminot AJ", "utility"),
    ];
    for (code, name, category) in PAYEES {
        db::billing::insert_payee(connection, code, name, category).await?;
    }
    let today = imkon_platform::calendar::BankCalendar::default().day_of(now);
    let in_a_year = today + Duration::days(365);
    let invoices = [
        (
            "DUTY-2026-000101",
            "passport_duty",
            "Biometrik pasport uchun davlat boji",
            340_000,
            in_a_year,
        ),
        (
            "FINE-77-4410023",
            "road_fines",
            "Tezlikni oshirganlik uchun jarima, 01 A 777 AA",
            412_000,
            in_a_year,
        ),
        (
            "TAX-2026-1203",
            "property_tax",
            "2026-yil uchun mol-mulk soligʻi",
            1_250_000,
            in_a_year,
        ),
        (
            "ELEC-5501-1126",
            "electricity",
            "Elektr energiyasi, noyabr",
            186_400,
            in_a_year,
        ),
        (
            "GAS-3307-1126",
            "gas",
            "Tabiiy gaz, noyabr",
            92_150,
            in_a_year,
        ),
        (
            "ELEC-5501-0926",
            "electricity",
            "Elektr energiyasi, sentyabr",
            201_300,
            today - Duration::days(30),
        ),
    ];
    for (number, payee_code, description, amount, expires_on) in invoices {
        db::billing::insert_invoice(
            connection,
            &db::billing::NewInvoice {
                number,
                payee_code,
                description,
                amount: Decimal::from(amount),
                expires_on,
            },
        )
        .await?;
    }
    let paid_elsewhere = "GAS-3307-1126";
    if db::billing::find_invoice(&mut *connection, paid_elsewhere)
        .await?
        .is_some_and(|invoice| invoice.paid_at.is_none())
    {
        db::billing::mark_invoice_paid(
            connection,
            paid_elsewhere,
            Uuid::from_u128(0xde30_0000_0000_0000_0000_0000_0000_0004),
            "SB-000000000001",
            now,
        )
        .await?;
    }
    Ok(())
}

/// The other bank's account the simulated clearing house knows to be closed, so that a demo
/// payment to it is returned: a company's sum account at bank 00440, owner 55500001.
pub fn demo_closed_account_at_other_bank() -> (BankCode, AccountNumber) {
    let bank = BankCode::parse("00440").expect("a five-digit bank code");
    let number = AccountNumber::issue(
        bank,
        BalanceAccountCode::CURRENT_ACCOUNT_OF_COMPANY,
        Currency::Uzs,
        55_500_001,
        1,
    )
    .expect("the demo's closed account has a valid number");
    (bank, number)
}

async fn seed_demo_clearing(connection: &mut PgConnection) -> Result<(), AccountsError> {
    let (bank, number) = demo_closed_account_at_other_bank();
    db::interbank::simulated_close_account(connection, &bank.to_string(), &number.to_string())
        .await?;
    Ok(())
}

/// The demonstration's exchange rates, published for 31 days from `now` for every pair that has
/// none in force, so that a demo client can exchange at once. The seed stands in for both
/// pairs of eyes: these two fixed ids propose and publish, and the audit trail says so.
async fn seed_demo_rates(
    connection: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<(), AccountsError> {
    const DEMO_RATES: [(&str, &str, Decimal, Decimal); 3] = [
        (
            "USD",
            "UZS",
            Decimal::from_parts(12580, 0, 0, false, 0),
            Decimal::from_parts(12690, 0, 0, false, 0),
        ),
        (
            "EUR",
            "UZS",
            Decimal::from_parts(14610, 0, 0, false, 0),
            Decimal::from_parts(14790, 0, 0, false, 0),
        ),
        (
            "EUR",
            "USD",
            Decimal::from_parts(1158, 0, 0, false, 3),
            Decimal::from_parts(1172, 0, 0, false, 3),
        ),
    ];
    let proposer = Uuid::from_u128(0xde30_0000_0000_0000_0000_0000_0000_0001);
    let publisher = Uuid::from_u128(0xde30_0000_0000_0000_0000_0000_0000_0002);
    let in_force = db::exchange::rates_in_force(&mut *connection, now).await?;
    for (base, quote, buy, sell) in DEMO_RATES {
        if in_force
            .iter()
            .any(|rate| rate.base_currency == base && rate.quote_currency == quote)
        {
            continue;
        }
        let id = new_id();
        db::exchange::insert_rate(
            connection,
            &db::exchange::NewRate {
                id,
                base_currency: base,
                quote_currency: quote,
                buy_rate: buy,
                sell_rate: sell,
                valid_from: now,
                valid_until: now + Duration::days(31),
                proposed_by: proposer,
                proposed_at: now,
            },
        )
        .await?;
        db::exchange::decide_rate(connection, id, "published", publisher, now, None).await?;
        audit::record(
            connection,
            AuditEntry {
                actor_id: None,
                actor_roles: Vec::new(),
                action: "fx_rate.published",
                subject_type: "fx_rate",
                subject_id: id.to_string(),
                before: None,
                after: Some(json!({
                    "pair": format!("{base}/{quote}"),
                    "buy_rate": buy.to_string(),
                    "sell_rate": sell.to_string(),
                    "cause": "demo seed",
                })),
                source_address: None,
            },
        )
        .await?;
    }
    Ok(())
}
