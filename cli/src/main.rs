//! The odeon command line. With no arguments it runs the tour.

fn main() -> std::process::ExitCode {
    odeon_cli::main()
}
