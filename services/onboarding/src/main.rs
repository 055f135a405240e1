//! The onboarding service alone in its process, as production runs it.

fn main() -> std::process::ExitCode {
    imkon_platform::service::run_standalone(
        imkon_onboarding::SERVICE,
        imkon_onboarding::DEFAULT_PORT,
        imkon_onboarding::run,
    )
}
