fn main() {
    std::process::exit(smbcheck::cli::main());
}
