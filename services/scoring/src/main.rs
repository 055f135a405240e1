//! The scoring service alone in its process, as production runs it.

fn main() -> std::process::ExitCode {
    imkon_platform::service::run_standalone(
        imkon_scoring::SERVICE,
        imkon_scoring::DEFAULT_PORT,
        imkon_scoring::run,
    )
}
