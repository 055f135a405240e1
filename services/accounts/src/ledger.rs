//! The ledger's write path: a few writers per process ([`WRITERS`]), each on a thread of its
//! own, booking transfers in batches.
//!
//! # Why batches
//!
//! Every grant is paid out of its programme's one fund account, so that account's row is hot
//! by design. Were each request its own transaction, every transfer touching the fund would
//! hold the fund's row lock across several round trips to PostgreSQL and the whole service
//! would queue behind it, one commit at a time. Instead, handlers hand their validated
//! transfers to a writer through a channel and wait on a oneshot for their own answer: the
//! writer of the account the transfer debits first (see [`writer_of`]), so that all of a hot
//! account's transfers meet in one writer's batches. A writer takes whatever has queued up (at most [`MAX_BATCH_TRANSFERS`]); when fewer
//! requests have queued than the larger of its last two batches held, it waits for them at most
//! [`GATHER_WINDOW`] (an idle service still answers at once, a busy one batches more), and per
//! batch:
//!
//! 1. begins one transaction and locks every account the batch touches with one
//!    `select … for update` ordered by id (the domain's [`touched_accounts`] order), so any two
//!    transactions that lock accounts take them in the same order and cannot deadlock;
//! 2. looks up every request's (scope, idempotency key) in the same statement (see
//!    [`db::ledger::lock_accounts_and_find_keys`]): a key booked before
//!    is answered with the original transfer (or refused with `idempotency_key_reused` if the
//!    request differs); a key repeated inside the batch is answered like its first use;
//! 3. plans the fresh transfers in memory with the domain's [`plan_batch`] against the locked
//!    balances, then places the holds with [`Hold::place`]. A refused transfer (insufficient
//!    funds, wrong currency) is refused alone: planning writes nothing, so the others see the
//!    balances as if it had never arrived;
//! 4. writes transfers, entries, holds, balances and audit records in one statement (a
//!    data-modifying `with` query per table, each over `unnest`ed arrays), commits, and only
//!    then answers each request. A request is told 201 only after its transfer is durable; a
//!    crash before the commit leaves nothing of the batch.
//!
//! A batch's cost is three round trips (lock and keys, write, commit), shared by every transfer
//! in it, with a fourth (begin) only when the writer was idle: under load, the commit of one
//! batch and the begin of the next travel in one message (see [`WriterSession`]). The fund's
//! row is locked for exactly one short transaction per batch (each account's balance is
//! written once per batch, however many of its legs the batch books). Each writer books one
//! batch at a time (see [`run_writer`] for why): the requests that arrive meanwhile, for a hot
//! account or any other, gather into its next batch.
//!
//! The writers of one process, and those of other processes (replicas), book their batches side
//! by side; batches that share an account serialise on its row lock, which stays correct. If another process booked the same key between
//! our lookup and our insert, the unique index on (scope, key) fails our batch; the writer then
//! retries it, and the retry finds the key and replays it.
//!
//! The domain's [`plan_batch`] refuses a repeated idempotency key by its text alone, while keys
//! here are unique per scope (per caller kind). Two requests of different scopes with the same
//! key are both valid; the second is simply carried over to the next batch.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use imkon_platform::calendar::Clock;
use imkon_platform::id::new_id;
use imkon_platform::money::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::db;
use crate::db::ledger::{BatchStart, BatchWrites, LegRecord, LockedAccount, TransferRecord};
use crate::domain::account::{AccountId, AccountKind, Side};
use crate::domain::batch::{plan_batch, touched_accounts};
use crate::domain::hold::{reserve, Hold, HoldError};
use crate::domain::posting::{AccountState, AccountStates, Posting, TransferError};
use crate::domain::transfer::Transfer;
use crate::error::AccountsError;

/// The most transfers one batch books.
pub const MAX_BATCH_TRANSFERS: usize = 512;

/// How many requests may wait for the writer before submitters wait for room.
const QUEUE_CAPACITY: usize = 16_384;

/// How long the writer waits for the requests it expects before it books what it has.
const GATHER_WINDOW: Duration = Duration::from_micros(300);

/// How long the writer sleeps between two looks at its queue while it gathers.
const GATHER_POLL: Duration = Duration::from_micros(50);

/// How often a batch is retried after losing a key race to another process.
const MAX_BATCH_ATTEMPTS: u32 = 3;

/// The writer's own connections: one for the batch, one to load replays.
const WRITER_CONNECTIONS: u32 = 2;

/// How many writers a process runs, each booking its own batches on its own connection.
///
/// One writer left PostgreSQL's side of the machine idle much of the time: a batch is a chain
/// of round trips and one backend's work, and the next batch waits for it. In alternating runs
/// of the ledger benchmark (16 clients, 8 000 transfers per shape, 3 rounds per run) one writer
/// booked the spread shape at 0.85x and 0.96x pgbench -N, two writers at 1.08x to 1.16x, three
/// at 0.96x and four at 0.85x: beyond two, on two cores, the extra batches were smaller and
/// cost more round trips for the same transfers.
const WRITERS: usize = 2;

/// The idempotency scope of transfers asked for by the bank's services. Their keys are often
/// derived from what they pay (`tranche:<id>:disburse`), so anyone who can guess one could
/// book it first and make the service's payout replay theirs: staff's transfers are therefore
/// booked in a scope of their own ([`PROPOSAL_SCOPE`]), never in this one.
pub const LEDGER_SCOPE: &str = "ledger";

/// The idempotency scope of staff transfers, booked when a second member of staff confirms
/// their proposal. The key is the proposal's ([`proposal_key`]), so however often and by
/// whomever a proposal is confirmed, it books one transfer.
pub const PROPOSAL_SCOPE: &str = "transfer-proposal";

/// The ledger key of the transfer a proposal books.
pub fn proposal_key(proposal_id: uuid::Uuid) -> String {
    format!("proposal:{proposal_id}")
}

/// A validated transfer to book, and who asked.
#[derive(Debug, Clone)]
pub struct TransferRequest {
    /// Keys are unique within a scope: [`LEDGER_SCOPE`] for services, [`PROPOSAL_SCOPE`] for
    /// confirmed staff proposals, or `client:<id>` for a client.
    pub scope: String,
    /// The request's fingerprint: the same key with another fingerprint is refused.
    pub fingerprint: String,
    pub transfer: Transfer,
    /// Place a hold (a pending transfer) instead of booking the transfer.
    pub hold: bool,
    pub actor_id: Uuid,
    pub actor_roles: Vec<String>,
    pub request_id: Option<String>,
}

/// What became of a request the writer accepted.
#[derive(Debug, Clone)]
pub enum Booked {
    /// Booked now (or held now, for a hold).
    Created(TransferRecord),
    /// Booked earlier under the same key; this is the original transfer.
    Replayed(TransferRecord),
}

/// A request's outcome inside a batch, before it is answered.
#[derive(Debug, Clone)]
enum Outcome {
    Created(TransferRecord),
    Replayed(TransferRecord),
    Refused(TransferError),
    HoldRefused(HoldError),
    KeyReused,
}

impl Outcome {
    fn into_answer(self) -> Result<Booked, AccountsError> {
        match self {
            Outcome::Created(record) => Ok(Booked::Created(record)),
            Outcome::Replayed(record) => Ok(Booked::Replayed(record)),
            Outcome::Refused(error) => Err(error.into()),
            Outcome::HoldRefused(error) => Err(error.into()),
            Outcome::KeyReused => Err(AccountsError::IdempotencyKeyReused),
        }
    }
}

struct Submission {
    request: TransferRequest,
    reply: oneshot::Sender<Result<Booked, AccountsError>>,
    attempts: u32,
}

/// The handle through which handlers submit transfers to the process's one writer.
#[derive(Clone, Debug)]
pub struct LedgerWriter {
    /// One sender per writer; a transfer goes to the writer [`writer_of`] picks.
    senders: Arc<[mpsc::Sender<Submission>]>,
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Submission")
            .field("scope", &self.request.scope)
            .field("key", &self.request.transfer.idempotency_key())
            .finish()
    }
}

impl LedgerWriter {
    /// Starts the writer on a thread of its own. It ends when every handle is dropped.
    ///
    /// The writer gets connections of its own, to the same database as `pool`: a handler may
    /// hold one of the pool's connections while it waits for the writer (a client's
    /// confirmation does), and the writer must never wait for such a connection in turn.
    ///
    /// Each batch's transfers are stamped with `clock`'s instant: the bank's day a transfer
    /// belongs to (statements, daily limits) is the day of that stamp.
    pub fn start(pool: &PgPool, clock: Arc<dyn Clock>) -> LedgerWriter {
        let options = (*pool.connect_options())
            .clone()
            .options([("plan_cache_mode", "force_generic_plan")]);
        let senders = (0..WRITERS)
            .map(|index| start_writer(index, options.clone(), Arc::clone(&clock)))
            .collect();
        LedgerWriter { senders }
    }

    /// Books (or holds) a transfer and waits for its own outcome.
    #[tracing::instrument(skip_all, fields(key = %request.transfer.idempotency_key(), scope = %request.scope))]
    pub async fn submit(&self, request: TransferRequest) -> Result<Booked, AccountsError> {
        let (reply, answer) = oneshot::channel();
        self.senders[writer_of(&request.transfer, self.senders.len())]
            .send(Submission {
                request,
                reply,
                attempts: 0,
            })
            .await
            .map_err(|_| AccountsError::BatchFailed)?;
        answer.await.map_err(|_| AccountsError::BatchFailed)?
    }
}

/// Starts one writer on a thread and runtime of its own, and returns the sender to it.
///
/// On the service's runtime the writer waited, after each of its round trips, for a worker to
/// finish the request handlers queued before it: at 16 clients on two cores a batch of eight
/// took 7 ms, of which PostgreSQL spent 2.3 executing its statements, and every client waited
/// for that batch. Its own thread is woken by the operating system as soon as PostgreSQL
/// answers. The thread ends when the last sender is dropped.
fn start_writer(
    index: usize,
    options: PgConnectOptions,
    clock: Arc<dyn Clock>,
) -> mpsc::Sender<Submission> {
    let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
    std::thread::Builder::new()
        .name(format!("ledger-writer-{index}"))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    // Without its runtime the writer cannot run; dropping the receiver makes
                    // every submission to it fail as a failed batch, never hang.
                    tracing::error!(%error, "a ledger writer's runtime did not start");
                    return;
                }
            };
            runtime.block_on(async move {
                // The writer's connections are in constant use, so the pool's ping before
                // handing one out cost every batch a round trip for nothing; a connection that
                // has died fails its batch, which writes nothing and is answered as failed, and
                // the pool replaces it. The writer's statements take arrays whose lengths
                // change with every batch, and PostgreSQL planned them afresh for each
                // execution (a custom plan) until it judged a generic one good enough; the
                // generic plan is the one they would settle on, taken from the start (the
                // batch's write fell from about 1.0 to 0.8 ms at 16 clients).
                let writer_pool = PgPoolOptions::new()
                    .max_connections(WRITER_CONNECTIONS)
                    .test_before_acquire(false)
                    .connect_lazy_with(options);
                run_writer(writer_pool, clock, receiver).await;
            });
        })
        .expect("the operating system starts a ledger writer's thread");
    sender
}

/// The writer that books `transfer`: the one of the account its first debit leg debits.
///
/// Transfers out of one account therefore always meet in one writer's batches. A programme's
/// fund, which pays every grant, is debited by one writer, one batch at a time, instead of
/// two writers taking turns at its row lock and each waiting for the other's commit; transfers
/// between many accounts spread over all the writers. A transfer whose other accounts another
/// writer is booking at the same moment waits for that writer's commit at the row locks,
/// which both take in one order, so they cannot deadlock.
fn writer_of(transfer: &Transfer, writers: usize) -> usize {
    let debited = transfer
        .legs()
        .iter()
        .find(|leg| leg.side() == Side::Debit)
        .map_or(0, |leg| leg.account_id().as_uuid().as_u128());
    // Identifiers are version 7 UUIDs: their last 62 bits are random, their first 48 the time
    // of opening, so accounts opened together would share a writer if routed by those.
    (debited % writers as u128) as usize
}

/// The writer's loop: one batch at a time, each taking every request that queued up while the
/// previous one was booked.
///
/// One batch at a time per writer, whose next batch is not prepared while the last commits.
/// The ledger benchmark (16 clients, 10 000 transfers between random accounts, one run each,
/// pgbench -N at 6 700 to 7 400 transactions a second in the same runs) booked 4 559 transfers a
/// second with one batch in flight, 4 051 with two (the next batch prepared while the last
/// committed), 3 507 with four and 3 027 with eight: a batch's round trips to PostgreSQL cost the
/// same whatever its size, so more batches in flight meant smaller batches and more round trips
/// for the same transfers. Two writers routed by debited account ([`WRITERS`]) did gain, as that
/// constant's note says: their batches are apart by the accounts they debit, and each writer's
/// PostgreSQL backend works while the other's waits for its round trips.
async fn run_writer(pool: PgPool, clock: Arc<dyn Clock>, mut receiver: mpsc::Receiver<Submission>) {
    let mut carried: VecDeque<Submission> = VecDeque::new();
    let mut last_batch_sizes = [1, 1];
    let mut session = WriterSession::default();
    loop {
        let mut batch: Vec<Submission> = carried.drain(..).collect();
        if batch.is_empty() {
            match receiver.recv().await {
                Some(submission) => batch.push(submission),
                None => return,
            }
        }
        // Gather: the clients the last two batches answered are most likely sending their
        // next requests now, so wait a moment for as many as the larger of those batches held.
        // Without it, the batch after a large one started with the two or three requests that
        // had arrived, and the rest waited a whole batch for the next: at 16 clients batches
        // alternated small and large and averaged 6.7 transfers. An idle service still answers
        // at once (its last batches held one request), and the wait is bounded.
        let target = last_batch_sizes
            .into_iter()
            .max()
            .unwrap_or(1)
            .min(MAX_BATCH_TRANSFERS);
        let deadline = Instant::now() + GATHER_WINDOW;
        loop {
            while batch.len() < MAX_BATCH_TRANSFERS {
                match receiver.try_recv() {
                    Ok(submission) => batch.push(submission),
                    Err(_) => break,
                }
            }
            if batch.len() >= target || Instant::now() >= deadline {
                break;
            }
            // Tokio's timers tick in milliseconds, far coarser than the window, so the writer
            // sleeps its thread instead: nothing else runs on this runtime while it gathers
            // (the connection is idle between batches). It used to yield to its runtime and
            // look again at once, which kept a core busy for the whole window, taking it from
            // the very handlers it waited for: in alternating runs of the ledger benchmark (16
            // clients, 3 rounds each, three runs of each) sleeping booked the spread shape at
            // 1.09x to 1.26x pgbench -N and the hot one at 1.20x to 1.25x, spinning at 1.05x
            // to 1.12x and 1.01x to 1.13x.
            std::thread::sleep(GATHER_POLL);
        }
        last_batch_sizes = [last_batch_sizes[1], batch.len()];
        let outcomes = book_batch(&pool, &mut session, clock.as_ref(), &batch, &receiver).await;
        carried = answer_batch(batch, outcomes);
    }
}

/// Answers a batch's requests from its outcomes; returns the ones to carry over to the next
/// batch.
fn answer_batch(
    batch: Vec<Submission>,
    outcomes: Result<Vec<Option<Outcome>>, AccountsError>,
) -> VecDeque<Submission> {
    let mut carried = VecDeque::new();
    match outcomes {
        Ok(outcomes) => {
            let booked = outcomes.iter().filter(|outcome| outcome.is_some()).count();
            imkon_platform::metrics::observe(
                imkon_platform::metrics::LEDGER_BATCH_TRANSFERS,
                crate::SERVICE,
                booked as f64,
            );
            for (submission, outcome) in batch.into_iter().zip(outcomes) {
                match outcome {
                    Some(outcome) => {
                        // A submitter that stopped waiting (its client went away) needs no
                        // answer; its transfer stands, and a retry with its key replays it.
                        let _ = submission.reply.send(outcome.into_answer());
                    }
                    None => carried.push_back(submission),
                }
            }
        }
        Err(AccountsError::Database(sqlx::Error::Database(error)))
            if error.is_unique_violation() =>
        {
            tracing::warn!(%error, "a batch lost an idempotency-key race; retrying it");
            for mut submission in batch {
                submission.attempts += 1;
                if submission.attempts >= MAX_BATCH_ATTEMPTS {
                    let _ = submission.reply.send(Err(AccountsError::BatchFailed));
                } else {
                    carried.push_back(submission);
                }
            }
        }
        Err(error) => {
            tracing::error!(%error, size = batch.len(), "a ledger batch failed; nothing of it was written");
            for submission in batch {
                let _ = submission.reply.send(Err(AccountsError::BatchFailed));
            }
        }
    }
    carried
}

/// How a request is to be treated, decided from its key before any planning.
enum Decision {
    Fresh,
    Replay(Uuid),
    SameAs(usize),
    KeyReused,
}

/// What planning made of a fresh request.
enum Planned {
    Posted(Vec<Posting>),
    Held(Hold),
    Refused(TransferError),
    HoldRefused(HoldError),
    CarriedOver,
}

/// The state of a locked account as the domain plans with it.
fn account_state(row: &LockedAccount) -> Result<AccountState, AccountsError> {
    let inconsistent =
        |what: String| AccountsError::Inconsistent(format!("account {}: {what}", row.id));
    let kind: AccountKind = row
        .kind
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let currency: Currency = row
        .currency
        .parse()
        .map_err(|error| inconsistent(format!("{error}")))?;
    let money = |amount: Decimal| {
        Money::new(amount, currency).map_err(|error| inconsistent(format!("{error}")))
    };
    let state = AccountState::new(
        currency,
        kind.normal_side(),
        row.allow_negative,
        money(row.posted_balance)?,
        money(row.pending_holds)?,
    )
    .map_err(|error| inconsistent(format!("{error}")))?;
    Ok(if row.closed { state.closed() } else { state })
}

/// The two accounts of a two-leg transfer: (debited, credited).
fn debit_and_credit(transfer: &Transfer) -> (AccountId, AccountId) {
    let find = |side: Side| {
        transfer
            .legs()
            .iter()
            .find(|leg| leg.side() == side)
            .map(|leg| leg.account_id())
            .expect("a balanced two-leg transfer has a debit and a credit leg")
    };
    (find(Side::Debit), find(Side::Credit))
}

/// Decides from its (scope, key) how each request is treated: booked before (replay or
/// refuse), repeated within the batch (answer like the first), or fresh.
fn decide(
    requests: &[&TransferRequest],
    keys: &[String],
    booked_before: &HashMap<(String, String), (Uuid, String)>,
) -> Vec<Decision> {
    let mut first_use: HashMap<(&str, &str), usize> = HashMap::new();
    requests
        .iter()
        .enumerate()
        .map(|(position, request)| {
            let key = (request.scope.as_str(), keys[position].as_str());
            if let Some((id, fingerprint)) =
                booked_before.get(&(key.0.to_owned(), key.1.to_owned()))
            {
                return if *fingerprint == request.fingerprint {
                    Decision::Replay(*id)
                } else {
                    Decision::KeyReused
                };
            }
            if let Some(&first) = first_use.get(&key) {
                return if requests[first].fingerprint == request.fingerprint {
                    Decision::SameAs(first)
                } else {
                    Decision::KeyReused
                };
            }
            first_use.insert(key, position);
            Decision::Fresh
        })
        .collect()
}

/// Plans the fresh requests: transfers first, with the domain's batch planner, then holds on
/// the balances the transfers left. Returns each fresh request's plan by position, and the
/// accounts' states after all of them.
fn plan(
    requests: &[&TransferRequest],
    decisions: &[Decision],
    starting_states: &AccountStates,
) -> (HashMap<usize, Planned>, AccountStates) {
    let fresh = |position: &usize| matches!(decisions[*position], Decision::Fresh);
    let posting_positions: Vec<usize> = (0..requests.len())
        .filter(|position| fresh(position) && !requests[*position].hold)
        .collect();
    let hold_positions: Vec<usize> = (0..requests.len())
        .filter(|position| fresh(position) && requests[*position].hold)
        .collect();
    let posting_transfers: Vec<Transfer> = posting_positions
        .iter()
        .map(|&position| requests[position].transfer.clone())
        .collect();
    let plan = plan_batch(&posting_transfers, starting_states);
    let mut states = plan.final_states;
    let mut planned: HashMap<usize, Planned> = HashMap::new();
    for (position, result) in posting_positions.iter().zip(plan.results) {
        let outcome = match result {
            Ok(postings) => Planned::Posted(postings),
            Err(TransferError::RepeatedInBatch { .. }) => Planned::CarriedOver,
            Err(error) => Planned::Refused(error),
        };
        planned.insert(*position, outcome);
    }
    for &position in &hold_positions {
        let outcome = match Hold::place(requests[position].transfer.clone(), &states) {
            Ok(hold) => {
                reserve(&mut states, hold.reservations());
                Planned::Held(hold)
            }
            Err(error) => Planned::HoldRefused(error),
        };
        planned.insert(position, outcome);
    }
    (planned, states)
}

/// The writer's own connection, and whether a transaction is open on it with nothing done yet.
///
/// A batch's transaction used to cost four round trips to PostgreSQL: begin, lock and keys,
/// write, commit. When more requests are already waiting, the writer commits a batch and begins
/// the next one's transaction in one message (`commit; begin`), so the next batch starts with
/// its lock. A transaction begun this way has done nothing yet: it holds no snapshot, no lock
/// and no transaction id. An idle writer commits alone and leaves no transaction open.
#[derive(Default)]
struct WriterSession {
    connection: Option<PgConnection>,
    begun: bool,
}

impl WriterSession {
    /// The connection, in a transaction with nothing done yet.
    ///
    /// A connection that died while the writer was idle (PostgreSQL restarted, or ended the
    /// session) fails at the begin, before anything of the batch was sent: it is dropped and
    /// the batch begins once more on a fresh connection.
    async fn begun(&mut self, pool: &PgPool) -> Result<&mut PgConnection, AccountsError> {
        let was_begun = std::mem::replace(&mut self.begun, false);
        let connection = match self.connection.take() {
            Some(connection) if was_begun => connection,
            Some(mut connection) => {
                if simple_query(&mut connection, "begin").await.is_ok() {
                    connection
                } else {
                    let _ = connection.close().await;
                    fresh_begun(pool).await?
                }
            }
            None => fresh_begun(pool).await?,
        };
        self.begun = true;
        Ok(self.connection.insert(connection))
    }

    /// Commits the open transaction, and begins the next at once when `next_waiting`.
    ///
    /// A failure leaves the batch's outcome as unknown as a failed commit always does (the
    /// keys make a retry safe), and the connection is dropped, so that nothing of this
    /// transaction can leak into the next batch.
    async fn commit(&mut self, next_waiting: bool) -> Result<(), AccountsError> {
        let connection = self
            .connection
            .as_mut()
            .expect("a batch is committed on the connection it was begun on");
        let statement = if next_waiting {
            "commit; begin"
        } else {
            "commit"
        };
        match simple_query(connection, statement).await {
            Ok(_) => {
                self.begun = next_waiting;
                Ok(())
            }
            Err(error) => {
                self.drop_connection().await;
                Err(error.into())
            }
        }
    }

    /// Rolls back a batch that failed before its commit; the connection is dropped if even
    /// that fails.
    async fn roll_back(&mut self) {
        if let Some(connection) = self.connection.as_mut() {
            if simple_query(connection, "rollback").await.is_ok() {
                self.begun = false;
                return;
            }
        }
        self.drop_connection().await;
    }

    async fn drop_connection(&mut self) {
        self.begun = false;
        if let Some(connection) = self.connection.take() {
            let _ = connection.close().await;
        }
    }
}

/// A new connection of the writer's own, in a transaction with nothing done yet.
async fn fresh_begun(pool: &PgPool) -> Result<PgConnection, AccountsError> {
    let mut connection = pool.acquire().await?.detach();
    simple_query(&mut connection, "begin").await?;
    Ok(connection)
}

/// Sends `statements` in one message (PostgreSQL's simple query protocol, which takes several
/// statements at once).
async fn simple_query(connection: &mut PgConnection, statements: &'static str) -> sqlx::Result<()> {
    sqlx::Executor::execute(connection, statements).await?;
    Ok(())
}

/// Locks, plans, writes and commits one batch on the writer's connection, then makes each
/// request's outcome.
async fn book_batch(
    pool: &PgPool,
    session: &mut WriterSession,
    clock: &dyn Clock,
    batch: &[Submission],
    receiver: &mpsc::Receiver<Submission>,
) -> Result<Vec<Option<Outcome>>, AccountsError> {
    let connection = session.begun(pool).await?;
    let prepared = match prepare_batch(connection, clock, batch).await {
        Ok(prepared) => prepared,
        Err(error) => {
            session.roll_back().await;
            return Err(error);
        }
    };
    session.commit(!receiver.is_empty()).await?;
    outcomes_of(pool, prepared).await
}

/// A batch written but not yet committed: what to answer once the commit has succeeded.
struct PreparedBatch {
    decisions: Vec<Decision>,
    planned: HashMap<usize, Planned>,
    records: HashMap<usize, TransferRecord>,
}

/// Locks, plans and writes one batch in the transaction open on `connection`, leaving the
/// commit to [`book_batch`].
async fn prepare_batch(
    connection: &mut PgConnection,
    clock: &dyn Clock,
    batch: &[Submission],
) -> Result<PreparedBatch, AccountsError> {
    let requests: Vec<&TransferRequest> =
        batch.iter().map(|submission| &submission.request).collect();
    let all_transfers: Vec<Transfer> = requests
        .iter()
        .map(|request| request.transfer.clone())
        .collect();
    let lock_order: Vec<Uuid> = touched_accounts(&all_transfers)
        .iter()
        .map(AccountId::as_uuid)
        .collect();

    let scopes: Vec<String> = requests
        .iter()
        .map(|request| request.scope.clone())
        .collect();
    let keys: Vec<String> = requests
        .iter()
        .map(|request| request.transfer.idempotency_key().as_str().to_owned())
        .collect();

    // The one-statement start reads the keys from a snapshot taken before it waited for the
    // locks, so it misses what another replica committed meanwhile. A batch retried after
    // losing such a race therefore looks its keys up only once it holds the locks, from a
    // snapshot that sees everything committed before: otherwise, with both replicas busy on
    // the same account, it could lose again and again until its every request failed.
    let retrying = batch.iter().any(|submission| submission.attempts > 0);
    let start = if retrying {
        let locked = db::ledger::lock_accounts(connection, &lock_order).await?;
        let booked = db::ledger::transfers_by_keys(&mut *connection, &scopes, &keys).await?;
        BatchStart { locked, booked }
    } else {
        db::ledger::lock_accounts_and_find_keys(connection, &lock_order, &scopes, &keys).await?
    };
    let mut starting_states = AccountStates::new();
    let mut numbers: HashMap<AccountId, String> = HashMap::new();
    for row in &start.locked {
        let id = AccountId::from_uuid(row.id);
        starting_states.insert(id, account_state(row)?);
        numbers.insert(id, row.number.clone());
    }
    let booked_before: HashMap<(String, String), (Uuid, String)> = start
        .booked
        .into_iter()
        .map(|row| {
            (
                (row.idempotency_scope, row.idempotency_key),
                (row.id, row.request_fingerprint),
            )
        })
        .collect();

    let decisions = decide(&requests, &keys, &booked_before);

    let (planned, states) = plan(&requests, &decisions, &starting_states);

    // Everything to write, column by column, in arrival order.
    let created_at: DateTime<Utc> = clock.now().trunc_subsecs(6);
    let mut writes = BatchWrites::default();
    let BatchWrites {
        transfers,
        entries,
        holds,
        balances,
        audit,
    } = &mut writes;
    let mut records: HashMap<usize, TransferRecord> = HashMap::new();
    for position in 0..requests.len() {
        let request = requests[position];
        let transfer = &request.transfer;
        let (status, legs) = match planned.get(&position) {
            Some(Planned::Posted(postings)) => (
                "posted",
                postings
                    .iter()
                    .map(|posting| LegRecord {
                        account_number: numbers[&posting.account_id()].clone(),
                        side: posting.side().code().to_owned(),
                        amount: posting.amount().amount(),
                        balance_after: Some(posting.balance_after().amount()),
                    })
                    .collect::<Vec<_>>(),
            ),
            Some(Planned::Held(hold)) => {
                let (debit, credit) = debit_and_credit(transfer);
                let leg = |account: AccountId, side: Side| LegRecord {
                    account_number: numbers[&account].clone(),
                    side: side.code().to_owned(),
                    amount: hold.held().amount(),
                    balance_after: None,
                };
                (
                    "pending",
                    vec![leg(debit, Side::Debit), leg(credit, Side::Credit)],
                )
            }
            _ => continue,
        };
        let id = new_id();
        transfers.id.push(id);
        transfers.idempotency_scope.push(request.scope.clone());
        transfers.idempotency_key.push(keys[position].clone());
        transfers
            .request_fingerprint
            .push(request.fingerprint.clone());
        transfers.kind.push(transfer.kind().code().to_owned());
        transfers
            .reference
            .push(transfer.reference().as_str().to_owned());
        transfers
            .currency
            .push(transfer.currency().code().to_owned());
        transfers.status.push(status.to_owned());
        transfers.created_by.push(request.actor_id);
        match planned.get(&position) {
            Some(Planned::Posted(postings)) => {
                for posting in postings {
                    entries.transfer_id.push(id);
                    entries.leg_index.push(
                        i16::try_from(posting.leg_index())
                            .expect("a transfer has at most 32 legs, so its leg index fits"),
                    );
                    entries.account_id.push(posting.account_id().as_uuid());
                    entries.side.push(posting.side().code().to_owned());
                    entries.amount.push(posting.amount().amount());
                    entries.balance_after.push(posting.balance_after().amount());
                }
            }
            Some(Planned::Held(hold)) => {
                let (debit, credit) = debit_and_credit(transfer);
                holds.transfer_id.push(id);
                holds.debit_account_id.push(debit.as_uuid());
                holds.credit_account_id.push(credit.as_uuid());
                holds.amount.push(hold.held().amount());
            }
            _ => {}
        }
        audit.id.push(new_id());
        audit.actor_id.push(request.actor_id);
        audit.actor_roles.push(request.actor_roles.join(","));
        audit.action.push(
            if request.hold {
                "transfer.held"
            } else {
                "transfer.posted"
            }
            .to_owned(),
        );
        audit.subject_id.push(id.to_string());
        audit.after.push(json!({
            "kind": transfer.kind().code(),
            "reference": transfer.reference().as_str(),
            "currency": transfer.currency().code(),
            "status": status,
            "legs": legs.iter().map(|leg| json!({
                "account": leg.account_number,
                "side": leg.side,
                "amount": leg.amount.to_string(),
            })).collect::<Vec<_>>(),
        }));
        audit.request_id.push(request.request_id.clone());
        records.insert(
            position,
            TransferRecord {
                id,
                kind: transfer.kind().code().to_owned(),
                reference: transfer.reference().as_str().to_owned(),
                currency: transfer.currency().code().to_owned(),
                status: status.to_owned(),
                created_at,
                legs,
            },
        );
    }
    for (id, state) in &states {
        if starting_states.get(id) != Some(state) {
            balances.id.push(id.as_uuid());
            balances
                .posted_balance
                .push(state.posted_balance().amount());
            balances.pending_holds.push(state.pending_holds().amount());
        }
    }
    db::ledger::write_batch(connection, &writes, created_at).await?;
    Ok(PreparedBatch {
        decisions,
        planned,
        records,
    })
}

/// Each request's outcome of a committed batch. `None` marks a request carried over to the
/// next batch.
async fn outcomes_of(
    pool: &PgPool,
    prepared: PreparedBatch,
) -> Result<Vec<Option<Outcome>>, AccountsError> {
    let PreparedBatch {
        decisions,
        mut planned,
        mut records,
    } = prepared;

    let replay_ids: Vec<Uuid> = decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::Replay(id) => Some(*id),
            _ => None,
        })
        .collect();
    let replayed = if replay_ids.is_empty() {
        HashMap::new()
    } else {
        let mut connection = pool.acquire().await?;
        db::ledger::load_transfers(&mut connection, &replay_ids).await?
    };

    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(decisions.len());
    for (position, decision) in decisions.iter().enumerate() {
        let outcome = match decision {
            Decision::KeyReused => Some(Outcome::KeyReused),
            // Two requests of one batch may replay the same earlier transfer: look it up, do
            // not take it out.
            Decision::Replay(id) => Some(Outcome::Replayed(replayed.get(id).cloned().ok_or_else(
                || {
                    AccountsError::Inconsistent(format!(
                        "transfer {id} vanished after its key was found"
                    ))
                },
            )?)),
            Decision::SameAs(first) => outcomes[*first].clone().map(|outcome| match outcome {
                Outcome::Created(record) => Outcome::Replayed(record),
                other => other,
            }),
            Decision::Fresh => match planned.remove(&position) {
                Some(Planned::Posted(_)) | Some(Planned::Held(_)) => {
                    records.remove(&position).map(Outcome::Created)
                }
                Some(Planned::Refused(error)) => Some(Outcome::Refused(error)),
                Some(Planned::HoldRefused(error)) => Some(Outcome::HoldRefused(error)),
                Some(Planned::CarriedOver) | None => None,
            },
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}
