//! Access tokens, roles, and the axum extractors that check them: how every Imkon service
//! knows who is calling.
//!
//! # How it fits together
//!
//! People log in at the onboarding service (through the bank's OAuth2 providers or a local
//! password). Onboarding then holds a [`TokenIssuer`] and mints short-lived access tokens, one
//! per service the caller needs, each addressed to that service. The frontend keeps them
//! server-side and sends them as `Authorization: Bearer <token>`. Every service holds a
//! [`TokenVerifier`] that trusts onboarding's public keys, and its handlers take an extractor
//! ([`extract::AuthenticatedUser`], [`extract::RequireRole`], …) that refuses anything else.
//! When one service calls another it presents a service token of its own, whose principal is
//! of kind [`PrincipalKind::Service`] and can never pass for a person.
//!
//! # Why these choices
//!
//! - **Ed25519 (JWT `alg: "EdDSA"`).** Signing is asymmetric, so the services that verify tokens
//!   hold only public keys: a compromised scoring service cannot mint a token, unlike with a
//!   shared HMAC secret. Ed25519 keys are 32 bytes, signatures are deterministic (no per-signature
//!   randomness to get wrong, unlike ECDSA), and verification is fast. The verifier accepts this
//!   one algorithm and nothing else, which closes the classic `alg: none` and algorithm-confusion
//!   attacks by construction. The JWT is written by hand on `ed25519-dalek` for the same reason:
//!   there is no configuration that could accept a second algorithm.
//! - **Key ids (`kid`).** Every token names its key, and a verifier trusts a [`PublicKeySet`].
//!   To rotate, publish the new public key next to the old one, switch the issuer to the new
//!   key, and drop the old key once its last token has expired (15 minutes later). A verifier's
//!   [`TrustedKeys`] are replaced in place (by a JWKS fetcher in the platform crate), and a
//!   token naming an unknown key asks the verifier's [`KeyRefresher`] for fresh keys once, so
//!   none of this needs a restart; the issuer's key is switched in place as well.
//! - **One audience per service.** A token carries exactly one `aud`: the service it is meant
//!   for. A token that leaks from one service (a log line, a compromised dependency) cannot be
//!   replayed against another, and a service cannot forward a person's token to reach further
//!   than the person was granted; it calls with its own service token instead.
//! - **Service tokens carry scopes.** A service's credentials are not all-powerful: the table
//!   in [`policy`] lists the audiences each service may have tokens for and the operations it
//!   may perform there, and the issuer writes those operations into the token's `scope` claim
//!   (`accounts:transfer`, `events:publish:<topic>`, …). Services check the scope on their
//!   service-only routes.
//! - **At most 15 minutes.** Bearer tokens cannot be revoked once issued, so their lifetime
//!   bounds both the damage of a stolen token and how long a withdrawn role keeps working. The
//!   issuer refuses longer lifetimes, and the verifier independently refuses tokens that claim
//!   one. A small clock-skew leeway (30 seconds by default) keeps slightly unsynchronised clocks
//!   from refusing fresh tokens.
//! - **Users and services are different kinds.** The `service` role makes a token a service
//!   token and may not be combined with any other role; a user never holds it. Extractors for
//!   people refuse service tokens and the other way round, so an endpoint meant for a founder
//!   cannot be reached with a machine credential.
//!
//! # Keys
//!
//! A private key is stored as the standard base64 (with padding) of its 32-byte seed, one line
//! (see [`SigningKey::from_seed_base64`]); `openssl rand -base64 32` makes a valid one. Public
//! keys are exchanged as a JWKS document, `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":…,
//! "x":…}]}` (see [`PublicKeySet::to_jwks_json`]).
//!
//! # Features
//!
//! `axum` (on by default) adds the [`extract`] module. Without it the crate has no HTTP
//! dependency, for tools that only issue or inspect tokens.

#[cfg(feature = "axum")]
pub mod extract;
pub mod keys;
pub mod policy;
pub mod principal;
pub mod role;
pub mod token;

pub use keys::{KeyError, KeyId, PublicKey, PublicKeySet, SigningKey, TrustedKeys};
pub use policy::{InvalidScope, Scope};
pub use principal::{MissingRole, Principal, PrincipalError, PrincipalKind};
pub use role::{Audience, Role, UnknownAudience, UnknownRole};
pub use token::{
    AccessToken, ConfigError, IssueError, KeyRefresher, Malformation, TokenIssuer, TokenVerifier,
    VerifiedToken, VerifyError, ACCESS_TOKEN_MAX_LIFETIME, DEFAULT_CLOCK_SKEW_LEEWAY,
};
