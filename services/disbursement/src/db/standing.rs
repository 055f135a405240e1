//! A client's standing as a borrower: the loans with something past due.

use chrono::NaiveDate;
use sqlx::PgExecutor;
use uuid::Uuid;

/// The active loans of `client_id` with an instalment due before `today` and not fully paid,
/// or a penalty still owed, oldest first. Computed from the schedule itself rather than from
/// the arrears job's last run, so a repayment clears the standing at once.
pub async fn overdue_loans<'e>(
    executor: impl PgExecutor<'e>,
    client_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select c.id from contract c
         where c.client_id = $1 and c.status = 'active' and c.programme_kind = 'loan'
           and (c.penalty_outstanding > 0
                or exists (select 1 from installment i
                           where i.contract_id = c.id and i.due_date < $2
                             and (i.paid_interest < i.interest
                                  or i.paid_principal < greatest(i.principal, 0))))
         order by c.id",
        client_id,
        today
    )
    .fetch_all(executor)
    .await
}
