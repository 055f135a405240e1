//! The applications service alone in its process, as production runs it.

fn main() -> std::process::ExitCode {
    imkon_platform::service::run_standalone(
        imkon_applications::SERVICE,
        imkon_applications::DEFAULT_PORT,
        imkon_applications::run,
    )
}
