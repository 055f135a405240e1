//! Repayments: the founder pays what is due, or repays early with a recomputed schedule; and
//! the contract's schedule with what has been paid of it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use imkon_auth::extract::{AuthenticatedUser, BankClient, RequireRole};
use imkon_platform::idempotency::{self, Claim, IdempotencyKey, SavedResponse};
use imkon_platform::money::Money;
use imkon_platform::problem::{Problem, ValidatedJson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::contracts::visible_contract;
use super::schedules::{parse_date, parse_decimal};
use super::{record_audit, AuditSubject};
use crate::db::contracts::{self, ContractRow};
use crate::db::installments::{self, InstallmentRow};
use crate::db::repayments::{self, NewRepayment, RepaymentRow};
use crate::domain::allocation::{allocate_payment, AmountsDue};
use crate::domain::contract::ContractStatus;
use crate::domain::early_repayment::{repay_early, EarlyRepayment, EarlyRepaymentOption};
use crate::domain::settlement::{settlement_quote, UnpaidInstalment};
use crate::domain::tranche::ProgrammeKind;
use crate::error::DisbursementError;
use crate::loans::contract_status;
use crate::loans::{currency, current_schedule, money, programme_kind};
use crate::money_flows::{collect_repayment, RepaymentParts};
use crate::repaying::{
    amount_due, close_when_repaid, record_partial_payment, record_payment_of_due, unpaid_due,
};
use crate::AppState;

/// What the client chooses when repaying early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EarlyOption {
    /// The same due dates with a lower instalment.
    KeepTerm,
    /// The same instalment over fewer due dates.
    KeepInstallment,
}

/// A repayment request. Empty (`{}`): pay everything due today (penalty, then interest, then
/// principal of the instalments due). With `amount` alone, while something is due: pay that
/// part of it, allocated the same way, oldest instalment first; the rest stays due (422
/// `more_than_due` above what is due). With `amount` and `option`: repay `amount` of principal
/// ahead of schedule; the interest accrued since the last due date is added to the payment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RepaymentRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 40, code = "not_a_decimal"))]
    #[schema(min_length = 1, max_length = 40)]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<EarlyOption>,
}

/// A repayment received; amounts are decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RepaymentView {
    pub id: Uuid,
    pub contract_id: Uuid,
    /// `scheduled` or `early`.
    pub kind: String,
    pub repaid_on: NaiveDate,
    pub amount: String,
    pub penalty: String,
    pub interest: String,
    pub principal: String,
    pub option: Option<String>,
    pub transfer_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl RepaymentView {
    fn from_row(contract: &ContractRow, row: &RepaymentRow) -> RepaymentView {
        let text = |amount: Decimal| money(contract, amount).amount().to_string();
        RepaymentView {
            id: row.id,
            contract_id: contract.id,
            kind: row.kind.clone(),
            repaid_on: row.repaid_on,
            amount: text(row.amount),
            penalty: text(row.penalty),
            interest: text(row.interest),
            principal: text(row.principal),
            option: row.early_option.clone(),
            transfer_id: row.transfer_id,
            created_at: row.created_at,
        }
    }
}

/// One instalment of a contract's schedule and what has been paid of it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractInstallmentView {
    pub number: i32,
    pub due_date: NaiveDate,
    pub principal: String,
    pub interest: String,
    pub total: String,
    pub balance: String,
    pub paid: String,
    /// `paid`, `overdue` (due before today, not fully paid), `due` (due today) or `upcoming`.
    pub status: String,
    /// Days past due on the latest arrears run.
    pub days_past_due: i32,
}

/// A contract's current schedule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractScheduleView {
    pub contract_id: Uuid,
    pub currency: String,
    pub installments: Vec<ContractInstallmentView>,
    pub total_principal: String,
    pub total_interest: String,
    pub total_payable: String,
    pub penalty_outstanding: String,
    /// What a payment today would take: the penalty and everything due up to today.
    pub due_today: String,
}

fn installment_view(
    contract: &ContractRow,
    row: &InstallmentRow,
    today: NaiveDate,
) -> ContractInstallmentView {
    let text = |amount: Decimal| money(contract, amount).amount().to_string();
    let status = if row.is_settled() {
        "paid"
    } else if row.due_date < today {
        "overdue"
    } else if row.due_date == today {
        "due"
    } else {
        "upcoming"
    };
    ContractInstallmentView {
        number: row.number,
        due_date: row.due_date,
        principal: text(row.principal),
        interest: text(row.interest),
        total: text(row.total),
        balance: text(row.balance),
        paid: text(row.paid()),
        status: status.to_owned(),
        days_past_due: row.days_past_due,
    }
}

/// The contract's schedule as it stands, with payments; its founder or staff.
#[utoipa::path(get, path = "/v1/contracts/{id}/schedule", tag = "repayments",
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = ContractScheduleView), (status = 401), (status = 404),
        (status = 409, description = "A grant has no schedule")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn get_schedule(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<Uuid>,
) -> Result<Json<ContractScheduleView>, Problem> {
    let contract = visible_contract(&state, &user, id).await?;
    if programme_kind(&contract) == ProgrammeKind::Grant {
        return Err(DisbursementError::GrantHasNoSchedule.into());
    }
    let rows = installments::list(&state.pool, id).await?;
    let today = state.calendar.today();
    let sum = |amount: fn(&InstallmentRow) -> Decimal| {
        money(&contract, rows.iter().map(amount).sum())
            .amount()
            .to_string()
    };
    let due_now: Decimal = unpaid_due(&rows, today)
        .iter()
        .map(|row| row.unpaid_interest() + row.unpaid_principal())
        .sum::<Decimal>()
        + contract.penalty_outstanding;
    Ok(Json(ContractScheduleView {
        contract_id: id,
        currency: contract.currency.clone(),
        installments: rows
            .iter()
            .map(|row| installment_view(&contract, row, today))
            .collect(),
        total_principal: sum(|row| row.principal),
        total_interest: sum(|row| row.interest),
        total_payable: sum(|row| row.total),
        penalty_outstanding: money(&contract, contract.penalty_outstanding)
            .amount()
            .to_string(),
        due_today: money(&contract, due_now).amount().to_string(),
    }))
}

/// The contract's repayments, oldest first; its founder or staff.
#[utoipa::path(get, path = "/v1/contracts/{id}/repayments", tag = "repayments",
    params(("id" = Uuid, Path, description = "The contract's id")),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = [RepaymentView]), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn list_repayments(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<RepaymentView>>, Problem> {
    let contract = visible_contract(&state, &user, id).await?;
    let rows = repayments::list(&state.pool, id).await?;
    Ok(Json(
        rows.iter()
            .map(|row| RepaymentView::from_row(&contract, row))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SettlementQuery {
    /// `YYYY-MM-DD`, the bank's today or later; today when absent.
    pub date: Option<String>,
}

/// What settles a loan on a date; amounts are decimal strings in the loan's currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementQuoteView {
    pub contract_id: Uuid,
    pub currency: String,
    pub date: NaiveDate,
    /// The penalty outstanding today; penalties are not projected, so the quote holds while
    /// nothing falls overdue before its date.
    pub penalty: String,
    /// Unpaid interest of the instalments due on or before the date.
    pub due_interest: String,
    /// Unpaid principal of the instalments due on or before the date.
    pub due_principal: String,
    /// Interest accrued since the last due date on the principal repaid early.
    pub accrued_interest: String,
    /// The principal scheduled after the date, repaid early.
    pub remaining_principal: String,
    /// What settles the loan on the date: the sum of the parts.
    pub total: String,
}

/// The early-settlement quote of an active loan for any date from today on: its founder or
/// staff. A read: nothing is booked or reserved.
#[utoipa::path(get, path = "/v1/contracts/{id}/settlement-quote", tag = "repayments",
    params(("id" = Uuid, Path, description = "The contract's id"), SettlementQuery),
    security(("bearer" = ["client", "kyc_officer", "credit_officer", "approver", "finance", "admin"])),
    responses((status = 200, body = SettlementQuoteView), (status = 401), (status = 404),
        (status = 409, description = "A grant, or a loan that is not active"),
        (status = 422, description = "`date` is not a date (not_a_date) or is before the bank's today (before_today)")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn get_settlement_quote(
    State(state): State<AppState>,
    user: AuthenticatedUser,
    Path(id): Path<Uuid>,
    Query(query): Query<SettlementQuery>,
) -> Result<Json<SettlementQuoteView>, Problem> {
    let contract = visible_contract(&state, &user, id).await?;
    if programme_kind(&contract) == ProgrammeKind::Grant {
        return Err(DisbursementError::GrantHasNoSchedule.into());
    }
    if contract_status(&contract) != ContractStatus::Active {
        return Err(DisbursementError::ContractNotActive {
            status: contract_status(&contract).name(),
        }
        .into());
    }
    let today = state.calendar.today();
    let date = match &query.date {
        Some(text) => parse_date(text, "date")?,
        None => today,
    };
    if date < today {
        return Err(DisbursementError::InvalidField {
            field: "date",
            code: "before_today",
            message: format!("a quote is for {today} or later"),
        }
        .into());
    }
    let mut connection = state.pool.acquire().await?;
    let schedule = current_schedule(&mut connection, &contract)
        .await?
        .ok_or(DisbursementError::NothingDue)?;
    let unpaid: Vec<UnpaidInstalment> = installments::list(&mut *connection, id)
        .await?
        .iter()
        .filter(|row| !row.is_settled())
        .map(|row| UnpaidInstalment {
            due_date: row.due_date,
            interest: money(&contract, row.unpaid_interest()),
            principal: money(&contract, row.unpaid_principal()),
        })
        .collect();
    let quote = settlement_quote(
        &schedule,
        &unpaid,
        money(&contract, contract.penalty_outstanding),
        date,
    )
    .map_err(DisbursementError::from)?;
    let text = |amount: Money| amount.amount().to_string();
    Ok(Json(SettlementQuoteView {
        contract_id: id,
        currency: contract.currency.clone(),
        date,
        penalty: text(quote.penalty),
        due_interest: text(quote.due_interest),
        due_principal: text(quote.due_principal),
        accrued_interest: text(quote.accrued_interest),
        remaining_principal: text(quote.remaining_principal),
        total: text(quote.total),
    }))
}

/// The request, checked: pay what is due, or repay principal early.
enum Repayment {
    WhatIsDue,
    /// `amount` without an option while something is due: that much of what is due.
    PartOfDue(Money),
    Early {
        extra_principal: Money,
        option: EarlyRepaymentOption,
    },
}

fn parse_request(
    contract: &ContractRow,
    request: &RepaymentRequest,
) -> Result<Repayment, DisbursementError> {
    let Some(amount) = &request.amount else {
        if request.option.is_some() {
            return Err(DisbursementError::InvalidField {
                field: "amount",
                code: "required",
                message: "an early repayment names the amount of principal to repay".to_owned(),
            });
        }
        return Ok(Repayment::WhatIsDue);
    };
    let amount =
        Money::new(parse_decimal(amount, "amount")?, currency(contract)).map_err(|error| {
            DisbursementError::InvalidField {
                field: "amount",
                code: "too_many_decimals",
                message: error.to_string(),
            }
        })?;
    let option = match request.option {
        Some(EarlyOption::KeepTerm) => EarlyRepaymentOption::KeepTerm,
        Some(EarlyOption::KeepInstallment) => EarlyRepaymentOption::KeepInstallment,
        None => return Ok(Repayment::PartOfDue(amount)),
    };
    let extra_principal = amount;
    Ok(Repayment::Early {
        extra_principal,
        option,
    })
}

/// The founder repays from their current account: what is due, or principal ahead of schedule.
///
/// One ledger transfer carries the whole payment (penalty, interest and principal legs). Its
/// idempotency key is derived from the contract, the caller's Idempotency-Key and the request,
/// so a retry after a crash between the ledger and this service's commit finds the transfer
/// already made instead of paying again.
#[utoipa::path(post, path = "/v1/contracts/{id}/repayments", tag = "repayments",
    request_body = RepaymentRequest,
    params(("id" = Uuid, Path, description = "The contract's id"),
        ("Idempotency-Key" = String, Header, description = "Required; a retry with the same key returns the first answer")),
    security(("bearer" = ["client"])),
    responses((status = 201, body = RepaymentView), (status = 400), (status = 401), (status = 403),
        (status = 404),
        (status = 409, description = "Not an active loan, nothing due, or instalments due must be paid before an early repayment"),
        (status = 422, description = "An invalid amount (the problem names it), insufficient funds or no current account")))]
#[tracing::instrument(skip_all, fields(contract_id = %id))]
pub async fn repay(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    founder: RequireRole<BankClient>,
    key: IdempotencyKey,
    Path(id): Path<Uuid>,
    ValidatedJson(request): ValidatedJson<RepaymentRequest>,
) -> Result<Response, Problem> {
    let path = format!("/v1/contracts/{id}/repayments");
    let body = serde_json::to_vec(&request).map_err(|error| Problem::internal_from(&error))?;
    let fingerprint = idempotency::fingerprint("POST", &path, &body);
    let scope = format!("{}:repay", founder.subject());
    let mut transaction = state.pool.begin().await?;
    if let Claim::Replay(response) =
        idempotency::claim(&mut transaction, &scope, &key, &fingerprint).await?
    {
        return Ok(response);
    }
    let contract = contracts::find_for_update(&mut transaction, id)
        .await?
        .filter(|contract| founder.client_id() == Some(contract.client_id))
        .ok_or(DisbursementError::ContractNotFound)?;
    if programme_kind(&contract) == ProgrammeKind::Grant {
        return Err(DisbursementError::GrantHasNoSchedule.into());
    }
    if contract_status(&contract) != ContractStatus::Active {
        return Err(DisbursementError::ContractNotActive {
            status: contract_status(&contract).name(),
        }
        .into());
    }
    let repayment = parse_request(&contract, &request)?;
    let ledger_key = format!(
        "repayment:{}",
        idempotency::fingerprint(&id.to_string(), key.as_str(), fingerprint.as_bytes())
    );
    let repayment_id = imkon_platform::id::new_id();
    let today = state.calendar.today();
    let due = amount_due(&mut transaction, &contract, today).await?;
    match repayment {
        Repayment::WhatIsDue => {
            let due = due.ok_or(DisbursementError::NothingDue)?;
            let transfer_id =
                collect_repayment(state.ledger.as_ref(), &contract, ledger_key, due.parts).await?;
            record_payment_of_due(
                &mut transaction,
                &contract,
                &due,
                repayment_id,
                transfer_id,
                today,
            )
            .await?;
        }
        Repayment::PartOfDue(amount) => {
            // With nothing due an amount is an early repayment, which names its option.
            let due = due.ok_or(DisbursementError::InvalidField {
                field: "option",
                code: "required",
                message: "choose keep_term (lower instalment) or keep_installment (shorter term)"
                    .to_owned(),
            })?;
            if amount.amount() > due.parts.total().amount() {
                return Err(DisbursementError::InvalidField {
                    field: "amount",
                    code: "more_than_due",
                    message: format!("at most {} is due", due.parts.total().amount()),
                }
                .into());
            }
            let allocation = allocate_payment(
                amount,
                &AmountsDue {
                    penalty: due.parts.penalty,
                    interest: due.parts.interest,
                    principal: due.parts.principal,
                },
            )
            .map_err(DisbursementError::from)?;
            let parts = RepaymentParts {
                penalty: allocation.penalty,
                interest: allocation.interest,
                principal: allocation.principal,
            };
            let transfer_id =
                collect_repayment(state.ledger.as_ref(), &contract, ledger_key, parts).await?;
            record_partial_payment(
                &mut transaction,
                &contract,
                &due,
                &allocation,
                repayment_id,
                transfer_id,
                today,
            )
            .await?;
        }
        Repayment::Early {
            extra_principal,
            option,
        } => {
            if due.is_some() {
                return Err(DisbursementError::InstallmentsDueFirst.into());
            }
            let schedule = current_schedule(&mut transaction, &contract)
                .await?
                .ok_or(DisbursementError::NothingDue)?;
            let outcome = repay_early(
                &schedule,
                &EarlyRepayment {
                    date: today,
                    extra_principal,
                    option,
                },
            )
            .map_err(DisbursementError::from)?;
            let parts = RepaymentParts {
                penalty: Money::zero(currency(&contract)),
                interest: outcome.accrued_interest,
                principal: outcome.extra_principal,
            };
            let transfer_id =
                collect_repayment(state.ledger.as_ref(), &contract, ledger_key, parts).await?;
            let rows = installments::list(&mut *transaction, id).await?;
            let first_replaced = rows
                .iter()
                .find(|row| row.due_date > today)
                .map(|row| row.number)
                .expect("an early repayment the domain accepted has an instalment after today");
            let first_replaced =
                u32::try_from(first_replaced).expect("the database checks numbers are positive");
            installments::replace_from(&mut transaction, id, first_replaced, &outcome.schedule)
                .await?;
            repayments::insert(
                &mut transaction,
                &NewRepayment {
                    id: repayment_id,
                    contract_id: id,
                    kind: "early",
                    repaid_on: today,
                    amount: outcome.amount_due.amount(),
                    penalty: Decimal::ZERO,
                    interest: outcome.accrued_interest.amount(),
                    principal: outcome.extra_principal.amount(),
                    extra_principal: Some(outcome.extra_principal.amount()),
                    early_option: Some(match option {
                        EarlyRepaymentOption::KeepTerm => "keep_term",
                        EarlyRepaymentOption::KeepInstallment => "keep_installment",
                    }),
                    transfer_id,
                },
            )
            .await?;
        }
    }
    let closed = close_when_repaid(&mut transaction, id).await?;
    let row = repayments::list(&mut *transaction, id)
        .await?
        .into_iter()
        .find(|row| row.id == repayment_id)
        .expect("the repayment was inserted in this transaction");
    let view = RepaymentView::from_row(&contract, &row);
    record_audit(
        &mut transaction,
        &founder,
        address,
        "repayment.received",
        AuditSubject::Repayment(repayment_id),
        None,
        Some(json!({
            "contract_id": id,
            "kind": view.kind,
            "amount": view.amount,
            "penalty": view.penalty,
            "interest": view.interest,
            "principal": view.principal,
            "option": view.option,
            "transfer_id": view.transfer_id,
            "contract_closed": closed,
        })),
    )
    .await?;
    let saved = SavedResponse::json(StatusCode::CREATED, &view)?;
    idempotency::save(&mut transaction, &scope, &key, &saved).await?;
    transaction.commit().await?;
    Ok(saved.into_response())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/contracts/{id}/schedule", get(get_schedule))
        .route(
            "/v1/contracts/{id}/settlement-quote",
            get(get_settlement_quote),
        )
        .route(
            "/v1/contracts/{id}/repayments",
            post(repay).get(list_repayments),
        )
}
