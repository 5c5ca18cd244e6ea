fn main() {
    std::process::exit(blastradius::cli::main(std::env::args_os()));
}
