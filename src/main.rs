fn main() {
    std::process::exit(smbcheck::app::cli::main());
}
