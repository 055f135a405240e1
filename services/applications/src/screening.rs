//! Screening: the programme's eligibility rules on the applicant's current facts, then a score
//! from the scoring service. A knock-out (an eligibility rule broken, or a scorecard knockout)
//! sends the application to decision with a proposed rejection whose reasons are recorded; an
//! approver confirms it like any other decision.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::db;
use crate::db::applications::{ApplicationRow, ScoreRecord};
use crate::db::decisions::DecisionRow;
use crate::domain::actor::{Actor, ActorRole};
use crate::domain::decision::Proposal;
use crate::domain::form::{Answer, Answers};
use crate::domain::state::{Event, State};
use crate::domain::submission::{
    check_submission, ApplicantFacts, FounderFacts, PositiveAmount, Submission, SubmissionError,
};
use crate::domain::timeline::{KnockoutReason, TimelineEntryKind};
use crate::domain::Refusal;
use crate::error::ApiError;
use crate::http::programmes::{self, LoadedProgramme};
use crate::peers::{ClientProfile, Company, PeerError, ScoreKnockout, ScoredCharacteristic};
use crate::workflow;
use crate::AppState;

/// The person id under which automated screening acts on the timeline.
pub const AUTOMATED_SCREENING_ID: Uuid = Uuid::from_u128(0x0193_5f1e_6a00_7c3d_9e1a_0000_0000_5c11);

/// The per-characteristic explanation stored with a score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreExplanation {
    pub knockouts: Vec<ScoreKnockout>,
    pub characteristics: Vec<ScoredCharacteristic>,
}

/// Whether a refusal is an eligibility rule, which screening applies, rather than a defect of
/// the submission itself, which submission refuses.
pub fn is_eligibility_rule(error: &SubmissionError) -> bool {
    matches!(
        error,
        SubmissionError::CompanyTooYoung { .. }
            | SubmissionError::CompanyTooOld { .. }
            | SubmissionError::ItParkResidencyRequired
            | SubmissionError::FoundersUnknown
            | SubmissionError::FounderTooOld { .. }
            | SubmissionError::OverdueLoan
    )
}

/// Whether the client's KYC is approved: the local copy kept from onboarding's events, or
/// onboarding's own answer when no event has arrived yet.
pub async fn kyc_approved(state: &AppState, client_id: Uuid) -> Result<bool, ApiError> {
    let status = match db::kyc::status(&state.pool, client_id).await? {
        Some(status) => status,
        None => state.kyc.kyc_status(client_id).await?,
    };
    Ok(status == "approved")
}

/// Whether the applicant has an overdue loan, as disbursement's contracts stand now. Asked only
/// of programmes with the rule, so that a grant does not depend on disbursement answering.
pub async fn has_overdue_loan(
    state: &AppState,
    programme: &LoadedProgramme,
    client_id: Uuid,
) -> Result<bool, ApiError> {
    if !programme
        .parsed
        .programme
        .eligibility()
        .no_overdue_loan_required
    {
        return Ok(false);
    }
    Ok(state.loans.has_overdue_loan(client_id).await?)
}

/// The eligibility facts of `company` on `today`, with the applicant's loan standing.
pub fn applicant_facts(
    company: &Company,
    kyc_approved: bool,
    has_overdue_loan: bool,
    today: NaiveDate,
) -> ApplicantFacts {
    ApplicantFacts {
        kyc_approved,
        company_kyc_approved: company.kyc_approved,
        company_registered_on: company.registration_date,
        it_park_resident: company
            .it_park_resident_until
            .is_some_and(|until| until >= today),
        founders: company
            .founders
            .iter()
            .zip(1..)
            .filter_map(|(founder, number)| {
                founder
                    .birth_date
                    .map(|birth_date| FounderFacts { number, birth_date })
            })
            .collect(),
        has_overdue_loan,
    }
}

/// The applicant's company in their profile, or a 422 naming `company_id`.
pub fn company_of(profile: &ClientProfile, company_id: Uuid) -> Result<&Company, ApiError> {
    profile
        .companies
        .iter()
        .find(|company| company.company_id == company_id)
        .ok_or_else(|| {
            ApiError::field(
                "company_id",
                "not_your_company",
                "is not a company of the applicant",
            )
        })
}

/// A submitted application's answers and amounts, parsed against its programme.
pub struct StoredDraft {
    pub answers: Answers,
    pub requested_amount: PositiveAmount,
    pub term_months: u32,
    pub project_cost: Option<PositiveAmount>,
}

/// A JSON number for a decimal; integers stay exact, and the scoring contract asks for JSON
/// numbers rather than strings.
fn json_number(value: Decimal) -> Value {
    let normalized = value.normalize();
    if let Ok(number) = serde_json::Number::from_str(&normalized.to_string()) {
        Value::Number(number)
    } else {
        Value::String(normalized.to_string())
    }
}

/// The scorecard inputs: the answers to the programme's scoring questions, under their keys.
pub fn scoring_inputs(programme: &LoadedProgramme, answers: &Answers) -> BTreeMap<String, Value> {
    programme
        .parsed
        .scoring_inputs
        .iter()
        .filter_map(|key| {
            let value = match answers.get(key)? {
                Answer::Number(number) => json_number(*number),
                Answer::Money(money) => json_number(money.amount()),
                Answer::Choice(choice) => Value::String(choice.as_str().to_owned()),
                Answer::Text(text) => Value::String(text.clone()),
                Answer::Date(_) | Answer::Document(_) => return None,
            };
            Some((key.clone(), value))
        })
        .collect()
}

/// What screening found: each knock-out in English for the record, and as a code with its
/// figures for the timeline.
struct Assessment {
    knockout_reasons: Vec<String>,
    knockouts: Vec<KnockoutReason>,
    score: Option<ScoreRecord>,
}

/// An eligibility rule's refusal as a code with the figures it names.
fn knockout_of(error: &SubmissionError) -> KnockoutReason {
    let figures: &[(&str, u32)] = match error {
        SubmissionError::CompanyTooYoung {
            min_months,
            age_months,
        } => &[("min_months", *min_months), ("age_months", *age_months)],
        SubmissionError::CompanyTooOld {
            max_months,
            age_months,
        } => &[("max_months", *max_months), ("age_months", *age_months)],
        SubmissionError::FounderTooOld {
            number,
            age_years,
            max_age_years,
        } => &[
            ("number", *number),
            ("age_years", *age_years),
            ("max_age_years", *max_age_years),
        ],
        _ => &[],
    };
    KnockoutReason {
        code: error.code().to_owned(),
        figures: figures
            .iter()
            .map(|(name, value)| ((*name).to_owned(), *value))
            .collect(),
    }
}

async fn assess(
    state: &AppState,
    row: &ApplicationRow,
    programme: &LoadedProgramme,
    draft: &StoredDraft,
) -> Result<Assessment, ApiError> {
    let profile = state.kyc.client_profile(row.client_id).await?;
    let company = company_of(&profile, row.company_id)?;
    let submitted_on = state
        .calendar
        .day_of(row.submitted_at.unwrap_or_else(|| state.calendar.now()));
    let facts = applicant_facts(
        company,
        kyc_approved(state, row.client_id).await?,
        has_overdue_loan(state, programme, row.client_id).await?,
        submitted_on,
    );
    let submission = Submission {
        programme: &programme.parsed.programme,
        requested_amount: draft.requested_amount,
        term_months: draft.term_months,
        project_cost: draft.project_cost,
        answers: &draft.answers,
        applicant: &facts,
        submitted_on,
    };
    let refusals: Vec<SubmissionError> = match check_submission(&submission) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().filter(is_eligibility_rule).collect(),
    };
    if !refusals.is_empty() {
        return Ok(Assessment {
            knockout_reasons: refusals.iter().map(ToString::to_string).collect(),
            knockouts: refusals.iter().map(knockout_of).collect(),
            score: None,
        });
    }
    let inputs = scoring_inputs(programme, &draft.answers);
    let result = state
        .scorer
        .evaluate(programme.parsed.programme.scorecard_id(), inputs)
        .await?;
    let explanation = ScoreExplanation {
        knockouts: result.knockouts.clone(),
        characteristics: result.characteristics.clone(),
    };
    let explanation = serde_json::to_value(&explanation).map_err(|error| {
        ApiError::Problem(imkon_platform::problem::Problem::internal_from(&error))
    })?;
    Ok(Assessment {
        knockout_reasons: result
            .knockouts
            .iter()
            .map(|knockout| knockout.description.clone())
            .collect(),
        knockouts: result
            .knockouts
            .iter()
            .map(|knockout| KnockoutReason {
                code: knockout.reason_code.clone(),
                figures: BTreeMap::new(),
            })
            .collect(),
        score: Some(ScoreRecord {
            score: result.score,
            band: result.band,
            recommendation: result.recommendation,
            probability_of_default: result.probability_of_default,
            evaluation_id: result.evaluation_id,
            explanation,
        }),
    })
}

/// Screens a submitted application. A failing peer service leaves it in `screening` with the
/// error recorded for officers, who can start screening again; that is not the founder's
/// failure, so the caller is not told of it as one.
pub async fn screen(
    state: &AppState,
    application_id: Uuid,
    draft: &StoredDraft,
) -> Result<(), ApiError> {
    let actor = Actor::new(AUTOMATED_SCREENING_ID, ActorRole::Service);
    let mut transaction = state.pool.begin().await?;
    let row = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    match workflow::state_of(&row)? {
        State::Submitted => {
            workflow::apply(
                &mut transaction,
                &row,
                &Event::StartScreening,
                &actor,
                state.calendar.now(),
            )
            .await?;
        }
        State::Screening => {}
        other => {
            return Err(ApiError::conflict(
                "transition_not_allowed",
                format!("an application that is {} is not screened", other.as_str()),
            ))
        }
    }
    transaction.commit().await?;

    let programme = programmes::load(&state.pool, row.programme_id)
        .await?
        .ok_or(ApiError::NotFound { what: "programme" })?;
    let assessment = match assess(state, &row, &programme, draft).await {
        Ok(assessment) => assessment,
        Err(ApiError::Peer(error)) => {
            record_peer_failure(state, application_id, &error).await?;
            return Ok(());
        }
        Err(other) => return Err(other),
    };

    let now = state.calendar.now();
    let mut transaction = state.pool.begin().await?;
    let row = db::applications::lock(&mut transaction, application_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "application",
        })?;
    if workflow::state_of(&row)? != State::Screening {
        // The founder withdrew while the score was being computed; nothing is left to do.
        return Ok(());
    }
    if let Some(score) = &assessment.score {
        db::applications::record_score(&mut transaction, application_id, score, now).await?;
    }
    if assessment.knockout_reasons.is_empty() {
        workflow::apply(&mut transaction, &row, &Event::ScreeningPassed, &actor, now).await?;
    } else {
        let reason = assessment.knockout_reasons.join("; ");
        let proposal = Proposal::knock_out(&actor, &reason)
            .map_err(|error| ApiError::refused(&error, "reason"))?;
        db::decisions::insert(
            &mut *transaction,
            &DecisionRow {
                id: imkon_platform::id::new_id(),
                application_id,
                outcome: "reject".to_owned(),
                from_screening: true,
                proposed_by: actor.person_id,
                proposed_role: actor.role.as_str().to_owned(),
                proposed_at: now,
                amount: None,
                term_months: None,
                annual_rate_percent: None,
                grace_months: None,
                reasons: Value::from(assessment.knockout_reasons.clone()),
                status: "pending".to_owned(),
                resolved_by: None,
                resolved_at: None,
                sent_back_reason: None,
            },
        )
        .await?;
        workflow::record(
            &mut transaction,
            &row,
            &actor,
            TimelineEntryKind::ScreeningKnockedOut {
                reason: reason.clone(),
                knockouts: assessment.knockouts.clone(),
            },
            now,
        )
        .await?;
        workflow::apply(&mut transaction, &row, &proposal.event(), &actor, now).await?;
    }
    transaction.commit().await?;
    Ok(())
}

async fn record_peer_failure(
    state: &AppState,
    application_id: Uuid,
    error: &PeerError,
) -> Result<(), ApiError> {
    tracing::warn!(%application_id, %error, "screening could not finish");
    db::applications::record_screening_error(&state.pool, application_id, &error.to_string())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn integers_are_sent_as_exact_json_integers() {
        assert_eq!(json_number(dec!(2500)).to_string(), "2500");
        assert_eq!(json_number(dec!(100000000.00)).to_string(), "100000000");
    }

    #[test]
    fn fractions_are_sent_as_json_numbers() {
        assert_eq!(json_number(dec!(1.60)).to_string(), "1.6");
        assert!(json_number(dec!(-0.25)).is_number());
    }

    #[test]
    fn eligibility_rules_are_told_apart_from_defects_of_the_submission() {
        assert!(is_eligibility_rule(&SubmissionError::OverdueLoan));
        assert!(is_eligibility_rule(
            &SubmissionError::ItParkResidencyRequired
        ));
        assert!(!is_eligibility_rule(&SubmissionError::KycNotApproved));
        assert!(!is_eligibility_rule(
            &SubmissionError::CompanyKycNotApproved
        ));
        assert!(!is_eligibility_rule(&SubmissionError::ProjectCostRequired));
    }
}
