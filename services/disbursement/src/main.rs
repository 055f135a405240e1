//! The disbursement service alone in its process, as production runs it.

fn main() -> std::process::ExitCode {
    imkon_platform::service::run_standalone(
        imkon_disbursement::SERVICE,
        imkon_disbursement::DEFAULT_PORT,
        imkon_disbursement::run,
    )
}
