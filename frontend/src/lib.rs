//! The web frontend.
