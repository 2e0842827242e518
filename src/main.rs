fn main() -> std::process::ExitCode {
    bqflat::cli::run()
}
