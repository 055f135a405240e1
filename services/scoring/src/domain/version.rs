//! Scorecard versions: a draft may change until it is activated, and never after, so that an
//! evaluation stored with its version can be replayed years later and give the same result.

use super::scorecard::Scorecard;

/// Where a version is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStatus {
    Draft,
    Active,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Active => "active",
        }
    }
}

/// Why a change to a version was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The version is active; an HTTP layer answers 409 Conflict.
    #[error("scorecard version {version} is active and can no longer be changed; create a new version instead")]
    ActiveVersionIsImmutable { version: u32 },
    #[error("scorecard version {version} is already active")]
    AlreadyActive { version: u32 },
    #[error("a scorecard version number starts at 1")]
    VersionNumberZero,
}

/// One numbered version of a scorecard and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScorecardVersion {
    version: u32,
    status: VersionStatus,
    scorecard: Scorecard,
}

impl ScorecardVersion {
    /// A new draft. Numbers are given by whoever stores versions (1 for a new scorecard, one
    /// more than the latest for a new version of it).
    pub fn draft(version: u32, scorecard: Scorecard) -> Result<ScorecardVersion, VersionError> {
        if version == 0 {
            return Err(VersionError::VersionNumberZero);
        }
        Ok(ScorecardVersion {
            version,
            status: VersionStatus::Draft,
            scorecard,
        })
    }

    /// A version read back from storage with the status it was stored with.
    pub fn restore(
        version: u32,
        status: VersionStatus,
        scorecard: Scorecard,
    ) -> Result<ScorecardVersion, VersionError> {
        let mut restored = ScorecardVersion::draft(version, scorecard)?;
        restored.status = status;
        Ok(restored)
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn status(&self) -> VersionStatus {
        self.status
    }

    pub fn scorecard(&self) -> &Scorecard {
        &self.scorecard
    }

    /// Replaces the definition of a draft; an active version refuses.
    pub fn revise(&mut self, scorecard: Scorecard) -> Result<(), VersionError> {
        self.ensure_draft()?;
        self.scorecard = scorecard;
        Ok(())
    }

    /// Makes the version active, after which it never changes.
    pub fn activate(&mut self) -> Result<(), VersionError> {
        if self.status == VersionStatus::Active {
            return Err(VersionError::AlreadyActive {
                version: self.version,
            });
        }
        self.status = VersionStatus::Active;
        Ok(())
    }

    /// Refuses with [`VersionError::ActiveVersionIsImmutable`] unless the version is a draft;
    /// a storage layer calls it before any change it makes outside [`Self::revise`].
    pub fn ensure_draft(&self) -> Result<(), VersionError> {
        match self.status {
            VersionStatus::Draft => Ok(()),
            VersionStatus::Active => Err(VersionError::ActiveVersionIsImmutable {
                version: self.version,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seeds::{startup_loan_scorecard, synthetic_scorecard};

    #[test]
    fn a_draft_can_be_revised_until_it_is_activated() {
        let mut version = ScorecardVersion::draft(1, startup_loan_scorecard()).unwrap();
        assert_eq!(version.status(), VersionStatus::Draft);
        version.revise(synthetic_scorecard()).unwrap();
        assert_eq!(version.scorecard(), &synthetic_scorecard());
        version.activate().unwrap();
        assert_eq!(version.status(), VersionStatus::Active);
        assert_eq!(
            version.revise(startup_loan_scorecard()),
            Err(VersionError::ActiveVersionIsImmutable { version: 1 })
        );
        assert_eq!(version.scorecard(), &synthetic_scorecard());
        assert_eq!(
            version.ensure_draft(),
            Err(VersionError::ActiveVersionIsImmutable { version: 1 })
        );
    }

    #[test]
    fn an_active_version_cannot_be_activated_again() {
        let mut version =
            ScorecardVersion::restore(3, VersionStatus::Active, synthetic_scorecard()).unwrap();
        assert_eq!(
            version.activate(),
            Err(VersionError::AlreadyActive { version: 3 })
        );
    }

    #[test]
    fn version_numbers_start_at_one() {
        assert_eq!(
            ScorecardVersion::draft(0, synthetic_scorecard()),
            Err(VersionError::VersionNumberZero)
        );
    }
}
