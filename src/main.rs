fn main() {
    blastradius::cli::memory::release_big_blocks();
    std::process::exit(blastradius::cli::main(std::env::args_os()));
}
