//! The materialised repayment schedule and what has been paid of each instalment.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::schedule::Schedule;

#[derive(Debug, Clone)]
pub struct InstallmentRow {
    pub number: i32,
    pub due_date: NaiveDate,
    pub principal: Decimal,
    pub interest: Decimal,
    pub total: Decimal,
    pub balance: Decimal,
    pub paid_interest: Decimal,
    pub paid_principal: Decimal,
    pub days_past_due: i32,
    /// The day a late-payment charge was added for this instalment falling overdue.
    pub late_charged_on: Option<NaiveDate>,
}

impl InstallmentRow {
    pub fn unpaid_interest(&self) -> Decimal {
        self.interest - self.paid_interest
    }

    /// Unpaid principal; a negative scheduled principal (interest capitalised under an actual
    /// day count) owes nothing here.
    pub fn unpaid_principal(&self) -> Decimal {
        self.principal.max(Decimal::ZERO) - self.paid_principal
    }

    pub fn paid(&self) -> Decimal {
        self.paid_interest + self.paid_principal
    }

    pub fn is_settled(&self) -> bool {
        self.unpaid_interest().is_zero() && self.unpaid_principal() <= Decimal::ZERO
    }
}

/// Replaces every row numbered `from_number` or later with the rows of `schedule`.
pub async fn replace_from(
    connection: &mut PgConnection,
    contract_id: Uuid,
    from_number: u32,
    schedule: &Schedule,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        // The schedule numbers instalments with u32, which bigint holds whole; Postgres compares
        // it with the integer column.
        "delete from installment where contract_id = $1 and number >= $2::bigint",
        contract_id,
        i64::from(from_number)
    )
    .execute(&mut *connection)
    .await?;
    for row in schedule.installments() {
        sqlx::query!(
"insert into installment (contract_id, number, due_date, principal, interest, total, balance)
             values ($1, $2::bigint, $3, $4, $5, $6, $7)",
contract_id,
i64::from(row.number()),
row.due_date(),
row.principal().amount(),
row.interest().amount(),
row.total().amount(),
row.balance().amount()
)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

pub async fn list<'e>(
    executor: impl PgExecutor<'e>,
    contract_id: Uuid,
) -> Result<Vec<InstallmentRow>, sqlx::Error> {
    sqlx::query_as!(
        InstallmentRow,
        "select number, due_date, principal, interest, total, balance, paid_interest,
             paid_principal, days_past_due, late_charged_on
         from installment where contract_id = $1 order by number",
        contract_id
    )
    .fetch_all(executor)
    .await
}

/// Records that the instalments `numbers` were charged for falling overdue on `day`.
pub async fn mark_late_charged(
    connection: &mut PgConnection,
    contract_id: Uuid,
    numbers: &[i32],
    day: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update installment set late_charged_on = $3
         where contract_id = $1 and number = any($2) and late_charged_on is null",
        contract_id,
        numbers,
        day
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Records a payment towards one instalment.
pub async fn add_payment(
    connection: &mut PgConnection,
    contract_id: Uuid,
    number: i32,
    interest: Decimal,
    principal: Decimal,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update installment set paid_interest = paid_interest + $3,
             paid_principal = paid_principal + $4
         where contract_id = $1 and number = $2",
        contract_id,
        number,
        interest,
        principal
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Records how late an instalment is on the latest arrears run.
pub async fn set_days_past_due(
    connection: &mut PgConnection,
    contract_id: Uuid,
    number: i32,
    days_past_due: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update installment set days_past_due = $3 where contract_id = $1 and number = $2",
        contract_id,
        number,
        days_past_due
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The active loans disbursed by `as_of` with an unsettled instalment due after `as_of` and by
/// `through` that has not been reminded of, by id.
pub async fn loans_to_remind(
    connection: &mut PgConnection,
    as_of: NaiveDate,
    through: NaiveDate,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select distinct c.id from contract c join installment i on i.contract_id = c.id
         where c.status = 'active' and c.programme_kind = 'loan' and c.disbursement_date <= $1
           and i.due_date > $1 and i.due_date <= $2
           and i.paid_interest + i.paid_principal < i.interest + greatest(i.principal, 0)
           and not exists (select 1 from installment_reminder r
                           where r.contract_id = i.contract_id and r.number = i.number
                             and r.due_date = i.due_date)
         order by c.id",
        as_of,
        through
    )
    .fetch_all(connection)
    .await
}

/// A reminder that an instalment falls due soon, as recorded when its event is written.
#[derive(Debug, Clone)]
pub struct NewReminder {
    pub contract_id: Uuid,
    pub number: i32,
    pub due_date: NaiveDate,
    pub amount_due: Decimal,
    pub reminded_on: NaiveDate,
    pub event_id: Uuid,
}

/// Whether instalment `number`, due on `due_date`, has been reminded of.
pub async fn was_reminded(
    connection: &mut PgConnection,
    contract_id: Uuid,
    number: i32,
    due_date: NaiveDate,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from installment_reminder
                          where contract_id = $1 and number = $2 and due_date = $3) as "exists!""#,
        contract_id,
        number,
        due_date
    )
    .fetch_one(connection)
    .await
}

pub async fn insert_reminder(
    connection: &mut PgConnection,
    reminder: &NewReminder,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into installment_reminder (contract_id, number, due_date, amount_due, reminded_on,
             event_id)
         values ($1, $2, $3, $4, $5, $6)",
        reminder.contract_id,
        reminder.number,
        reminder.due_date,
        reminder.amount_due,
        reminder.reminded_on,
        reminder.event_id
    )
    .execute(connection)
    .await?;
    Ok(())
}
