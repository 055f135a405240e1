//! The accounts service alone in its process, as production runs it.

fn main() -> std::process::ExitCode {
    imkon_platform::service::run_standalone(
        imkon_accounts::SERVICE,
        imkon_accounts::DEFAULT_PORT,
        imkon_accounts::run,
    )
}
